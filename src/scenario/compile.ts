/**
 * A validated scenario compiled into what the engines run: the process model
 * (boot, GC settings, endpoints with their compiled behaviours and handler
 * modules), the recycle policy, the container, the load and the endpoint mix.
 */
import { isAbsolute, resolve, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SimulationPlan } from './plan.js';
import { PyheapError } from '../errors.js';
import { importModule } from '../io/import-module.js';
import { ContainerMemoryLimit } from '../policy/container.js';
import { policyFromConfig } from '../policy/schema.js';
import type { EndpointModel, HandlerModule, ProcessModel } from '../process/py-process.js';
import { compileBehaviour } from '../workload/behaviours/index.js';
import { compileDistribution } from '../workload/distributions.js';
import { loadDurationS } from '../workload/load-schema.js';
import type { Scenario } from './scenario.js';

/** Listen backlogs when the scenario gives none: Gunicorn's `backlog` default, uWSGI's `listen` default. */
const DEFAULT_BACKLOG: Record<string, number> = { gunicorn: 2048, uwsgi: 100, celery: Number.POSITIVE_INFINITY };

export interface CompileOptions {
  /** Where the scenario file is (handler paths are relative to it). */
  scenarioPath: string;
  /** Overrides, e.g. from flags. */
  seed?: number;
}

export async function compileScenario(scenario: Scenario, options: CompileOptions): Promise<SimulationPlan> {
  const endpoints: EndpointModel[] = [];
  for (const [i, e] of scenario.endpoints.entries()) {
    endpoints.push({
      name: e.name,
      cpu: compileDistribution(e.cpu),
      io: compileDistribution(e.io),
      behaviours: e.behaviours.map((b, j) => compileBehaviour(b, `${e.name}_${b.kind}_${j}`)),
      handler: e.handler === undefined ? null : await loadHandler(e.handler, options.scenarioPath, `endpoints[${i}].handler`),
    });
  }
  const service = scenario.service;
  const process: ProcessModel = {
    heap: { profile: service.python, arenaCapacityBytes: roundTo(service.heap.arena_capacity, 1 << 20), rawCapacityBytes: roundTo(service.heap.raw_capacity, 4096) },
    gcThresholds: service.gc.thresholds,
    gcEnabled: service.gc.enabled,
    freezeAfterBoot: service.gc.freeze_after_boot,
    importTime: compileDistribution(service.boot.import_time),
    importModules: service.boot.modules,
    importObjects: service.boot.objects,
    importTouchesPerRequest: service.boot.touched_per_request,
    importHotObjects: service.boot.hot_objects,
    endpoints,
    gcEventMinPauseS: scenario.outputs.gc_event_min_pause,
  };
  const policy = policyFromConfig(scenario.policy);
  const container = scenario.environment.container;
  return {
    name: scenario.name,
    seed: options.seed ?? scenario.seed,
    workers: service.workers,
    durationS: loadDurationS(scenario.load),
    drainS: scenario.outputs.drain,
    warmupS: scenario.load.warmup,
    sampleIntervalS: scenario.outputs.sample_interval,
    process,
    policy,
    forkTimeS: service.fork_time,
    container: container === undefined ? null : ContainerMemoryLimit.fromConfig(container),
    backlog: service.backlog ?? DEFAULT_BACKLOG[policy.server],
    attempts: service.attempts,
    load: scenario.load,
    endpoints: scenario.endpoints.map((e) => ({ name: e.name, weight: e.weight })),
    restartWindowS: scenario.outputs.restart_window,
  };
}

function roundTo(bytes: number, unit: number): number {
  return Math.max(unit, Math.ceil(bytes / unit) * unit);
}

/** An endpoint's handler module: ESM JavaScript, or TypeScript loaded through tsx. */
async function loadHandler(path: string, scenarioPath: string, field: string): Promise<HandlerModule> {
  const file = isAbsolute(path) ? path : resolve(dirname(scenarioPath), path);
  let module: Record<string, unknown>;
  try {
    if (/\.[cm]?ts$/.test(file)) {
      const { tsImport } = (await importModule('tsx/esm/api')) as { tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>> };
      module = await tsImport(pathToFileURL(file).href, import.meta.url);
    } else {
      module = await importModule(pathToFileURL(file).href);
    }
  } catch (e) {
    throw new PyheapError('PYHEAP_E_SCENARIO', `${scenarioPath}: ${field}: cannot load handler module ${file}: ${(e as Error).message}`, { cause: e });
  }
  const source = (module.default && typeof module.default === 'object' ? module.default : module) as Record<string, unknown>;
  if (typeof source.handle !== 'function') {
    throw new PyheapError('PYHEAP_E_SCENARIO', `${scenarioPath}: ${field}: ${file} exports no handle(py, rng, app) function`);
  }
  if (source.boot !== undefined && typeof source.boot !== 'function') {
    throw new PyheapError('PYHEAP_E_SCENARIO', `${scenarioPath}: ${field}: ${file} exports a boot that is not a function`);
  }
  return source as unknown as HandlerModule;
}
