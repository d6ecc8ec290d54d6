/**
 * CPython version profiles: the tunables of Objects/obmalloc.c ("Main tunable
 * settings section") for each layout pyheap can simulate, checked when loaded
 * the way obmalloc checks them at compile time.
 *
 *   profile  CPython          arena    pool    alignment  classes  wholly free arena
 *   3.11     3.10 – 3.13      1 MiB    16 KiB  16         32       kept if last usable (bpo-37257)
 *   3.9      3.9              256 KiB  4 KiB   16         32       kept if last usable (bpo-37257)
 *   3.8      3.7.4 – 3.8      256 KiB  4 KiB   16         32       always released
 *   3.7      3.7.0 – 3.7.3    256 KiB  4 KiB   8          64       always released
 *
 * 3.10 moved to 1 MiB arenas and 16 KiB pools (USE_LARGE_ARENAS/USE_LARGE_POOLS,
 * possible once the radix tree replaced address_in_range's pool-header read,
 * bpo-37448). 3.8 raised ALIGNMENT to 16 on 64-bit (bpo-27987), a change
 * backported to 3.7.4, so a 3.7.16 interpreter has the "3.8" layout; "3.7" is
 * the layout of 3.7.0–3.7.3, as DESIGN.md names it. 3.9 stopped releasing a
 * wholly free arena that is the last one of usable_arenas (bpo-37257).
 *
 * `baselineRssBytes` is the resident memory of the interpreter that pyheap does
 * not model block by block (text of python and its libraries, static data, the
 * RAW-domain allocations, the thread stack): VmRSS at the end of `python -S`
 * start-up minus what the simulated heap holds after replaying the trace of
 * that same start-up. Measured with bench/baseline-rss.ts on Debian 12 x86-64
 * (CPython 3.11.7, 3.9.18, 3.8.18 and, for "3.7", 3.7.16), median of 7 runs.
 */
import { POOL_HEADER_WORDS, WORD_BYTES } from './layout.js';

export type ProfileName = '3.11' | '3.9' | '3.8' | '3.7';

export interface PythonProfile {
  readonly name: ProfileName;
  /** The CPython versions whose obmalloc.c this profile follows. */
  readonly cpython: string;
  /** ARENA_BITS: log2 of ARENA_SIZE. */
  readonly arenaBits: number;
  /** POOL_BITS: log2 of POOL_SIZE. */
  readonly poolBits: number;
  /** ALIGNMENT_SHIFT: log2 of ALIGNMENT, the size-class step. */
  readonly alignmentShift: number;
  /** SMALL_REQUEST_THRESHOLD: larger requests go to the raw allocator. */
  readonly smallRequestThreshold: number;
  /** POOL_OVERHEAD: sizeof(struct pool_header) rounded up to ALIGNMENT. */
  readonly poolOverheadBytes: number;
  /** bpo-37257 (3.9+): a wholly free arena survives when it is the last usable one. */
  readonly keepsLastFreeArena: boolean;
  /** bpo-37448 (3.10+): the radix tree `arena_map_*` and its statistics block. */
  readonly hasArenaMap: boolean;
  /** Resident bytes of the interpreter outside the simulated heap (measured). */
  readonly baselineRssBytes: number;
}

/** Derived constants every hot path uses; computed once per heap. */
export interface ProfileConstants {
  readonly arenaSizeBytes: number;
  readonly poolSizeBytes: number;
  readonly alignmentBytes: number;
  readonly numSizeClasses: number;
  /** MAX_POOLS_IN_ARENA = ARENA_SIZE / POOL_SIZE. */
  readonly maxPoolsInArena: number;
}

const KiB = 1024;

const PROFILES: Readonly<Record<ProfileName, PythonProfile>> = {
  '3.11': {
    name: '3.11',
    cpython: '3.10–3.13 layout; statistics and baseline of 3.11 (measured on 3.11.7)',
    arenaBits: 20,
    poolBits: 14,
    alignmentShift: 4,
    smallRequestThreshold: 512,
    poolOverheadBytes: 48,
    keepsLastFreeArena: true,
    hasArenaMap: true,
    baselineRssBytes: 7220 * KiB,
  },
  '3.9': {
    name: '3.9',
    cpython: '3.9 (measured on 3.9.18)',
    arenaBits: 18,
    poolBits: 12,
    alignmentShift: 4,
    smallRequestThreshold: 512,
    poolOverheadBytes: 48,
    keepsLastFreeArena: true,
    hasArenaMap: false,
    baselineRssBytes: 5680 * KiB,
  },
  '3.8': {
    name: '3.8',
    cpython: '3.7.4–3.8 (measured on 3.8.18)',
    arenaBits: 18,
    poolBits: 12,
    alignmentShift: 4,
    smallRequestThreshold: 512,
    poolOverheadBytes: 48,
    keepsLastFreeArena: false,
    hasArenaMap: false,
    baselineRssBytes: 5356 * KiB,
  },
  '3.7': {
    name: '3.7',
    cpython: '3.7.0–3.7.3',
    arenaBits: 18,
    poolBits: 12,
    alignmentShift: 3,
    smallRequestThreshold: 512,
    poolOverheadBytes: 48,
    keepsLastFreeArena: false,
    hasArenaMap: false,
    baselineRssBytes: 5108 * KiB,
  },
};

export const DEFAULT_PROFILE: ProfileName = '3.11';
export const PROFILE_NAMES: readonly ProfileName[] = Object.keys(PROFILES) as ProfileName[];

export function isProfileName(name: string): name is ProfileName {
  return Object.prototype.hasOwnProperty.call(PROFILES, name);
}

/** The profile of that name, checked as obmalloc checks its tunables. */
export function loadProfile(name: ProfileName = DEFAULT_PROFILE): PythonProfile {
  const profile = PROFILES[name];
  if (profile === undefined) {
    throw new RangeError(`unknown Python profile "${String(name)}"; expected one of ${PROFILE_NAMES.join(', ')}`);
  }
  checkProfile(profile);
  return profile;
}

export function profileConstants(profile: PythonProfile): ProfileConstants {
  const arenaSizeBytes = 2 ** profile.arenaBits;
  const poolSizeBytes = 2 ** profile.poolBits;
  const alignmentBytes = 2 ** profile.alignmentShift;
  return {
    arenaSizeBytes,
    poolSizeBytes,
    alignmentBytes,
    numSizeClasses: profile.smallRequestThreshold / alignmentBytes,
    maxPoolsInArena: arenaSizeBytes / poolSizeBytes,
  };
}

/**
 * The compile-time checks of obmalloc.c ("#error arena size not an exact
 * multiple of pool size", ALIGNMENT a power of two, ...) plus what pyheap's
 * layout needs (word-addressed memory: every block a multiple of 4 bytes).
 */
export function checkProfile(p: PythonProfile): void {
  const problems: string[] = [];
  if (!Number.isInteger(p.poolBits) || p.poolBits < 12) problems.push('poolBits must be an integer >= 12 (a pool is at least a 4 KiB page)');
  if (!Number.isInteger(p.arenaBits) || p.arenaBits < p.poolBits || p.arenaBits > 24) {
    problems.push('arenaBits must be an integer between poolBits and 24 (ARENA_SIZE a multiple of POOL_SIZE)');
  }
  if (p.arenaBits - p.poolBits > 6) problems.push('at most 64 pools per arena (MAX_POOLS_IN_ARENA)');
  if (p.alignmentShift !== 3 && p.alignmentShift !== 4) problems.push('alignmentShift must be 3 or 4 (ALIGNMENT 8 or 16)');
  if (p.smallRequestThreshold % (1 << p.alignmentShift) !== 0 || p.smallRequestThreshold > 512 || p.smallRequestThreshold <= 0) {
    problems.push('smallRequestThreshold must be a positive multiple of ALIGNMENT, at most 512');
  }
  if (p.poolOverheadBytes % (1 << p.alignmentShift) !== 0 || p.poolOverheadBytes < POOL_HEADER_WORDS * WORD_BYTES) {
    problems.push(`poolOverheadBytes must be a multiple of ALIGNMENT and hold the ${POOL_HEADER_WORDS * WORD_BYTES}-byte simulated pool header`);
  }
  if (!(p.baselineRssBytes >= 0)) problems.push('baselineRssBytes must be >= 0');
  if (problems.length > 0) {
    throw new RangeError(`invalid Python profile ${p.name}: ${problems.join('; ')}`);
  }
}
