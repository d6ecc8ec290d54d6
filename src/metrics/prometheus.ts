/**
 * The Prometheus exposition of a running service (`/metrics`), with DESIGN.md's
 * metric names under the `pyheap_` prefix in base units. The supervisor
 * aggregates its threads' figures itself -- prom-client aggregates cluster
 * workers, not threads -- by reading each worker's shared memory at scrape
 * time. The `worker` label is the slot index, never a thread id, so label
 * cardinality stays bounded across recycles. Latencies are histograms.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProcessStats } from '../process/py-process.js';

/** Seconds: from a millisecond to a minute and a half. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 90];

export interface ServiceFigures {
  /** Per slot: its figures, and its state name. */
  workers: { stats: ProcessStats; state: string }[];
  queueDepth: number;
  jobs: { enqueued: number; completed: number; failed: number; retried: number; duplicated: number };
  restarts: ReadonlyMap<string, number>;
  capacityLostSeconds: number;
  workersReady: number;
  workersBooting: number;
  simulationLagSeconds: number;
  totalRssBytes: number;
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'kind'>;
  private server: Server | null = null;

  constructor(figures: () => ServiceFigures) {
    const r = this.registry;
    // A slot's figures, refilled from the workers' shared memory at each scrape: gauges, or totals
    // of the slot's current process as counters that restart at zero when the worker is recycled,
    // as a restarted process's counters do (rate() handles resets). `pick` may give one figure per
    // generation (the `generation` label).
    const perSlot = (
      kind: 'gauge' | 'counter',
      name: string,
      help: string,
      pick: (s: ProcessStats) => number | readonly number[],
      byGeneration = false,
    ): void => {
      const config = { name: `pyheap_${name}`, help, labelNames: byGeneration ? ['worker', 'generation'] : ['worker'], registers: [r] };
      const each = (put: (labels: Record<string, string>, value: number) => void): void =>
        figures().workers.forEach((w, slot) => {
          const value = pick(w.stats);
          if (typeof value === 'number') put({ worker: String(slot) }, value);
          else value.forEach((n, g) => put({ worker: String(slot), generation: String(g) }, n));
        });
      if (kind === 'gauge') {
        new Gauge({
          ...config,
          collect() {
            this.reset();
            each((labels, value) => this.set(labels, value));
          },
        });
      } else {
        new Counter({
          ...config,
          collect() {
            this.reset();
            each((labels, value) => this.inc(labels, value));
          },
        });
      }
    };
    perSlot('gauge', 'rss_bytes', 'Resident memory of the simulated worker process.', (s) => s.rssBytes);
    perSlot('gauge', 'peak_rss_bytes', 'High-water mark of rss_bytes (ru_maxrss) of the current process.', (s) => s.peakRssBytes);
    perSlot('gauge', 'shared_bytes', 'Pages still shared copy-on-write with a preloading master.', (s) => s.sharedBytes);
    perSlot('gauge', 'private_bytes', 'rss_bytes minus shared_bytes.', (s) => s.privateBytes);
    perSlot('gauge', 'arena_bytes', 'pymalloc arenas held, bytes.', (s) => s.arenaBytes);
    perSlot('gauge', 'arenas', 'pymalloc arenas held.', (s) => s.arenas);
    perSlot('gauge', 'pools_used', 'pymalloc pools holding at least one block.', (s) => s.poolsUsed);
    perSlot('gauge', 'live_bytes', 'Bytes in allocated blocks (pymalloc and raw).', (s) => s.liveBytes);
    perSlot('gauge', 'fragmentation', '1 - live bytes / allocator footprint (arenas and raw memory).', (s) => s.fragmentation);
    perSlot('gauge', 'gc_pause_seconds_max', 'Longest collection of the current process.', (s) => s.gcPauseSecondsMax);
    perSlot('counter', 'allocations_total', 'Objects allocated by the current process of the slot.', (s) => s.allocationsTotal);
    perSlot('counter', 'deallocations_total', 'Objects freed by the current process of the slot.', (s) => s.deallocationsTotal);
    perSlot('counter', 'requests_served_total', 'Requests served by the current process of the slot.', (s) => s.requestsServed);
    perSlot('counter', 'gc_pause_seconds_total', 'Time in collections of the current process of the slot (modelled seconds).', (s) => s.gcPauseSecondsSum);
    perSlot('counter', 'gc_collections_total', 'Collections by generation of the current process of the slot.', (s) => s.gcCollections, true);
    perSlot('counter', 'gc_collected_total', 'Objects collected by generation of the current process of the slot.', (s) => s.gcCollected, true);
    new Gauge({
      name: 'pyheap_worker_state',
      help: '1 for the state the worker is in (booting, idle, busy, draining, dead).',
      labelNames: ['worker', 'state'],
      registers: [r],
      collect() {
        this.reset();
        figures().workers.forEach((w, slot) => this.set({ worker: String(slot), state: w.state }, 1));
      },
    });
    const service = (name: string, help: string, pick: (f: ServiceFigures) => number): void => {
      new Gauge({
        name: `pyheap_${name}`,
        help,
        registers: [r],
        collect() {
          this.set(pick(figures()));
        },
      });
    };
    service('queue_depth', 'Jobs waiting in the queue.', (f) => f.queueDepth);
    service('workers_ready', 'Workers idle or busy (booting and dead ones are not).', (f) => f.workersReady);
    service('workers_booting', 'Workers booting now.', (f) => f.workersBooting);
    service('simulation_lag_seconds', 'How far the simulator fell behind the modelled clock at worst (modelled seconds).', (f) => f.simulationLagSeconds);
    service('capacity_lost_seconds', 'Worker-seconds spent booting or waiting for a replacement since the service was first fully ready (modelled).', (f) => f.capacityLostSeconds);
    service('total_rss_bytes', 'Memory the container is charged: the master, and each worker without pages shared with it.', (f) => f.totalRssBytes);
    const jobs = (name: keyof ServiceFigures['jobs'], help: string): void => {
      let last = 0;
      new Counter({
        name: `pyheap_jobs_${name}_total`,
        help,
        registers: [r],
        collect() {
          const v = figures().jobs[name];
          if (v > last) this.inc(v - last);
          last = Math.max(last, v);
        },
      });
    };
    jobs('enqueued', 'Jobs added to the queue (all producers of the run).');
    jobs('completed', 'Jobs completed.');
    jobs('failed', 'Jobs failed for good (out of attempts, malformed, stalled too often).');
    jobs('retried', 'Executions that were retries.');
    jobs('duplicated', 'Executions whose result BullMQ did not keep (the job ran again elsewhere).');
    const restartTotals = new Map<string, number>();
    new Counter({
      name: 'pyheap_restarts_total',
      help: 'Worker exits by reason.',
      labelNames: ['reason'],
      registers: [r],
      collect() {
        for (const [reason, n] of figures().restarts) {
          const last = restartTotals.get(reason) ?? 0;
          if (n > last) this.inc({ reason }, n - last);
          restartTotals.set(reason, Math.max(last, n));
        }
      },
    });
    this.latency = new Histogram({
      name: 'pyheap_latency_seconds',
      help: 'Request latency by kind: wait (queued), service, total.',
      labelNames: ['kind'],
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
  }

  /** A completed request's latencies (modelled seconds). */
  observe(waitS: number, serviceS: number, totalS: number): void {
    this.latency.observe({ kind: 'wait' }, waitS);
    this.latency.observe({ kind: 'service' }, serviceS);
    this.latency.observe({ kind: 'total' }, totalS);
  }

  /**
   * Serves /metrics on host:port (127.0.0.1 unless told otherwise), and any
   * other path through `other` (the service's worker endpoints); resolves
   * with the port bound.
   */
  listen(port: number, host = '127.0.0.1', other?: (method: string, path: string) => Promise<{ status: number; body: unknown } | null>): Promise<number> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        const answer = other?.(req.method ?? 'GET', req.url ?? '/') ?? Promise.resolve(null);
        answer
          .then((a) => {
            if (a === null) res.writeHead(404).end('not found: the metrics are at /metrics, the workers at /workers\n');
            else res.writeHead(a.status, { 'content-type': 'application/json' }).end(`${JSON.stringify(a.body, null, 2)}\n`);
          })
          .catch((e: Error) => res.writeHead(500, { 'content-type': 'application/json' }).end(`${JSON.stringify({ error: e.message })}\n`));
        return;
      }
      this.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text))
        .catch((e: Error) => res.writeHead(500).end(`${e.message}\n`));
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
