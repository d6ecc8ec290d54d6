/**
 * Where the worker thread's loader (py-worker-loader.ts) leaves the function
 * that makes a V8 code cache of the bundle it ran, for the worker to call
 * once booted (py-worker.ts): a global, because the bundle cannot import the
 * loader that runs it.
 */
export const CODE_CACHE_MAKER = Symbol.for('pyheap.worker.makeCodeCache');

/** The code cache of the running bundle, if this thread compiled it from source under the loader; else null. */
export function makeCodeCache(): Uint8Array | null {
  const make = (globalThis as Record<symbol, unknown>)[CODE_CACHE_MAKER] as (() => Uint8Array) | undefined;
  if (make === undefined) return null;
  delete (globalThis as Record<symbol, unknown>)[CODE_CACHE_MAKER];
  return make();
}
