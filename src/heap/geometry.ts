/**
 * A heap's geometry: its profile's constants and its SharedArrayBuffer layout,
 * derived from the profile and the two capacities alone, so the owner and any
 * thread reading the same buffer (reader.ts) agree on where everything is.
 */
import { PyheapError } from '../errors.js';
import { computeLayout, DEFAULT_INTERPRETER_STATE_WORDS, type HeapLayout, PAGE_SIZE_BYTES } from './layout.js';
import { loadProfile, type ProfileConstants, profileConstants, type ProfileName, type PythonProfile } from './profile.js';

const GiB = 1024 * 1024 * 1024;
/**
 * The default capacities keep the whole buffer under 4 GiB, the most a byte
 * view (Uint8Array) of a SharedArrayBuffer may span: the object model reads
 * string and bytes contents through one.
 */
export const DEFAULT_ARENA_CAPACITY_BYTES = 2 * GiB;
export const DEFAULT_RAW_CAPACITY_BYTES = 2 * GiB - 64 * 1024 * 1024;

export interface HeapGeometry {
  profile: PythonProfile;
  constants: ProfileConstants;
  layout: HeapLayout;
  arenaCapacityBytes: number;
  rawCapacityBytes: number;
}

export function heapGeometry(profileName: ProfileName | undefined, arenaCapacityBytes?: number, rawCapacityBytes?: number): HeapGeometry {
  const profile = loadProfile(profileName);
  const constants = profileConstants(profile);
  const arenas = arenaCapacityBytes ?? DEFAULT_ARENA_CAPACITY_BYTES;
  const raw = rawCapacityBytes ?? DEFAULT_RAW_CAPACITY_BYTES;
  checkCapacity('arenaCapacityBytes', arenas, constants.arenaSizeBytes);
  checkCapacity('rawCapacityBytes', raw, PAGE_SIZE_BYTES);
  const layout = computeLayout({
    arenaSizeBytes: constants.arenaSizeBytes,
    numSizeClasses: constants.numSizeClasses,
    maxPoolsInArena: constants.maxPoolsInArena,
    maxArenas: Math.floor(arenas / constants.arenaSizeBytes),
    rawRegionBytes: raw,
    interpreterStateWords: DEFAULT_INTERPRETER_STATE_WORDS,
  });
  return { profile, constants, layout, arenaCapacityBytes: arenas, rawCapacityBytes: raw };
}

function checkCapacity(name: string, bytes: number, unit: number): void {
  if (!Number.isFinite(bytes) || bytes < unit || bytes % unit !== 0) {
    throw new PyheapError('PYHEAP_E_USAGE', `heap option ${name} must be a positive multiple of ${unit} bytes, got ${bytes}`);
  }
}
