/**
 * The worker thread's entry: runs the build's single-file bundle of
 * py-worker.ts (dist/workers/py-worker.bundle.cjs) through V8's code cache.
 *
 * Starting a thread costs most in compiling that megabyte of JavaScript, on
 * every recycle. The first thread of a supervisor compiles it from source
 * and, once booted, hands back the code V8 compiled (the cache covers every
 * function the boot ran); the supervisor passes that to each later thread,
 * which then compiles almost nothing (src/supervisor/worker-handle.ts). V8
 * checks that a cache matches the source and its own version and flags, and
 * compiles from source when it does not.
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { workerData } from 'node:worker_threads';
import { HOST_IMPORT } from '../src/io/import-module.js';
import { CODE_CACHE_MAKER } from './code-cache.js';

const file = fileURLToPath(new URL('./py-worker.bundle.cjs', import.meta.url));
const cachedData = (workerData as { codeCache?: Uint8Array | null }).codeCache ?? undefined;
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
// The bundle's import() of handler modules and tsx goes through this module's (src/io/import-module.ts).
(globalThis as Record<symbol, unknown>)[HOST_IMPORT] = (specifier: string) => import(specifier);
// The thread that compiled from source makes the cache once it has booted (workers/py-worker.ts).
if (cachedData === undefined || script.cachedDataRejected === true) {
  (globalThis as Record<symbol, unknown>)[CODE_CACHE_MAKER] = () => script.createCachedData();
}
const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
const module = { exports: {} };
run(module.exports, createRequire(file), module, file, fileURLToPath(new URL('.', import.meta.url)));
