/**
 * The process page: a few words of a simulated process's own figures --
 * its state, requests served, objects allocated and freed, pages still shared
 * -- kept in its heap's SharedArrayBuffer next to the interpreter state, so a
 * supervisor on another thread reads them (with the heap's memory figures and
 * the collector's statistics, which live there too) without messaging the
 * worker. The owner writes it at boot and after every request.
 */
import { type HeapGeometry, heapGeometry } from '../heap/geometry.js';
import type { SharedHeapHandle } from '../heap/reader.js';
import { GC_STATE_OFFSET, STATIC_AREA_WORDS } from '../objects/static-area.js';
import { F64_PAUSE_MAX_NS, F64_PAUSE_TOTAL_NS, STAT_COLLECTED, STAT_COLLECTIONS, STAT_UNCOLLECTABLE } from '../gc/gc-state.js';

/** Word offsets from the interpreter state base (even: f64 fields are 8-byte aligned). */
const PAGE = STATIC_AREA_WORDS + (STATIC_AREA_WORDS & 1);
const STATE = PAGE + 0;
const REQUESTS = PAGE + 1;
const INCARNATION = PAGE + 2;
const F64_ALLOCATIONS = PAGE + 4;
const F64_DEALLOCATIONS = PAGE + 6;
const F64_SHARED_BYTES = PAGE + 8;
const F64_OBJECT_SECONDS = PAGE + 10;
export const PROCESS_PAGE_END = PAGE + 12;

/** A worker process's state, as the page and samples report it. */
export const PROCESS_STATES = ['dead', 'booting', 'idle', 'busy', 'draining'] as const;
export type ProcessState = (typeof PROCESS_STATES)[number];

export interface ProcessPageFigures {
  state: ProcessState;
  requestsServed: number;
  incarnation: number;
  allocationsTotal: number;
  deallocationsTotal: number;
  sharedBytes: number;
  modelledObjectSeconds: number;
  gcCollections: [number, number, number];
  gcCollected: [number, number, number];
  gcPauseSecondsSum: number;
  gcPauseSecondsMax: number;
}

/** Writes the page (the owner's side). */
export class ProcessPageWriter {
  private readonly m: Int32Array;
  private readonly f64: Float64Array;
  private readonly base: number;

  constructor(buffer: SharedArrayBuffer, interpreterStateBase: number) {
    this.m = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer, 0, (interpreterStateBase + PROCESS_PAGE_END + 1) >> 1);
    this.base = interpreterStateBase;
  }

  setState(state: ProcessState): void {
    this.m[this.base + STATE] = PROCESS_STATES.indexOf(state);
  }

  write(requests: number, incarnation: number, allocations: number, deallocations: number, sharedBytes: number, objectSeconds: number): void {
    const b = this.base;
    this.m[b + REQUESTS] = requests;
    this.m[b + INCARNATION] = incarnation;
    this.f64[(b + F64_ALLOCATIONS) >> 1] = allocations;
    this.f64[(b + F64_DEALLOCATIONS) >> 1] = deallocations;
    this.f64[(b + F64_SHARED_BYTES) >> 1] = sharedBytes;
    this.f64[(b + F64_OBJECT_SECONDS) >> 1] = objectSeconds;
  }
}

/** Reads the page, and the collector's statistics beside it, from another thread. */
export class ProcessPageReader {
  private readonly m: Int32Array;
  private readonly f64: Float64Array;
  private readonly base: number;
  private readonly gc: number;

  constructor(handle: SharedHeapHandle) {
    const geometry: HeapGeometry = heapGeometry(handle.profile, handle.arenaCapacityBytes, handle.rawCapacityBytes);
    this.base = geometry.layout.interpreterStateBase;
    this.gc = this.base + GC_STATE_OFFSET;
    this.m = new Int32Array(handle.buffer);
    this.f64 = new Float64Array(handle.buffer, 0, (this.base + PROCESS_PAGE_END + 1) >> 1);
  }

  /**
   * The state word is also written by the supervisor: it alone knows when a
   * process turns busy, idle or draining, and a shared-memory write spares a
   * message per request.
   */
  setState(state: ProcessState): void {
    this.m[this.base + STATE] = PROCESS_STATES.indexOf(state);
  }

  read(): ProcessPageFigures {
    const m = this.m;
    const b = this.base;
    const g = this.gc;
    const f = this.f64;
    return {
      state: PROCESS_STATES[m[b + STATE]] ?? 'dead',
      requestsServed: m[b + REQUESTS],
      incarnation: m[b + INCARNATION],
      allocationsTotal: f[(b + F64_ALLOCATIONS) >> 1],
      deallocationsTotal: f[(b + F64_DEALLOCATIONS) >> 1],
      sharedBytes: f[(b + F64_SHARED_BYTES) >> 1],
      modelledObjectSeconds: f[(b + F64_OBJECT_SECONDS) >> 1],
      gcCollections: [m[g + STAT_COLLECTIONS], m[g + STAT_COLLECTIONS + 1], m[g + STAT_COLLECTIONS + 2]],
      gcCollected: [
        m[g + STAT_COLLECTED] + m[g + STAT_UNCOLLECTABLE],
        m[g + STAT_COLLECTED + 1] + m[g + STAT_UNCOLLECTABLE + 1],
        m[g + STAT_COLLECTED + 2] + m[g + STAT_UNCOLLECTABLE + 2],
      ],
      gcPauseSecondsSum: f[(g + F64_PAUSE_TOTAL_NS) >> 1] / 1e9,
      gcPauseSecondsMax: f[(g + F64_PAUSE_MAX_NS) >> 1] / 1e9,
    };
  }
}
