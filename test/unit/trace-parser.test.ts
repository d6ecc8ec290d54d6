import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { PyheapError } from '../../src/errors.js';
import {
  decodeCompiledTrace,
  encodeCompiledTrace,
  NO_SLOT,
  OP_ARENA_ALLOC,
  OP_CALLOC,
  OP_FREE,
  OP_MALLOC,
  OP_MARK,
  OP_REALLOC,
} from '../../src/heap/trace/compiled-trace.js';
import { profileForTrace, replayTrace } from '../../src/heap/trace/replay.js';
import { TraceParser } from '../../src/heap/trace/trace-parser.js';
import { readTraceFile } from '../../src/io/trace-file.js';

const HEADER = '# pyheap-trace 1\n# python 3.11.7 arena_size 1048576 pool_size 16384 alignment 16 small_threshold 512\n';

function parse(text: string, lenient = false) {
  const parser = new TraceParser({ source: 't.trace', lenient });
  // Feed in small chunks so lines split across chunks are exercised.
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += 7) parser.push(bytes.subarray(i, i + 7));
  return parser.finish();
}

function error(text: string, lenient = false): PyheapError {
  try {
    parse(text, lenient);
  } catch (e) {
    if (e instanceof PyheapError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('trace parsing', () => {
  it('compiles events into slots, reusing the slots of freed pointers', () => {
    const trace = parse(`${HEADER}A 7f0000000000\nm 7f0000004030 56\nc 7f0000004070 3 8\nf 7f0000004030\n# mark request 1\nr 7f0000004070 55d0e1a2b2c0 640\nr 0 7f00000040b0 16\nf 0\n`);
    expect(trace.header).toMatchObject({ pythonVersion: '3.11.7', arenaSizeBytes: 1048576, poolSizeBytes: 16384, alignmentBytes: 16 });
    expect(Array.from(trace.ops)).toEqual([
      OP_ARENA_ALLOC, 0, 0x7f00,
      OP_MALLOC, 0, 56,
      OP_CALLOC, 1, 3, 8,
      OP_FREE, 0,
      OP_MARK, 0,
      OP_REALLOC, 1, 0, 640,
      OP_REALLOC, NO_SLOT, 1, 16,
    ]);
    expect(trace.marks).toEqual(['request 1']);
    expect(trace.slotCount).toBe(2);
    expect(trace.eventCount).toBe(7);
    expect(Array.from(trace.lines)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(trace.hasArenaEvents).toBe(true);
  });

  it('names the file, line and content of a malformed line', () => {
    const e = error(`${HEADER}m 7f0000004030 56\nm 7f00000040x0 56\n`);
    expect(e.code).toBe('PYHEAP_E_TRACE_SYNTAX');
    expect(e.message).toMatch(/^t\.trace:4: /);
    expect(e.message).toContain('"m 7f00000040x0 56"');
    expect(error(`${HEADER}x 1\n`).message).toMatch(/^t\.trace:3: unknown event/);
    expect(error(`${HEADER}m 10\n`).message).toMatch(/^t\.trace:3: expected a space before the size/);
    expect(error(`${HEADER}c 10 1\n`).message).toMatch(/elsize/);
    expect(error(`${HEADER}m 10 99999999999\n`).message).toMatch(/larger than pyheap supports/);
    expect(error('m 10 5\n').message).toMatch(/^t\.trace:1: not a pyheap trace/);
    expect(error('').message).toMatch(/empty/);
  });

  it('rejects a free or realloc of a pointer that is not live, unless lenient', () => {
    const e = error(`${HEADER}m 10 16\nf 20\n`);
    expect(e.code).toBe('PYHEAP_E_TRACE_POINTER');
    expect(e.message).toMatch(/^t\.trace:4: free of a pointer that is not live: "f 20"/);
    expect(error(`${HEADER}r 30 40 16\n`).message).toMatch(/realloc of a pointer that is not live/);
    expect(error(`${HEADER}m 10 16\nm 10 16\n`).message).toMatch(/already live/);
    const lenient = parse(`${HEADER}m 10 16\nf 20\nr 30 40 16\nf 10\n`, true);
    expect(lenient.unmatchedFrees).toBe(2);
    expect(lenient.eventCount).toBe(3);
  });

  it('ignores failed allocations and free(NULL)', () => {
    const trace = parse(`${HEADER}m 0 16\nm 10 16\nr 10 0 4096\nf 0\nf 10\n`);
    expect(trace.failedAllocations).toBe(2);
    expect(trace.eventCount).toBe(2);
  });

  it('round-trips the compiled binary form', () => {
    const trace = parse(`${HEADER}m 10 16\nr 10 20 600\nf 20\n`);
    const back = decodeCompiledTrace(encodeCompiledTrace(trace));
    expect(Array.from(back.ops)).toEqual(Array.from(trace.ops));
    expect(back.slotCount).toBe(trace.slotCount);
    expect(back.eventCount).toBe(trace.eventCount);
  });

  it('infers the profile from the recording interpreter', () => {
    const header = { formatVersion: 1, poolSizeBytes: null, smallThreshold: null };
    expect(profileForTrace({ ...header, pythonVersion: '3.12.1', arenaSizeBytes: null, alignmentBytes: null })).toBe('3.11');
    expect(profileForTrace({ ...header, pythonVersion: '3.9.18', arenaSizeBytes: null, alignmentBytes: null })).toBe('3.9');
    expect(profileForTrace({ ...header, pythonVersion: '3.7.16', arenaSizeBytes: null, alignmentBytes: null })).toBe('3.8');
    expect(profileForTrace({ ...header, pythonVersion: '3.7.3', arenaSizeBytes: null, alignmentBytes: null })).toBe('3.7');
    expect(profileForTrace({ ...header, pythonVersion: null, arenaSizeBytes: 262144, alignmentBytes: 8 })).toBe('3.7');
    expect(profileForTrace({ ...header, pythonVersion: null, arenaSizeBytes: null, alignmentBytes: null })).toBeNull();
  });
});

describe('replay checks the trace against the simulation', () => {
  it('fails with the line when CPython mapped an arena the simulation did not need', () => {
    const trace = parse(`${HEADER}A 7f0000000000\nm 7f0000004030 56\nA 7f0000100000\nm 7f0000004070 56\n`);
    expect(() => replayTrace(trace)).toThrow(/line 6: CPython mapped an arena at 7f0000100000 here, but the simulated allocator did not need one/);
  });

  it('fails when the simulation needs an arena the trace did not map', () => {
    const trace = parse(`${HEADER}m 7f0000004030 56\nA 7f0000100000\nm 7f0000104030 56\n`);
    expect(() => replayTrace(trace)).toThrow(/line 3: the simulated allocator mapped a new arena here, but the trace has no A line for it/);
  });

  it('fails when CPython released an arena the simulation keeps (3.9+ keeps the last one)', () => {
    const trace = parse(`${HEADER}A 7f0000000000\nm 7f0000004030 56\nR 7f0000000000\nf 7f0000004030\n`);
    expect(() => replayTrace(trace)).toThrow(/line 6: CPython released the arena at 7f0000000000 here, but the simulated allocator kept it/);
  });

  it('models arena placement for traces without A/R lines and under another layout', () => {
    const trace = parse(`${HEADER}m 10 56\nm 20 600\n`);
    const result = replayTrace(trace);
    expect(result.usedRecordedArenas).toBe(false);
    expect(result.heap.mallocStats().arenasAllocatedCurrent).toBe(1);
    const other = replayTrace(parse(`${HEADER}A 7f0000000000\nm 7f0000004030 56\n`), { profile: '3.9' });
    expect(other.usedRecordedArenas).toBe(false);
    expect(other.heap.mallocStats().arenaSizeBytes).toBe(262144);
  });
});

describe('trace files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pyheap-trace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads gzipped and plain traces alike, whatever the file is called', async () => {
    const text = `${HEADER}m 10 56\nf 10\n`;
    writeFileSync(join(dir, 'plain.trace.gz'), text);
    writeFileSync(join(dir, 'zipped.trace'), gzipSync(text));
    for (const name of ['plain.trace.gz', 'zipped.trace']) {
      expect((await readTraceFile(join(dir, name))).eventCount).toBe(2);
    }
  });

  it('reports a missing file with PYHEAP_E_FILE', async () => {
    await expect(readTraceFile(join(dir, 'missing.trace'))).rejects.toMatchObject({ code: 'PYHEAP_E_FILE' });
  });

  it('names the file in parse errors', async () => {
    writeFileSync(join(dir, 'bad.trace'), `${HEADER}m 10\n`);
    await expect(readTraceFile(join(dir, 'bad.trace'))).rejects.toThrow(`${join(dir, 'bad.trace')}:3:`);
  });
});
