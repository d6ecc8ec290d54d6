/**
 * Worker threads start from V8's code cache: the first thread of a
 * supervisor compiles the worker bundle from source and hands back the code
 * it compiled; the next ones start from it (workers/py-worker-loader.ts), and
 * still load the scenario's handler modules.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { scenarioSchema } from '../../src/scenario/scenario.js';
import { WorkerHandle, workerEntry } from '../../src/supervisor/worker-handle.js';
import { ROOT } from '../support/cli.js';

const scenarioPath = join(ROOT, 'scenarios/healthy-api.yaml');
const scenario = scenarioSchema.parse(parse(readFileSync(scenarioPath, 'utf8')));

async function bootOne(incarnation: number) {
  const handle = new WorkerHandle({ scenario, scenarioPath, seed: 1, slot: 0, incarnation, forked: false }, () => {});
  try {
    await handle.boot();
    return { madeCodeCache: handle.madeCodeCache, served: await handle.handle(2) };
  } finally {
    await handle.terminate();
  }
}

describe('worker threads and the code cache', () => {
  it('the first thread makes the cache, the next ones start from it and run handler modules', async () => {
    // The build's bundle, run by the loader (npm test builds first).
    expect(workerEntry()).toMatch(/dist\/workers\/py-worker-loader\.js$/);
    const first = await bootOne(1);
    expect(first.madeCodeCache).toBe(true);
    // A thread whose cache V8 accepted has nothing to hand back.
    const second = await bootOne(2);
    expect(second.madeCodeCache).toBe(false);
    // Endpoint 2 of healthy-api is export_report, whose handler module is loaded at boot (an import() from the cached code).
    expect(second.served.serviceS).toBeGreaterThan(0);
    expect(second.served.objectS).toBeGreaterThan(0);
  });
});
