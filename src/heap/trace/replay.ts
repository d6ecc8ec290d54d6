/**
 * Replays a compiled trace into a simulated heap.
 *
 * Under the layout it was recorded with, a trace's A/R lines give the arena
 * addresses CPython got from mmap (which decide 63 or 64 pools per arena), and
 * they double as a check: the simulation must map an arena exactly where CPython
 * did (an A line comes before the allocation that needed it) and unmap exactly
 * the arenas CPython unmapped (an R line comes before the free that emptied it).
 * Any disagreement stops the replay with PYHEAP_E_TRACE_MISMATCH, naming the
 * line. Under another layout ("what if we were on 3.9?"), or for a trace without
 * A/R lines, arena placement comes from the heap's own address-space model.
 */
import { PyheapError } from '../../errors.js';
import { Heap, type HeapOptions } from '../allocator.js';
import type { ArenaAddressSource } from '../arena.js';
import { loadProfile, type ProfileName, profileConstants } from '../profile.js';
import {
  type CompiledTrace,
  joinAddress,
  NO_SLOT,
  OP_ARENA_ALLOC,
  OP_ARENA_FREE,
  OP_CALLOC,
  OP_FREE,
  OP_MALLOC,
  OP_MARK,
  OP_REALLOC,
  type TraceHeader,
} from './compiled-trace.js';

export interface ReplayOptions extends Omit<HeapOptions, 'profile' | 'arenaSource'> {
  /** The layout to replay under; default: the one the trace was recorded with (profileForTrace). */
  profile?: ProfileName;
  /** Called at each `# mark` line with its text and the heap as it is at that point. */
  onMark?: (text: string, heap: Heap) => void;
  /** Called every `progressEvery` events (for progress bars). */
  onProgress?: (eventsDone: number) => void;
  progressEvery?: number;
}

export interface ReplayResult {
  heap: Heap;
  profile: ProfileName;
  /** Whether arena placement came from the trace's A/R lines (and was checked against them). */
  usedRecordedArenas: boolean;
  events: number;
}

/**
 * The profile matching the interpreter that recorded the trace (its `# python`
 * header), or null when the header does not say.
 */
export function profileForTrace(header: TraceHeader): ProfileName | null {
  const version = header.pythonVersion?.match(/^(\d+)\.(\d+)(?:\.(\d+))?/);
  if (version) {
    const [major, minor, micro] = [Number(version[1]), Number(version[2]), Number(version[3] ?? 0)];
    if (major === 3 && minor >= 10) return '3.11';
    if (major === 3 && minor === 9) return '3.9';
    if (major === 3 && (minor === 8 || (minor === 7 && micro >= 4))) return '3.8';
    if (major === 3 && minor === 7) return '3.7';
  }
  if (header.arenaSizeBytes === 1 << 20) return '3.11';
  if (header.arenaSizeBytes === 1 << 18) return header.alignmentBytes === 8 ? '3.7' : '3.8';
  return null;
}

/** Arena addresses taken from the trace, with every map and unmap checked against it. */
export class RecordedArenas implements ArenaAddressSource {
  private readonly pendingMaps: number[] = [];
  private readonly pendingUnmaps: number[] = [];
  line = 0;

  reset(): void {
    this.pendingMaps.length = 0;
    this.pendingUnmaps.length = 0;
    this.line = 0;
  }

  recordMap(address: number): void {
    this.pendingMaps.push(address);
  }

  recordUnmap(address: number): void {
    this.pendingUnmaps.push(address);
  }

  get settled(): boolean {
    return this.pendingMaps.length === 0 && this.pendingUnmaps.length === 0;
  }

  mapArena(): number {
    const address = this.pendingMaps.shift();
    if (address === undefined) {
      throw mismatch(this.line, 'the simulated allocator mapped a new arena here, but the trace has no A line for it');
    }
    return address;
  }

  unmapArena(osAddress: number): void {
    const i = this.pendingUnmaps.indexOf(osAddress);
    if (i < 0) {
      throw mismatch(this.line, `the simulated allocator released the arena at ${osAddress.toString(16)} here, but the trace has no R line for it`);
    }
    this.pendingUnmaps.splice(i, 1);
  }

  checkSettled(): void {
    if (this.pendingMaps.length > 0) {
      throw mismatch(this.line, `CPython mapped an arena at ${this.pendingMaps[0].toString(16)} here, but the simulated allocator did not need one`);
    }
    if (this.pendingUnmaps.length > 0) {
      throw mismatch(this.line, `CPython released the arena at ${this.pendingUnmaps[0].toString(16)} here, but the simulated allocator kept it`);
    }
  }
}

function mismatch(line: number, message: string): PyheapError {
  return new PyheapError('PYHEAP_E_TRACE_MISMATCH', `line ${line}: ${message}`);
}

/** A heap ready to replay `trace`, with the arena source its layout calls for. */
export interface ReplayTarget {
  heap: Heap;
  profile: ProfileName;
  /** The trace's arena addresses, when they apply to this layout. */
  recorded: RecordedArenas | null;
}

export function createReplayTarget(trace: CompiledTrace, options: Omit<ReplayOptions, 'onMark' | 'onProgress' | 'progressEvery'> = {}): ReplayTarget {
  const { profile: requested, ...heapOptions } = options;
  const profile = requested ?? profileForTrace(trace.header) ?? '3.11';
  const constants = profileConstants(loadProfile(profile));
  const recorded = trace.hasArenaEvents && trace.header.arenaSizeBytes === constants.arenaSizeBytes ? new RecordedArenas() : null;
  const heap = new Heap({ ...heapOptions, profile, arenaSource: recorded ?? undefined });
  return { heap, profile, recorded };
}

export function replayTrace(trace: CompiledTrace, options: ReplayOptions = {}): ReplayResult {
  const { onMark, onProgress, progressEvery, ...targetOptions } = options;
  return replayInto(trace, createReplayTarget(trace, targetOptions), { onMark, onProgress, progressEvery });
}

/** Replays a trace into a target's heap, which must be empty (new, or reset with its arena source). */
export function replayInto(
  trace: CompiledTrace,
  target: ReplayTarget,
  options: Pick<ReplayOptions, 'onMark' | 'onProgress' | 'progressEvery'> = {},
): ReplayResult {
  const { heap, recorded } = target;
  const { onMark, onProgress, progressEvery = 1 << 20 } = options;
  const slots = new Int32Array(Math.max(1, trace.slotCount));
  const ops = trace.ops;
  const lines = trace.lines;
  let event = 0;
  for (let i = 0; i < ops.length; event++) {
    if (recorded !== null) recorded.line = lines[event];
    switch (ops[i]) {
      case OP_MALLOC:
        slots[ops[i + 1]] = heap.malloc(ops[i + 2] >>> 0);
        i += 3;
        break;
      case OP_CALLOC:
        slots[ops[i + 1]] = heap.calloc(ops[i + 2] >>> 0, ops[i + 3] >>> 0);
        i += 4;
        break;
      case OP_REALLOC: {
        const old = ops[i + 1];
        slots[ops[i + 2]] = heap.realloc(old === NO_SLOT ? 0 : slots[old], ops[i + 3] >>> 0);
        i += 4;
        break;
      }
      case OP_FREE:
        heap.free(slots[ops[i + 1]]);
        i += 2;
        break;
      case OP_ARENA_ALLOC:
        recorded?.recordMap(joinAddress(ops[i + 1], ops[i + 2]));
        i += 3;
        continue;
      case OP_ARENA_FREE:
        recorded?.recordUnmap(joinAddress(ops[i + 1], ops[i + 2]));
        i += 3;
        continue;
      case OP_MARK:
        onMark?.(trace.marks[ops[i + 1]], heap);
        i += 2;
        continue;
      default:
        throw new Error(`corrupt compiled trace: opcode ${ops[i]} at word ${i}`);
    }
    if (recorded !== null && !recorded.settled) recorded.checkSettled();
    if (onProgress !== undefined && event % progressEvery === 0) onProgress(event);
  }
  if (recorded !== null) {
    recorded.line = trace.lineCount;
    recorded.checkSettled();
  }
  return { heap, profile: target.profile, usedRecordedArenas: recorded !== null, events: trace.eventCount };
}
