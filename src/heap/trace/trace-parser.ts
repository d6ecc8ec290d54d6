/**
 * Reads an allocation trace (DESIGN.md, "Allocation trace, version 1") from
 * byte chunks and compiles it (compiled-trace.ts). Every malformed line, free
 * of an unknown pointer or allocation of a live one is an error naming the
 * source, the line number and the line; with `lenient`, unmatched frees and
 * reallocs (a trace recorded mid-process) are counted and skipped instead.
 *
 *   # pyheap-trace 1                                    first line, required
 *   # python 3.11.7 arena_size 1048576 pool_size 16384 alignment 16 small_threshold 512
 *   # mark <text>                                       a marker (kept)
 *   # ...                                               any other comment (ignored)
 *   m <ptr> <size>   c <ptr> <nelem> <elsize>   r <old_ptr> <new_ptr> <size>
 *   f <ptr>          A <arena_addr>             R <arena_addr>
 *
 * Pointers are hex without 0x (0 is NULL), sizes decimal. An allocation that
 * returned NULL (a failed malloc) allocates nothing; `f 0` frees nothing.
 */
import { type ErrorCode, PyheapError } from '../../errors.js';
import {
  type CompiledTrace,
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
import { PointerMap } from './pointer-map.js';

export interface TraceParseOptions {
  /** Named in error messages (a file path). */
  source?: string;
  /** Count and skip frees/reallocs of pointers never allocated in the trace. */
  lenient?: boolean;
}

const NEWLINE = 10;
const CR = 13;
const SPACE = 32;
const HASH = 35;
const MAX_UINT32 = 2 ** 32 - 1;
const FIRST_LINE = '# pyheap-trace 1';

export class TraceParser {
  private readonly source: string;
  private readonly lenient: boolean;
  private carry: Uint8Array | null = null;
  private ops = new Int32Array(1 << 16);
  private opLength = 0;
  private lines = new Int32Array(1 << 14);
  private eventCount = 0;
  private lineNumber = 0;
  private readonly pointers = new PointerMap();
  private freeSlots = new Int32Array(1 << 12);
  private freeSlotCount = 0;
  private nextSlot = 0;
  private readonly marks: string[] = [];
  private hasArenaEvents = false;
  private unmatchedFrees = 0;
  private failedAllocations = 0;
  private readonly header: TraceHeader = {
    formatVersion: 1,
    pythonVersion: null,
    arenaSizeBytes: null,
    poolSizeBytes: null,
    alignmentBytes: null,
    smallThreshold: null,
  };
  // Fields of the line being parsed (avoids allocating per line).
  private cursor = 0;
  private lineEnd = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private hexHi = 0;
  private hexLo = 0;

  constructor(options: TraceParseOptions = {}) {
    this.source = options.source ?? '<trace>';
    this.lenient = options.lenient ?? false;
  }

  /** Parses every complete line of the chunk; a partial last line waits for the next chunk. */
  push(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.carry !== null) {
      bytes = new Uint8Array(this.carry.length + chunk.length);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.length);
      this.carry = null;
    }
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start);
      if (nl < 0) break;
      this.parseLine(bytes, start, nl);
      start = nl + 1;
    }
    if (start < bytes.length) this.carry = bytes.slice(start);
  }

  /** Parses a final line without newline and returns the compiled trace. */
  finish(): CompiledTrace {
    if (this.carry !== null) {
      const rest = this.carry;
      this.carry = null;
      this.parseLine(rest, 0, rest.length);
    }
    if (this.lineNumber === 0) this.fail(0, 'the trace is empty', '');
    return {
      header: this.header,
      ops: this.ops.subarray(0, this.opLength),
      lines: this.lines.subarray(0, this.eventCount),
      eventCount: this.eventCount,
      slotCount: this.nextSlot,
      marks: this.marks,
      hasArenaEvents: this.hasArenaEvents,
      unmatchedFrees: this.unmatchedFrees,
      failedAllocations: this.failedAllocations,
      lineCount: this.lineNumber,
    };
  }

  private parseLine(bytes: Uint8Array, start: number, end: number): void {
    const line = ++this.lineNumber;
    if (end > start && bytes[end - 1] === CR) end--;
    if (line === 1) {
      const text = decode(bytes, start, end);
      if (text !== FIRST_LINE) this.fail(line, `not a pyheap trace: the first line must be "${FIRST_LINE}"`, text);
      return;
    }
    if (end === start) return;
    this.bytes = bytes;
    this.cursor = start + 1;
    this.lineEnd = end;
    const op = bytes[start];
    switch (op) {
      case 0x6d: // m <ptr> <size>
        this.parseMalloc(line, false);
        return;
      case 0x63: // c <ptr> <nelem> <elsize>
        this.parseMalloc(line, true);
        return;
      case 0x72: // r <old> <new> <size>
        this.parseRealloc(line);
        return;
      case 0x66: // f <ptr>
        this.parseFree(line);
        return;
      case 0x41: // A <arena>
      case 0x52: // R <arena>
        this.expectPointer(line, 'arena address');
        this.expectEnd(line);
        this.hasArenaEvents = true;
        this.emitEvent(line, 3);
        this.pushOp(op === 0x41 ? OP_ARENA_ALLOC : OP_ARENA_FREE, this.hexLo, this.hexHi);
        return;
      case HASH:
        this.parseComment(line, decode(bytes, start, end));
        return;
      default:
        this.fail(line, 'unknown event (expected one of m c r f A R or a # comment)', decode(bytes, start, end));
    }
  }

  private parseMalloc(line: number, isCalloc: boolean): void {
    this.expectPointer(line, 'pointer');
    const hi = this.hexHi;
    const lo = this.hexLo;
    const first = this.expectDecimal(line, isCalloc ? 'nelem' : 'size');
    const second = isCalloc ? this.expectDecimal(line, 'elsize') : 0;
    this.expectEnd(line);
    if (hi === 0 && lo === 0) {
      this.failedAllocations++;
      return;
    }
    if (this.pointers.get(hi, lo) >= 0) {
      if (!this.lenient) this.fail(line, 'allocation returned a pointer that is already live (its free is missing)', this.lineText(), 'PYHEAP_E_TRACE_POINTER');
      this.unmatchedFrees++;
      this.emitFree(line, this.pointers.delete(hi, lo));
    }
    const slot = this.allocSlot(hi, lo);
    if (isCalloc) {
      this.emitEvent(line, 4);
      this.pushOp(OP_CALLOC, slot, first, second);
    } else {
      this.emitEvent(line, 3);
      this.pushOp(OP_MALLOC, slot, first);
    }
  }

  private parseRealloc(line: number): void {
    this.expectPointer(line, 'old pointer');
    const oldHi = this.hexHi;
    const oldLo = this.hexLo;
    this.expectPointer(line, 'new pointer');
    const newHi = this.hexHi;
    const newLo = this.hexLo;
    const size = this.expectDecimal(line, 'size');
    this.expectEnd(line);
    if (newHi === 0 && newLo === 0) {
      // realloc failed: the old block is untouched.
      this.failedAllocations++;
      return;
    }
    let oldSlot = NO_SLOT;
    if (oldHi !== 0 || oldLo !== 0) {
      oldSlot = this.pointers.get(oldHi, oldLo);
      if (oldSlot < 0) {
        if (!this.lenient) this.fail(line, 'realloc of a pointer that is not live', this.lineText(), 'PYHEAP_E_TRACE_POINTER');
        this.unmatchedFrees++;
      }
    }
    if (oldSlot >= 0 && oldHi === newHi && oldLo === newLo) {
      this.emitEvent(line, 4);
      this.pushOp(OP_REALLOC, oldSlot, oldSlot, size);
      return;
    }
    if (this.pointers.get(newHi, newLo) >= 0) {
      if (!this.lenient) this.fail(line, 'realloc returned a pointer that is already live (its free is missing)', this.lineText(), 'PYHEAP_E_TRACE_POINTER');
      this.unmatchedFrees++;
      this.emitFree(line, this.pointers.delete(newHi, newLo));
    }
    const newSlot = this.allocSlot(newHi, newLo);
    this.emitEvent(line, 4);
    this.pushOp(OP_REALLOC, oldSlot, newSlot, size);
    if (oldSlot >= 0) this.releaseSlot(this.pointers.delete(oldHi, oldLo));
  }

  private parseFree(line: number): void {
    this.expectPointer(line, 'pointer');
    this.expectEnd(line);
    if (this.hexHi === 0 && this.hexLo === 0) return;
    const slot = this.pointers.delete(this.hexHi, this.hexLo);
    if (slot < 0) {
      if (!this.lenient) this.fail(line, 'free of a pointer that is not live', this.lineText(), 'PYHEAP_E_TRACE_POINTER');
      this.unmatchedFrees++;
      return;
    }
    this.emitFree(line, slot);
  }

  private emitFree(line: number, slot: number): void {
    this.emitEvent(line, 2);
    this.pushOp(OP_FREE, slot);
    this.releaseSlot(slot);
  }

  private parseComment(line: number, text: string): void {
    if (text.startsWith('# mark ') || text === '# mark') {
      this.emitEvent(line, 2);
      this.pushOp(OP_MARK, this.marks.length);
      this.marks.push(text.slice(7));
      return;
    }
    if (!text.startsWith('# python ')) return;
    const fields = text.slice(9).trim().split(/\s+/);
    this.header.pythonVersion = fields[0] ?? null;
    for (let i = 1; i + 1 < fields.length; i += 2) {
      const value = Number(fields[i + 1]);
      if (!Number.isInteger(value) || value <= 0) this.fail(line, `header field ${fields[i]} must be a positive integer`, text);
      switch (fields[i]) {
        case 'arena_size':
          this.header.arenaSizeBytes = value;
          break;
        case 'pool_size':
          this.header.poolSizeBytes = value;
          break;
        case 'alignment':
          this.header.alignmentBytes = value;
          break;
        case 'small_threshold':
          this.header.smallThreshold = value;
          break;
        default:
          break;
      }
    }
  }

  // ------------------------------------------------------------------ fields

  private expectPointer(line: number, what: string): void {
    const b = this.bytes;
    if (this.cursor >= this.lineEnd || b[this.cursor] !== SPACE) this.fail(line, `expected a space before the ${what}`, this.lineText());
    let i = ++this.cursor;
    let hi = 0;
    let lo = 0;
    const end = this.lineEnd;
    for (; i < end; i++) {
      const c = b[i];
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      hi = (hi << 4) | (lo >>> 28);
      lo = (lo << 4) | d;
    }
    const digits = i - this.cursor;
    if (digits === 0 || digits > 16) this.fail(line, `the ${what} must be 1 to 16 hex digits`, this.lineText());
    this.cursor = i;
    this.hexHi = hi;
    this.hexLo = lo;
  }

  private expectDecimal(line: number, what: string): number {
    const b = this.bytes;
    if (this.cursor >= this.lineEnd || b[this.cursor] !== SPACE) this.fail(line, `expected a space before the ${what}`, this.lineText());
    let i = ++this.cursor;
    let value = 0;
    for (; i < this.lineEnd; i++) {
      const c = b[i];
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
    }
    if (i === this.cursor) this.fail(line, `the ${what} must be a decimal number`, this.lineText());
    if (value > MAX_UINT32) this.fail(line, `the ${what} is larger than pyheap supports (2^32 - 1)`, this.lineText());
    this.cursor = i;
    return value;
  }

  private expectEnd(line: number): void {
    if (this.cursor !== this.lineEnd) this.fail(line, 'unexpected text after the last field', this.lineText());
  }

  private lineText(): string {
    let start = this.cursor;
    while (start > 0 && this.bytes[start - 1] !== NEWLINE) start--;
    return decode(this.bytes, start, this.lineEnd);
  }

  // ------------------------------------------------------------------ output

  private allocSlot(hi: number, lo: number): number {
    const slot = this.freeSlotCount > 0 ? this.freeSlots[--this.freeSlotCount] : this.nextSlot++;
    this.pointers.set(hi, lo, slot);
    return slot;
  }

  private releaseSlot(slot: number): void {
    if (this.freeSlotCount === this.freeSlots.length) this.freeSlots = grow(this.freeSlots);
    this.freeSlots[this.freeSlotCount++] = slot;
  }

  private emitEvent(line: number, words: number): void {
    if (this.eventCount === this.lines.length) this.lines = grow(this.lines);
    this.lines[this.eventCount++] = line;
    while (this.opLength + words > this.ops.length) this.ops = grow(this.ops);
  }

  private pushOp(a: number, b: number, c?: number, d?: number): void {
    const ops = this.ops;
    let n = this.opLength;
    ops[n++] = a;
    ops[n++] = b;
    if (c !== undefined) ops[n++] = c;
    if (d !== undefined) ops[n++] = d;
    this.opLength = n;
  }

  private fail(line: number, message: string, text: string, code: ErrorCode = 'PYHEAP_E_TRACE_SYNTAX'): never {
    const where = line > 0 ? `${this.source}:${line}` : this.source;
    throw new PyheapError(code, `${where}: ${message}: "${truncate(text)}"`);
  }
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

const utf8 = new TextDecoder();

function decode(bytes: Uint8Array, start: number, end: number): string {
  return utf8.decode(bytes.subarray(start, end));
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
