/**
 * The end-of-run verdict on whether the real-time simulator kept up with
 * modelled time, and the time scale it suggests.
 */
import { describe, expect, it } from 'vitest';
import { assessKeepingUp, type KeepingUpInput, RequestPaceSample } from '../../src/supervisor/keeping-up.js';

/** n requests, each back after `wallS` of wall time, with modelled service time `serviceS`. */
function sample(n: number, wallS: number, serviceS: number): RequestPaceSample {
  const s = new RequestPaceSample();
  for (let i = 0; i < n; i++) s.record(wallS, serviceS);
  return s;
}

// 10 minutes modelled at 60 requests/s, 25 ms of service each, every result back 0.5 ms after the hand-off, on 2 cores.
const base: KeepingUpInput = {
  timeScale: 10,
  lagSumS: 0,
  lagMaxS: 0,
  serviceP50S: 0.025,
  modelledS: 600,
  requestsOffered: 36_000,
  requests: sample(36_000, 0.0005, 0.025),
  cpuS: 36_000 * 0.0002,
  cores: 2,
};

describe('keeping up with modelled time', () => {
  it('a run with no lag kept up and says nothing', () => {
    const v = assessKeepingUp(base);
    expect(v.keptUp).toBe(true);
    expect(v.note).toBeNull();
  });

  it('one late boot is not falling behind: the mean lag per request decides, not the largest', () => {
    expect(assessKeepingUp({ ...base, lagSumS: 1.2, lagMaxS: 1.2 }).keptUp).toBe(true);
  });

  it('a mean lag above a tenth of the median service time is falling behind, with a warning naming both', () => {
    const v = assessKeepingUp({ ...base, lagSumS: 36_000 * 0.006, lagMaxS: 2 });
    expect(v.keptUp).toBe(false);
    expect(v.note).toMatch(/^WARNING: at --time-scale 10 the simulator fell behind modelled time by 6\.0 ms per request on average \(at most 2\.0 s, modelled\), against a median service time of 25\.0 ms/);
    expect(v.note).toMatch(/keep up at about --time-scale \d+(\.\d+)? or below\.$/);
    // Far behind: the estimate is said to err low.
    expect(assessKeepingUp({ ...base, lagSumS: 36_000 * 0.5, lagMaxS: 9 }).note).toMatch(/an estimate from an overloaded run errs low/);
  });

  it('suggests the largest scale at which the sampled requests would lag a tenth of a service time on average', () => {
    // Every request: lag = s × 0.5 ms − 25 ms, within 2.5 ms up to s = 55 (the CPU allows 0.6 × 2 / (0.2 ms × 60/s) = 100).
    expect(assessKeepingUp(base).sustainableTimeScale).toBe(54); // 54.99..., two digits rounded down
    // Half the requests short (1 ms of service), half long (49 ms): the short ones lag first.
    const mixed = new RequestPaceSample();
    for (let i = 0; i < 1000; i++) mixed.record(0.0005, i % 2 === 0 ? 0.001 : 0.049);
    // Mean lag (s ≤ 98): (s × 0.5 ms − 1 ms) / 2 ≤ 2.5 ms → s ≤ 12.
    expect(assessKeepingUp({ ...base, requests: mixed, cpuS: 1000 * 0.0002 }).sustainableTimeScale).toBe(12);
    // The CPU the offered load needs the tighter limit: 0.6 × 2 / (2 ms × 60/s) = 10.
    expect(assessKeepingUp({ ...base, cpuS: 36_000 * 0.002 }).sustainableTimeScale).toBe(10);
  });

  it('samples requests uniformly beyond its size (reservoir)', () => {
    const s = new RequestPaceSample();
    for (let i = 0; i < 100_000; i++) s.record(i < 50_000 ? 0.001 : 0.003, 0.01);
    expect(s.seen).toBe(100_000);
    // Half the requests took 1 ms and half 3 ms: so should about half of the sample.
    let fast = 0;
    for (let i = 0; i < s.size; i++) if (s.wallS[i] === 0.001) fast++;
    expect(fast / s.size).toBeGreaterThan(0.45);
    expect(fast / s.size).toBeLessThan(0.55);
  });

  it('offers no suggestion when no request ran', () => {
    const v = assessKeepingUp({ ...base, requests: new RequestPaceSample(), cpuS: 0 });
    expect(v.sustainableTimeScale).toBeNull();
    expect(v.keptUp).toBe(true);
  });
});
