/**
 * Reading a heap from another thread, through shared memory alone: a
 * supervisor samples a simulated worker's resident memory, arenas and
 * fragmentation at its own pace without messaging the worker. The worker hands
 * over its `SharedHeapHandle` once (it is structured-clonable); every read after
 * that is a read of the shared control block (rss.ts). Figures are as of the
 * moment of reading: the owner does not stop for a reader (layout.ts explains
 * why the counters cannot tear).
 */
import { CTRL_LAYOUT_VERSION, CTRL_MAGIC, CTRL_NARENAS_CURRENT, CTRL_PROFILE_ID, LAYOUT_MAGIC, LAYOUT_VERSION, WORD_BYTES } from './layout.js';
import { heapGeometry, type HeapGeometry } from './geometry.js';
import { PROFILE_NAMES, type ProfileName } from './profile.js';
import { type MemoryFigures, memoryFigures, residentBytes } from './rss.js';

/** What a thread needs to read a heap it does not own. */
export interface SharedHeapHandle {
  buffer: SharedArrayBuffer;
  profile: ProfileName;
  arenaCapacityBytes: number;
  rawCapacityBytes: number;
}

export class HeapReader {
  private readonly m: Int32Array;
  private readonly f64: Float64Array;
  private readonly geometry: HeapGeometry;

  constructor(handle: SharedHeapHandle) {
    this.geometry = heapGeometry(handle.profile, handle.arenaCapacityBytes, handle.rawCapacityBytes);
    const { layout } = this.geometry;
    // The buffer may be longer: the heap's annex follows it (allocator.ts).
    if (handle.buffer.byteLength < layout.totalBytes) {
      throw new RangeError(`shared heap buffer has ${handle.buffer.byteLength} bytes, its geometry needs ${layout.totalBytes}`);
    }
    this.m = new Int32Array(handle.buffer, 0, layout.totalBytes / WORD_BYTES);
    this.f64 = new Float64Array(handle.buffer, 0, (layout.arenaRegion * WORD_BYTES) / 8);
    if (
      this.m[CTRL_MAGIC] !== LAYOUT_MAGIC ||
      this.m[CTRL_LAYOUT_VERSION] !== LAYOUT_VERSION ||
      PROFILE_NAMES[this.m[CTRL_PROFILE_ID]] !== handle.profile
    ) {
      throw new RangeError('the shared buffer is not a pyheap heap of this layout version and profile');
    }
  }

  /** DESIGN.md's per-worker memory metrics, as of now. */
  memory(): MemoryFigures {
    const { constants, profile, layout } = this.geometry;
    return memoryFigures(this.m, this.f64, layout, constants.arenaSizeBytes, constants.poolSizeBytes, profile.alignmentShift);
  }

  /** rss_bytes alone: a few reads of the control block, no walk over the pools. */
  rssBytes(): number {
    return residentBytes(this.m, this.f64, this.geometry.layout);
  }

  get arenas(): number {
    return this.m[CTRL_NARENAS_CURRENT];
  }
}
