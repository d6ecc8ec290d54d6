/**
 * Walks a heap's structures and throws on any broken invariant of
 * src/heap/allocator.ts's header: pool lists, arena order, nfp2lasta, counters.
 */
import type { Heap } from '../../src/heap/allocator.js';
import {
  AO_ADDRESS,
  AO_FREEPOOLS,
  AO_NEXTARENA,
  AO_NFREEPOOLS,
  AO_NTOTALPOOLS,
  AO_POOL_ADDRESS,
  AO_PREVARENA,
  CTRL_MAXARENAS,
  CTRL_POOLS_IN_USE,
  CTRL_USABLE_ARENAS,
  F64_RAW_LIVE_BYTES,
  POOL_FREEBLOCK,
  POOL_NEXTOFFSET,
  POOL_NEXTPOOL,
  POOL_PREVPOOL,
  POOL_REF_COUNT,
  POOL_SZIDX,
  WORD_BYTES,
} from '../../src/heap/layout.js';
import { usedpoolHead } from '../../src/heap/pool.js';
import { numBlocksPerPool } from '../../src/heap/stats.js';

export function checkHeapInvariants(heap: Heap): void {
  const m = heap.mem;
  const { layout, profile, constants } = heap;
  const poolWords = constants.poolSizeBytes / WORD_BYTES;
  const fail = (msg: string): never => {
    throw new Error(`heap invariant broken: ${msg}`);
  };

  // Every pool on usedpools[c] is used (0 < count < NUMBLOCKS) and of class c; links are consistent.
  const onUsedList = new Set<number>();
  for (let c = 0; c < constants.numSizeClasses; c++) {
    const head = usedpoolHead(layout.usedpoolsBase, c);
    const nblocks = numBlocksPerPool(constants.poolSizeBytes, profile.poolOverheadBytes, (c + 1) << profile.alignmentShift);
    let prev = head;
    for (let pool = m[head + POOL_NEXTPOOL]; pool !== head; pool = m[pool + POOL_NEXTPOOL]) {
      if (m[pool + POOL_PREVPOOL] !== prev) fail(`pool ${pool}: prevpool does not point back`);
      if (m[pool + POOL_SZIDX] !== c) fail(`pool ${pool} of class ${m[pool + POOL_SZIDX]} on usedpools[${c}]`);
      const count = m[pool + POOL_REF_COUNT];
      if (count <= 0 || count >= nblocks + 1) fail(`pool ${pool} on usedpools has count ${count}`);
      if (m[pool + POOL_FREEBLOCK] === 0) fail(`pool ${pool} on usedpools has no free block`);
      if (onUsedList.has(pool)) fail(`pool ${pool} is on usedpools twice`);
      onUsedList.add(pool);
      prev = pool;
    }
    if (m[head + POOL_PREVPOOL] !== prev) fail(`usedpools[${c}]: head's prevpool is not the last pool`);
  }

  // Walk arenas: carved pools are empty (on freepools), used (on a usedpools list) or full (on no list).
  let poolsInUse = 0;
  const blocksPerClass = new Array<number>(constants.numSizeClasses).fill(0);
  for (let i = 0; i < m[CTRL_MAXARENAS]; i++) {
    const ao = heap.arenas.arenaObject(i);
    const base = m[ao + AO_ADDRESS];
    if (base === 0) continue;
    const free = new Set<number>();
    for (let p = m[ao + AO_FREEPOOLS]; p !== 0; p = m[p + POOL_NEXTPOOL]) free.add(p);
    const carved = (m[ao + AO_POOL_ADDRESS] - base) / poolWords;
    if (m[ao + AO_NFREEPOOLS] !== free.size + (m[ao + AO_NTOTALPOOLS] - carved)) fail(`arena ${i}: nfreepools miscounted`);
    for (let pool = base; pool < m[ao + AO_POOL_ADDRESS]; pool += poolWords) {
      const count = m[pool + POOL_REF_COUNT];
      if (count === 0) {
        if (!free.has(pool)) fail(`empty pool ${pool} is not on its arena's freepools`);
        continue;
      }
      poolsInUse++;
      const c = m[pool + POOL_SZIDX];
      blocksPerClass[c] += count;
      const size = (c + 1) << profile.alignmentShift;
      const full = m[pool + POOL_FREEBLOCK] === 0;
      if (full !== !onUsedList.has(pool)) fail(`pool ${pool}: full=${full} but on usedpools=${onUsedList.has(pool)}`);
      if (full && count !== numBlocksPerPool(constants.poolSizeBytes, profile.poolOverheadBytes, size)) {
        fail(`full pool ${pool} has count ${count}`);
      }
      if (m[pool + POOL_NEXTOFFSET] * WORD_BYTES > constants.poolSizeBytes + size) fail(`pool ${pool}: nextoffset beyond the pool`);
    }
  }
  if (poolsInUse !== m[CTRL_POOLS_IN_USE]) fail(`pools in use counter ${m[CTRL_POOLS_IN_USE]}, walk found ${poolsInUse}`);
  const walked = blocksPerClass.reduce((sum, n, c) => sum + n * ((c + 1) << profile.alignmentShift), 0);
  if (walked + heap.f64[F64_RAW_LIVE_BYTES] !== heap.memory().liveBytes) fail('live bytes disagree with the pools');

  // usable_arenas: sorted ascending by nfreepools, every member has free pools, nfp2lasta points at the last of each count.
  const lastWith = new Map<number, number>();
  let prevArena = 0;
  let prevCount = 0;
  for (let ao = m[CTRL_USABLE_ARENAS]; ao !== 0; ao = m[ao + AO_NEXTARENA]) {
    if (m[ao + AO_PREVARENA] !== prevArena) fail('usable_arenas: prevarena does not point back');
    const nf = m[ao + AO_NFREEPOOLS];
    if (nf <= 0) fail('usable_arenas holds an arena without free pools');
    if (nf < prevCount) fail('usable_arenas is not sorted by nfreepools');
    lastWith.set(nf, ao);
    prevArena = ao;
    prevCount = nf;
  }
  for (let nf = 1; nf <= constants.maxPoolsInArena; nf++) {
    const finger = m[layout.nfp2lastaBase + nf];
    if (finger !== (lastWith.get(nf) ?? 0)) fail(`nfp2lasta[${nf}] is ${finger}, expected ${lastWith.get(nf) ?? 0}`);
  }
}
