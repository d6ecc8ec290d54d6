/**
 * ★ Start here: the scenario file. One YAML document names the service
 * (workers, Python profile, preload, boot cost, GC settings), its endpoints
 * (the request mix and what each request does to the heap: behaviours, or a
 * handler module; CPU and I/O time), the load, the recycle policy, the
 * container, the outputs, and the seed. This schema validates it (strict:
 * unknown keys are errors) and is published as JSON Schema by `pyheap schema`.
 */
import { z } from 'zod';
import { loadSchema } from '../workload/load-schema.js';
import { containerSchema } from '../policy/container.js';
import { policySchema } from '../policy/schema.js';
import { behaviourSchema } from '../workload/behaviours/index.js';
import { durationDistributionSchema } from '../workload/distributions.js';
import { byteSizeSchema, durationSchema } from '../workload/units.js';

const gcSchema = z
  .strictObject({
    thresholds: z
      .tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)])
      .default([700, 10, 10])
      .describe('gc.set_threshold(threshold0, threshold1, threshold2); CPython starts with (700, 10, 10)'),
    enabled: z.boolean().default(true).describe('false: gc.disable() at startup (reference counting still frees acyclic garbage)'),
    freeze_after_boot: z.boolean().default(false).describe('gc.freeze() once the app is imported (after preload: before the fork)'),
  })
  .describe("the cyclic garbage collector's settings");

const bootSchema = z
  .strictObject({
    import_time: durationDistributionSchema.default(1).describe('how long importing the app takes (seconds or e.g. "1.5s"; a distribution)'),
    modules: z.number().int().min(0).default(50).describe('modules the import creates'),
    objects: z.number().int().min(0).default(20_000).describe('objects the import leaves alive (functions, dicts, strings, tuples, lists)'),
    touched_per_request: z
      .number()
      .int()
      .min(0)
      .default(100)
      .describe('imported objects a request uses (functions called, classes and constants read): their reference counts change'),
    hot_objects: z
      .number()
      .int()
      .min(0)
      .default(2000)
      .describe('how many distinct imported objects requests use between them (the hot code and data)'),
  })
  .describe("the app's import at every (re)start: its time and what it leaves in memory");

const serviceSchema = z
  .strictObject({
    workers: z.number().int().min(1).max(512).describe('worker processes (Gunicorn workers, Celery concurrency, uWSGI processes)'),
    python: z
      .enum(['3.11', '3.9', '3.8'])
      .default('3.11')
      .describe("the CPython version simulated: its pymalloc layout and its objects' sizes, dicts, instances and frames"),
    fork_time: durationSchema
      .default(0.005)
      .describe('boot time of a worker forked from a master that imported the app (Gunicorn preload_app, uWSGI without lazy-apps, Celery)'),
    attempts: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('executions a request gets when its worker is killed under it (Celery acks_late: the task goes back to the queue); 1: it fails'),
    boot: bootSchema.prefault({}),
    gc: gcSchema.prefault({}),
    backlog: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('requests that may wait for a worker; more are refused (default: Gunicorn 2048, uWSGI 100, Celery unlimited)'),
    heap: z
      .strictObject({
        arena_capacity: byteSizeSchema.default(1024 ** 3).describe('most pymalloc arena memory a worker may use'),
        raw_capacity: byteSizeSchema.default(1024 ** 3).describe('most raw (malloc) memory a worker may use'),
      })
      .prefault({})
      .describe('capacity reserved per simulated worker heap (exceeding it is a simulated MemoryError)'),
  })
  .describe('the simulated service');

const endpointSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[A-Za-z_][A-Za-z0-9_.:/-]*$/, 'a name of letters, digits and _ . : / -'),
    weight: z.number().positive().default(1).describe('share of requests (relative to the other endpoints)'),
    cpu: durationDistributionSchema.default(0).describe('CPU time of the request beyond its modelled object work (seconds; a distribution)'),
    io: durationDistributionSchema.default(0).describe('time waiting on I/O: database, upstream calls (seconds; a distribution)'),
    behaviours: z.array(behaviourSchema).default([]).describe('what the request does to the heap, in order'),
    handler: z
      .string()
      .min(1)
      .optional()
      .describe('a JavaScript or TypeScript module (path relative to the scenario) exporting handle(py, rng, app) and optionally boot(py, app)'),
  })
  .describe('one endpoint (or task type)');

/** BullMQ's stalled-job recovery for the real-time service; wall-clock seconds, not modelled ones. */
const transportSchema = z
  .strictObject({
    lock_duration: durationSchema
      .default(10)
      .describe("how long a consumer's lock on a running job lasts without renewal (BullMQ lockDuration; its default is 30s): a dead serve process's jobs come back after it"),
    stalled_interval: durationSchema
      .default(5)
      .describe('how often each consumer looks for jobs whose lock expired (BullMQ stalledInterval; its default is 30s)'),
    max_stalled_count: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe('a job whose consumer died more often than this fails for good (BullMQ maxStalledCount)'),
    prefetch_multiplier: z
      .number()
      .int()
      .min(1)
      .default(4)
      .describe(
        "jobs a serve process takes from the queue per worker, running or waiting for a free worker (Celery's worker_prefetch_multiplier, default 4): more keeps workers fed between Redis round trips; a dead process's prefetched jobs come back through stalled recovery",
      ),
  })
  .describe('how the real-time service (pyheap run / serve) recovers jobs from a consumer that died; wall-clock times, whatever the time scale');

const outputsSchema = z
  .strictObject({
    sample_interval: durationSchema.default(10).describe('how often samples.jsonl gets a line'),
    gc_event_min_pause: durationSchema.default(0.01).describe('collections at least this long are written to events.jsonl'),
    restart_window: durationSchema.default(30).describe('requests arriving this long after a worker exit count as "near a restart"'),
    drain: durationSchema.default(600).describe('after the load ends, how long requests in flight may take to finish'),
    thresholds: z
      .record(z.string(), z.array(z.string()))
      .default({})
      .describe('pass/fail thresholds in k6 syntax, e.g. {latency: ["p(99)<250"], jobs_lost: ["count==0"]}'),
  })
  .describe('what the run writes and checks');

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1).describe('the scenario name (run directories and reports carry it)'),
    description: z.string().optional(),
    seed: z.number().int().default(1).describe('the seed of every random draw: the same scenario and seed give the same run'),
    service: serviceSchema,
    endpoints: z.array(endpointSchema).min(1).describe('the request mix'),
    load: loadSchema,
    policy: policySchema,
    environment: z
      .strictObject({ container: containerSchema.optional() })
      .prefault({})
      .describe('where the service runs'),
    transport: transportSchema.prefault({}),
    outputs: outputsSchema.prefault({}),
  })
  .superRefine((s, ctx) => {
    const names = new Set<string>();
    s.endpoints.forEach((e, i) => {
      if (names.has(e.name)) ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'name'], message: `endpoint "${e.name}" is defined twice` });
      names.add(e.name);
      if (e.behaviours.length === 0 && e.handler === undefined && isZero(e.cpu) && isZero(e.io)) {
        ctx.addIssue({ code: 'custom', path: ['endpoints', i], message: 'an endpoint needs behaviours, a handler, or cpu/io time' });
      }
    });
  })
  .describe('A pyheap scenario: a simulated Python service, its load and its recycle policy.');

function isZero(d: unknown): boolean {
  return d === 0;
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** The scenario schema as JSON Schema (draft 2020-12), for editors. */
export function scenarioJsonSchema(): object {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' });
}
