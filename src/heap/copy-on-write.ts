/**
 * Copy-on-write after fork. A worker forked from a master that imported the
 * app (Gunicorn preload_app, uWSGI without lazy-apps, Celery's prefork pool)
 * starts with every page of its heap shared with the master; a page becomes
 * the worker's own the first time it writes to it -- a reference count
 * changes, the collector writes a GC header, the allocator updates a pool's
 * free list. This tracks, per 4 KiB page of the heap's buffer, whether the
 * page is still shared: `shared_bytes` and `private_bytes` of DESIGN.md.
 *
 * Modelled: pymalloc pools' touched pages and the brk heap are shared at the
 * fork; writes through the allocator (the block and its pool header), reference
 * count changes and the collector's GC-header writes make pages private; an
 * arena returned to the OS stops counting. Simplified: the interpreter's own
 * baseline (code and static data) stays shared; glibc's mmapped chunks are
 * private to each process; container writes that change no reference count
 * (storing an int into an existing list slot) do not dirty pages by themselves.
 */
import { PAGE_SIZE_BYTES } from './layout.js';

/** Words per 4 KiB page. */
export const PAGE_WORDS_SHIFT = 10;

export class CopyOnWrite {
  /** 1 while the page is shared with the master and unwritten. */
  private readonly shared: Uint8Array;
  private sharedPageCount = 0;
  /** The interpreter baseline counted as shared (bytes). */
  readonly baselineSharedBytes: number;

  constructor(totalWords: number, baselineSharedBytes: number) {
    this.shared = new Uint8Array((totalWords >> PAGE_WORDS_SHIFT) + 1);
    this.baselineSharedBytes = baselineSharedBytes;
  }

  get sharedBytes(): number {
    return this.sharedPageCount * PAGE_SIZE_BYTES + this.baselineSharedBytes;
  }

  /** Marks the pages of [startWord, endWord) shared (at the fork). */
  markShared(startWord: number, endWord: number): void {
    for (let page = startWord >> PAGE_WORDS_SHIFT, last = (endWord - 1) >> PAGE_WORDS_SHIFT; page <= last; page++) {
      if (this.shared[page] === 0) {
        this.shared[page] = 1;
        this.sharedPageCount++;
      }
    }
  }

  /** A write to `word`: its page, if still shared, is copied (becomes private). */
  touch(word: number): void {
    const page = word >> PAGE_WORDS_SHIFT;
    if (this.shared[page] !== 0) {
      this.shared[page] = 0;
      this.sharedPageCount--;
    }
  }

  /** [startWord, endWord) was unmapped: its pages are neither shared nor resident any more. */
  release(startWord: number, endWord: number): void {
    for (let page = startWord >> PAGE_WORDS_SHIFT, last = (endWord - 1) >> PAGE_WORDS_SHIFT; page <= last; page++) {
      if (this.shared[page] !== 0) {
        this.shared[page] = 0;
        this.sharedPageCount--;
      }
    }
  }
}
