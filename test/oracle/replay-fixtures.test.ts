/**
 * Exactness: each committed trace, recorded from a real CPython
 * (tools/pytrace), replayed under the matching profile, must end with the
 * statistics that CPython printed at the trace's last line -- every size
 * class, every arena total, the arena map block -- character for character.
 */
import { describe, expect, it } from 'vitest';
import { formatMallocStats } from '../../src/heap/stats.js';
import { createReplayTarget, replayInto, replayTrace } from '../../src/heap/trace/replay.js';
import { readTraceFile } from '../../src/io/trace-file.js';
import { readStats, traceFixtures } from '../support/fixtures.js';

const fixtures = traceFixtures();

describe('replaying recorded CPython traces reproduces _debugmallocstats exactly', () => {
  it('has fixtures for 3.11, 3.9 and 3.8 and every required workload', () => {
    const workloads = ['startup', 'small_lists', 'requests', 'instances', 'cycles', 'mixed_free90', 'grow_shrink', 'arena_waves'];
    for (const python of ['3.11', '3.9', '3.8']) {
      expect(fixtures.filter((f) => f.python === python).map((f) => f.workload).sort()).toEqual([...workloads].sort());
    }
  });

  for (const fixture of fixtures) {
    it(`${fixture.python} ${fixture.workload}`, async () => {
      const trace = await readTraceFile(fixture.tracePath);
      const result = replayTrace(trace);
      expect(result.usedRecordedArenas).toBe(true);
      expect(formatMallocStats(result.heap.mallocStats())).toBe(readStats(fixture.statsPath));
    });
  }

  it('a reset heap replays a trace exactly as a new one does', async () => {
    const fixture = fixtures.find((f) => f.python === '3.11' && f.workload === 'arena_waves')!;
    const trace = await readTraceFile(fixture.tracePath);
    const target = createReplayTarget(trace);
    replayInto(trace, target);
    const first = target.heap.memory();
    target.heap.reset();
    target.recorded?.reset();
    expect(target.heap.memory().arenas).toBe(0);
    replayInto(trace, target);
    expect(formatMallocStats(target.heap.mallocStats())).toBe(readStats(fixture.statsPath));
    expect(target.heap.memory()).toEqual(first);
  });
});
