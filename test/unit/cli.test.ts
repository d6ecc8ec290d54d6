import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCompiledTrace } from '../../src/heap/trace/compiled-trace.js';
import { pyheap } from '../support/cli.js';
import { startCli } from '../support/service.js';
import { readStats } from '../support/fixtures.js';

const fixture = 'test/fixtures/traces/3.11/requests.trace.gz';
const dir = mkdtempSync(join(tmpdir(), 'pyheap-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pyheap', () => {
  it('explains itself and its commands', () => {
    const top = pyheap(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toContain('replay [options] <trace>');
    const replay = pyheap(['replay', '--help']);
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/--python <profile>/);
    expect(replay.stdout).toMatch(/Exit codes/);
  });

  it('rejects unknown commands and options with exit code 2', () => {
    expect(pyheap(['frobnicate']).status).toBe(2);
    const bad = pyheap(['replay', fixture, '--no-such-flag']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown option/);
    expect(pyheap(['replay', fixture, '--python', '2.7']).status).toBe(2);
    expect(pyheap(['replay', fixture, '--compare', '3.11,4.0']).stderr).toMatch(/comma-separated list/);
  });
});

describe('pyheap replay', () => {
  it("prints CPython's report for the trace, and a summary on stderr", () => {
    const out = pyheap(['replay', fixture]);
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(readStats(fixture.replace('.trace.gz', '.stats.txt')));
    expect(out.stderr).toMatch(/replayed 239,366 events of a python 3\.11\.7 trace under profile 3\.11, arena addresses as recorded/);
  });

  it('gives the same numbers as JSON', () => {
    const out = pyheap(['replay', fixture, '--json']);
    expect(out.status).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report.profile).toBe('3.11');
    expect(report.recordedWith).toBe('3.11');
    expect(report.usedRecordedArenas).toBe(true);
    expect(report.trace.events).toBe(239366);
    expect(report.stats.arenasAllocatedCurrent).toBe(4);
    expect(report.stats.totalBytes).toBe(4 * 1048576);
    expect(report.memory.rssBytes).toBeGreaterThan(report.memory.baselineRssBytes);
  });

  it('replays under another layout on request, and compares layouts side by side', () => {
    const other = pyheap(['replay', fixture, '--python', '3.9', '--quiet']);
    expect(other.stdout).toMatch(/arenas \* 262144 bytes\/arena/);
    expect(other.stdout).not.toMatch(/arena map counts/);
    expect(other.stderr).toBe('');
    const compared = pyheap(['replay', fixture, '--compare', '3.11,3.9', '--json', '--quiet']);
    const report = JSON.parse(compared.stdout);
    expect(report.replays.map((r: { profile: string }) => r.profile)).toEqual(['3.11', '3.9']);
    expect(report.replays[1].stats.bytesInAllocatedBlocks).toBe(report.replays[0].stats.bytesInAllocatedBlocks);
  });

  it('appends the resident-memory model with --memory', () => {
    const out = pyheap(['replay', fixture, '--memory', '--quiet']);
    expect(out.stdout).toMatch(/simulated resident memory \(pyheap model\)\nrss_bytes\s+=\s+[\d,]+\n/);
    expect(out.stdout).toMatch(/fragmentation\s+=\s+0\.\d{4}\n/);
  });

  it('writes the compiled trace with --write-compiled', () => {
    const path = join(dir, 'requests.bin');
    expect(pyheap(['replay', fixture, '--quiet', '--write-compiled', path]).status).toBe(0);
    expect(decodeCompiledTrace(readFileSync(path)).eventCount).toBe(239366);
  });

  it('names the file and line of a malformed trace and exits 2', () => {
    const path = join(dir, 'bad.trace');
    writeFileSync(path, '# pyheap-trace 1\nm 10 16\nf 10\nz 1 2\n');
    const out = pyheap(['replay', path]);
    expect(out.status).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(`pyheap: ${path}:4: unknown event (expected one of m c r f A R or a # comment): "z 1 2" [PYHEAP_E_TRACE_SYNTAX]\n`);
  });

  it('reports frees of unknown pointers, or counts and skips them with --lenient', () => {
    const path = join(dir, 'midway.trace');
    writeFileSync(path, '# pyheap-trace 1\nm 10 16\nf 20\nf 10\n');
    const strict = pyheap(['replay', path]);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(/midway\.trace:3: free of a pointer that is not live: "f 20" \[PYHEAP_E_TRACE_POINTER\]/);
    const lenient = pyheap(['replay', path, '--lenient']);
    expect(lenient.status).toBe(0);
    expect(lenient.stderr).toMatch(/1 unmatched frees skipped/);
  });

  it('reports a missing file with exit 2', () => {
    const out = pyheap(['replay', join(dir, 'nope.trace')]);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/cannot read trace .*nope\.trace: ENOENT/);
  });

  it('ends quietly when the reader of its output stops early (a closed pipe)', async () => {
    const child = startCli(['schema']);
    child.child.stdout!.once('data', () => child.child.stdout!.destroy());
    const end = await child.done;
    expect(end.status).toBe(0);
    expect(end.stderr).not.toMatch(/EPIPE|Unhandled/);
  });
});
