/**
 * The pymalloc statistics of `sys._debugmallocstats()`
 * (Objects/obmalloc.c, `_PyObject_DebugMallocStats`), gathered the way CPython
 * gathers them: march over every allocated arena and every carved pool, skip
 * empty pools (they are counted among the unused pools), and add up. The
 * report is an accounting identity: blocks in use + available blocks + unused
 * pools + pool headers + quantization + arena alignment = arenas × ARENA_SIZE.
 *
 * `formatMallocStats` prints the same text as CPython, line for line, up to the
 * end of the pymalloc section (and, for 3.10+, the arena map block); the
 * free-list report that follows in CPython (`_PyObject_DebugTypeStats`) is
 * about objects, not allocations, and a trace cannot reproduce it.
 */
import type { Arenas } from './arena.js';
import type { ArenaMap } from './arena-map.js';
import {
  AO_ADDRESS,
  AO_NFREEPOOLS,
  AO_POOL_ADDRESS,
  CTRL_MAXARENAS,
  CTRL_NARENAS_CURRENT,
  CTRL_NARENAS_HIGHWATER,
  CTRL_NTIMES_ARENA_ALLOCATED,
  POOL_REF_COUNT,
  POOL_SZIDX,
  WORD_BYTES,
} from './layout.js';
import type { ProfileConstants, ProfileName, PythonProfile } from './profile.js';

/** What the statistics walk reads of a heap. */
export interface HeapStatsSource {
  readonly mem: Int32Array;
  readonly profile: PythonProfile;
  readonly constants: ProfileConstants;
  readonly arenas: Pick<Arenas, 'arenaObject' | 'osAddress'>;
  readonly arenaMap: Pick<ArenaMap, 'figures'> | null;
}

export interface SizeClassStats {
  sizeClass: number;
  size: number;
  numPools: number;
  blocksInUse: number;
  availBlocks: number;
}

export interface ArenaMapStats {
  midNodes: number;
  botNodes: number;
  rootBytes: number;
  midBytes: number;
  botBytes: number;
  totalBytes: number;
}

export interface MallocStats {
  profile: ProfileName;
  smallBlockThreshold: number;
  numSizeClasses: number;
  /** Size classes with at least one pool, ascending (CPython prints only those). */
  sizeClasses: SizeClassStats[];
  arenasAllocatedTotal: number;
  arenasReclaimed: number;
  arenasHighwaterMark: number;
  arenasAllocatedCurrent: number;
  arenaSizeBytes: number;
  arenaBytes: number;
  bytesInAllocatedBlocks: number;
  bytesInAvailableBlocks: number;
  unusedPools: number;
  poolSizeBytes: number;
  unusedPoolBytes: number;
  bytesLostToPoolHeaders: number;
  bytesLostToQuantization: number;
  bytesLostToArenaAlignment: number;
  totalBytes: number;
  /** 3.10+ only. */
  arenaMap: ArenaMapStats | null;
}

export function collectMallocStats(heap: HeapStatsSource): MallocStats {
  const m = heap.mem;
  const { profile, constants, arenas } = heap;
  const { poolSizeBytes, arenaSizeBytes, numSizeClasses } = constants;
  const poolWords = poolSizeBytes / WORD_BYTES;
  const numPools = new Array<number>(numSizeClasses).fill(0);
  const numBlocks = new Array<number>(numSizeClasses).fill(0);
  const numFreeBlocks = new Array<number>(numSizeClasses).fill(0);
  let narenas = 0;
  let numFreePools = 0;
  let arenaAlignment = 0;

  const maxarenas = m[CTRL_MAXARENAS];
  for (let i = 0; i < maxarenas; i++) {
    const ao = arenas.arenaObject(i);
    const base = m[ao + AO_ADDRESS];
    if (base === 0) continue;
    narenas++;
    numFreePools += m[ao + AO_NFREEPOOLS];
    if (arenas.osAddress(ao) % poolSizeBytes !== 0) arenaAlignment += poolSizeBytes;
    const end = m[ao + AO_POOL_ADDRESS];
    for (let pool = base; pool < end; pool += poolWords) {
      const count = m[pool + POOL_REF_COUNT];
      if (count === 0) continue;
      const sz = m[pool + POOL_SZIDX];
      numPools[sz]++;
      numBlocks[sz] += count;
      numFreeBlocks[sz] += numBlocksPerPool(poolSizeBytes, profile.poolOverheadBytes, (sz + 1) << profile.alignmentShift) - count;
    }
  }
  if (narenas !== m[CTRL_NARENAS_CURRENT]) {
    throw new Error(`heap invariant broken: ${narenas} allocated arenas found, narenas_currently_allocated is ${m[CTRL_NARENAS_CURRENT]}`);
  }

  const sizeClasses: SizeClassStats[] = [];
  let allocatedBytes = 0;
  let availableBytes = 0;
  let poolHeaderBytes = 0;
  let quantization = 0;
  for (let i = 0; i < numSizeClasses; i++) {
    if (numPools[i] === 0) continue;
    const size = (i + 1) << profile.alignmentShift;
    sizeClasses.push({ sizeClass: i, size, numPools: numPools[i], blocksInUse: numBlocks[i], availBlocks: numFreeBlocks[i] });
    allocatedBytes += numBlocks[i] * size;
    availableBytes += numFreeBlocks[i] * size;
    poolHeaderBytes += numPools[i] * profile.poolOverheadBytes;
    quantization += numPools[i] * ((poolSizeBytes - profile.poolOverheadBytes) % size);
  }
  const unusedPoolBytes = numFreePools * poolSizeBytes;
  const totalBytes = allocatedBytes + availableBytes + unusedPoolBytes + poolHeaderBytes + quantization + arenaAlignment;
  if (totalBytes !== narenas * arenaSizeBytes) {
    throw new Error(`heap invariant broken: malloc stats add up to ${totalBytes} bytes, ${narenas} arenas hold ${narenas * arenaSizeBytes}`);
  }
  const total = m[CTRL_NTIMES_ARENA_ALLOCATED];
  const map = heap.arenaMap?.figures();
  return {
    profile: profile.name,
    smallBlockThreshold: profile.smallRequestThreshold,
    numSizeClasses,
    sizeClasses,
    arenasAllocatedTotal: total,
    arenasReclaimed: total - narenas,
    arenasHighwaterMark: m[CTRL_NARENAS_HIGHWATER],
    arenasAllocatedCurrent: narenas,
    arenaSizeBytes,
    arenaBytes: narenas * arenaSizeBytes,
    bytesInAllocatedBlocks: allocatedBytes,
    bytesInAvailableBlocks: availableBytes,
    unusedPools: numFreePools,
    poolSizeBytes,
    unusedPoolBytes,
    bytesLostToPoolHeaders: poolHeaderBytes,
    bytesLostToQuantization: quantization,
    bytesLostToArenaAlignment: arenaAlignment,
    totalBytes,
    arenaMap:
      map === undefined
        ? null
        : { ...map, totalBytes: map.rootBytes + map.midBytes + map.botBytes },
  };
}

/** NUMBLOCKS(I) = (POOL_SIZE - POOL_OVERHEAD) / INDEX2SIZE(I). */
export function numBlocksPerPool(poolSizeBytes: number, poolOverheadBytes: number, blockSize: number): number {
  return Math.floor((poolSizeBytes - poolOverheadBytes) / blockSize);
}

/** printone(): the label padded to 35 columns, '=', the value with thousands separators right-aligned in 21. */
function printone(label: string, value: number): string {
  return `${label.padEnd(35)}=${value.toLocaleString('en-US').padStart(21)}\n`;
}

/** The text `sys._debugmallocstats()` prints for these statistics, up to the free-list report. */
export function formatMallocStats(s: MallocStats): string {
  let out = `Small block threshold = ${s.smallBlockThreshold}, in ${s.numSizeClasses} size classes.\n\n`;
  out += 'class   size   num pools   blocks in use  avail blocks\n';
  out += '-----   ----   ---------   -------------  ------------\n';
  for (const c of s.sizeClasses) {
    out += `${String(c.sizeClass).padStart(5)} ${String(c.size).padStart(6)} ${String(c.numPools).padStart(11)} `;
    out += `${String(c.blocksInUse).padStart(15)} ${String(c.availBlocks).padStart(13)}\n`;
  }
  out += '\n';
  out += printone('# arenas allocated total', s.arenasAllocatedTotal);
  out += printone('# arenas reclaimed', s.arenasReclaimed);
  out += printone('# arenas highwater mark', s.arenasHighwaterMark);
  out += printone('# arenas allocated current', s.arenasAllocatedCurrent);
  out += printone(`${s.arenasAllocatedCurrent} arenas * ${s.arenaSizeBytes} bytes/arena`, s.arenaBytes);
  out += '\n';
  out += printone('# bytes in allocated blocks', s.bytesInAllocatedBlocks);
  out += printone('# bytes in available blocks', s.bytesInAvailableBlocks);
  out += printone(`${s.unusedPools} unused pools * ${s.poolSizeBytes} bytes`, s.unusedPoolBytes);
  out += printone('# bytes lost to pool headers', s.bytesLostToPoolHeaders);
  out += printone('# bytes lost to quantization', s.bytesLostToQuantization);
  out += printone('# bytes lost to arena alignment', s.bytesLostToArenaAlignment);
  out += printone('Total', s.totalBytes);
  if (s.arenaMap !== null) {
    out += '\narena map counts\n';
    out += printone('# arena map mid nodes', s.arenaMap.midNodes);
    out += printone('# arena map bot nodes', s.arenaMap.botNodes);
    out += '\n';
    out += printone('# bytes lost to arena map root', s.arenaMap.rootBytes);
    out += printone('# bytes lost to arena map mid', s.arenaMap.midBytes);
    out += printone('# bytes lost to arena map bot', s.arenaMap.botBytes);
    out += printone('Total', s.arenaMap.totalBytes);
  }
  return out;
}
