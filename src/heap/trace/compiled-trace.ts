/**
 * A trace parsed once into a compact form for replay: a stream of uint32 words,
 * each event an opcode and its operands, with every live pointer renamed to a
 * dense *slot* (slots of freed pointers are reused, last freed first). Replaying
 * it needs no hashing and no text: `slots[s] = heap.malloc(size)`.
 *
 * The same form, written to a file (`encodeCompiledTrace`), drives the C anchor
 * of the heap benchmark (tools/pytrace/pymalloc-replay.c):
 *
 *   bytes 0..7   magic "PYHTRC01"
 *   uint32       version (1)
 *   uint32       slotCount: slots the replay needs
 *   uint32       eventCount
 *   uint32       wordCount, then wordCount uint32 words (little-endian):
 *     1 MALLOC  slot size            4 FREE        slot
 *     2 CALLOC  slot nelem elsize    5 ARENA_ALLOC addrLow32 addrHigh32
 *     3 REALLOC oldSlot newSlot size 6 ARENA_FREE  addrLow32 addrHigh32
 *       (oldSlot 0xFFFFFFFF: NULL)    7 MARK        markIndex
 */
export const OP_MALLOC = 1;
export const OP_CALLOC = 2;
export const OP_REALLOC = 3;
export const OP_FREE = 4;
export const OP_ARENA_ALLOC = 5;
export const OP_ARENA_FREE = 6;
export const OP_MARK = 7;
/** Words an event of this opcode takes, opcode included. */
export function opWords(op: number): number {
  switch (op) {
    case OP_CALLOC:
    case OP_REALLOC:
      return 4;
    case OP_MALLOC:
    case OP_ARENA_ALLOC:
    case OP_ARENA_FREE:
      return 3;
    default:
      return 2;
  }
}

/** oldSlot of a realloc from NULL (stored as int32 -1). */
export const NO_SLOT = -1;

const MAGIC = 'PYHTRC01';
const VERSION = 1;
const HEADER_BYTES = 24;

/** What the `# python ...` header line says about the recording interpreter. */
export interface TraceHeader {
  formatVersion: number;
  pythonVersion: string | null;
  arenaSizeBytes: number | null;
  poolSizeBytes: number | null;
  alignmentBytes: number | null;
  smallThreshold: number | null;
}

export interface CompiledTrace {
  header: TraceHeader;
  /** The op stream (a view of exactly `wordCount` words). */
  ops: Int32Array;
  /** The trace line of each event, in event order (for error messages). */
  lines: Int32Array;
  eventCount: number;
  slotCount: number;
  /** Texts of `# mark` lines, indexed by OP_MARK's operand. */
  marks: string[];
  /** Whether the trace has arena (A/R) lines. */
  hasArenaEvents: boolean;
  /** Frees and reallocs of pointers never seen allocated, skipped under --lenient. */
  unmatchedFrees: number;
  /** Allocations that returned NULL (no block). */
  failedAllocations: number;
  /** Text lines read. */
  lineCount: number;
}

export function encodeCompiledTrace(trace: CompiledTrace): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + trace.ops.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, trace.slotCount, true);
  view.setUint32(16, trace.eventCount, true);
  view.setUint32(20, trace.ops.length, true);
  for (let i = 0; i < trace.ops.length; i++) view.setUint32(HEADER_BYTES + i * 4, trace.ops[i] >>> 0, true);
  return bytes;
}

/** Reads back the op stream of an encoded trace (header fields other than counts are not stored). */
export function decodeCompiledTrace(bytes: Uint8Array): Pick<CompiledTrace, 'ops' | 'eventCount' | 'slotCount'> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let magic = '';
  for (let i = 0; i < MAGIC.length; i++) magic += String.fromCharCode(bytes[i]);
  if (magic !== MAGIC || view.getUint32(8, true) !== VERSION) throw new Error('not a compiled pyheap trace (bad magic or version)');
  const wordCount = view.getUint32(20, true);
  const ops = new Int32Array(wordCount);
  for (let i = 0; i < wordCount; i++) ops[i] = view.getUint32(HEADER_BYTES + i * 4, true) | 0;
  return { ops, slotCount: view.getUint32(12, true), eventCount: view.getUint32(16, true) };
}

/** Splits a non-negative integer below 2^64 (given as hi/lo words) into an address double. */
export function joinAddress(lo: number, hi: number): number {
  return (hi >>> 0) * 2 ** 32 + (lo >>> 0);
}
