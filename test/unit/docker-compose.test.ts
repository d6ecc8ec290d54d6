/**
 * docker compose cannot run here (no Docker engine); what can be checked without
 * one is: the files parse, the commands exist, the mounts and addresses line up,
 * and the dashboard queries only metrics the service exports.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ServiceMetrics, type ServiceFigures } from '../../src/metrics/prometheus.js';
import type { ProcessStats } from '../../src/process/py-process.js';
import { pyheap, ROOT } from '../support/cli.js';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8')) as { services: Record<string, Service> };
const services = compose.services;
const readYaml = (path: string): unknown => parse(readFileSync(join(ROOT, path), 'utf8'));
const dashboard = JSON.parse(readFileSync(`${ROOT}deploy/grafana/dashboards/pyheap.json`, 'utf8')) as Record<string, unknown>;

/** The value after `flag` in a command line. */
function flag(command: string[], name: string): string | undefined {
  const at = command.indexOf(name);
  return at < 0 ? undefined : command[at + 1];
}

/** Where the host path `source` (as written in a volume, ./relative) is mounted in the service. */
function mountOf(service: Service, source: string): string | undefined {
  for (const volume of service.volumes ?? []) {
    const [from, to] = volume.split(':');
    if (from.replace(/^\.\//, '').replace(/\/$/, '') === source) return to;
  }
  return undefined;
}

/** Every value of `key` anywhere in a JSON tree. */
function valuesOf(node: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) node.forEach((n) => valuesOf(n, key, out));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === key) out.push(v);
      valuesOf(v, key, out);
    }
  }
  return out;
}

/** The metric names ServiceMetrics exports, histograms as their _bucket, _sum and _count series. */
async function exportedNames(): Promise<Set<string>> {
  const stats: ProcessStats = {
    rssBytes: 50e6,
    sharedBytes: 10e6,
    privateBytes: 40e6,
    peakRssBytes: 60e6,
    arenaBytes: 8e6,
    arenas: 8,
    poolsUsed: 1500,
    liveBytes: 6e6,
    fragmentation: 0.25,
    allocationsTotal: 1000,
    deallocationsTotal: 900,
    requestsServed: 10,
    gcCollections: [5, 1, 0],
    gcCollected: [50, 3, 0],
    gcPauseSecondsSum: 0.02,
    gcPauseSecondsMax: 0.005,
  };
  const figures: ServiceFigures = {
    workers: [
      { stats, state: 'busy' },
      { stats, state: 'idle' },
    ],
    queueDepth: 3,
    jobs: { enqueued: 12, completed: 10, failed: 1, retried: 1, duplicated: 0 },
    restarts: new Map([['recycled_requests', 1]]),
    capacityLostSeconds: 2.5,
    workersReady: 2,
    workersBooting: 0,
    simulationLagSeconds: 0,
    totalRssBytes: 90e6,
  };
  const m = new ServiceMetrics(() => figures);
  m.observe(0.01, 0.05, 0.06);
  const names = new Set<string>();
  for (const metric of await m.registry.getMetricsAsJSON()) {
    const type = String(metric.type); // 'counter', 'gauge', 'histogram' or 'summary'
    if (type === 'histogram' || type === 'summary') {
      for (const suffix of ['_sum', '_count', type === 'histogram' ? '_bucket' : '']) names.add(`${metric.name}${suffix}`);
    } else names.add(metric.name);
  }
  return names;
}

describe('docker-compose.yml', () => {
  it('runs Redis without persistence and without eviction', () => {
    const command = services.redis.command!;
    expect(command.join(' ')).toMatch(/--save\s+ --appendonly no/);
    expect(command).toContain('noeviction');
    expect(services.redis.ports).toEqual(['127.0.0.1:6379:6379']);
  });

  it('publishes every port on the host loopback only', () => {
    const ports = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('runs pyheap commands that exist, with flags they take and a valid scenario', () => {
    expect(readFileSync(`${ROOT}Dockerfile`, 'utf8')).toMatch(/ENTRYPOINT \["node", "dist\/src\/cli\/main\.js"\]/);
    const serve = services.pyheap.command!;
    const enqueue = services.loadgen.command!;
    expect(serve[0]).toBe('serve');
    expect(enqueue[0]).toBe('enqueue');
    expect(services.loadgen.profiles).toEqual(['load']);
    for (const s of [services.pyheap, services.loadgen]) {
      expect(s.build).toBe('.');
      expect(s.environment?.REDIS_URL).toBe('redis://redis:6379');
    }
    for (const command of [serve, enqueue]) {
      const help = pyheap([command[0], '--help']);
      expect(help.status, help.stderr).toBe(0);
      // --help exits before options are checked: check each flag against the help text.
      for (const f of command.filter((a) => a.startsWith('--'))) expect(help.stdout, `${command[0]} ${f}`).toContain(`${f} `);
      const scenario = command[1];
      const valid = pyheap(['validate', scenario]);
      expect(valid.status, valid.stderr).toBe(0);
      expect(flag(command, '--time-scale')).toBe('10');
    }
    // Scrapable from the compose network, published on the host's loopback.
    expect(flag(serve, '--metrics-host')).toBe('0.0.0.0');
    const port = flag(serve, '--metrics-port');
    expect(services.pyheap.ports).toEqual([`127.0.0.1:${port}:${port}`]);
  });

  it('has Prometheus scrape the pyheap service every 5s (profile monitoring)', () => {
    const prometheus = services.prometheus;
    expect(prometheus.profiles).toEqual(['monitoring']);
    expect(prometheus.image).toMatch(/^prom\/prometheus(:|$)/);
    expect(mountOf(prometheus, 'deploy/prometheus/prometheus.yml')).toBe('/etc/prometheus/prometheus.yml');
    const config = readYaml('deploy/prometheus/prometheus.yml') as {
      global?: { scrape_interval?: string };
      scrape_configs: { job_name: string; scrape_interval?: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };
    const port = flag(services.pyheap.command!, '--metrics-port');
    const jobs = config.scrape_configs.filter((j) => j.static_configs.some((c) => c.targets.includes(`pyheap:${port}`)));
    expect(jobs).toHaveLength(1);
    expect(jobs[0].scrape_interval ?? config.global?.scrape_interval).toBe('5s');
    expect(jobs[0].metrics_path ?? '/metrics').toBe('/metrics');
  });

  it('has Grafana provisioned with the Prometheus datasource and the dashboards (profile monitoring)', () => {
    const grafana = services.grafana;
    expect(grafana.profiles).toEqual(['monitoring']);
    expect(grafana.image).toMatch(/^grafana\/grafana(:|$)/);
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(grafana.environment?.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(grafana.ports).toEqual(['127.0.0.1:3000:3000']);
    expect(mountOf(grafana, 'deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const dashboards = mountOf(grafana, 'deploy/grafana/dashboards');
    expect(dashboards).toBeDefined();

    const datasources = readYaml('deploy/grafana/provisioning/datasources/prometheus.yml') as { datasources: { type: string; url: string }[] };
    expect(datasources.datasources.map((d) => [d.type, d.url])).toEqual([['prometheus', 'http://prometheus:9090']]);
    const providers = readYaml('deploy/grafana/provisioning/dashboards/pyheap.yml') as { providers: { type: string; options: { path: string } }[] };
    expect(providers.providers.map((p) => [p.type, p.options.path])).toEqual([['file', dashboards]]);
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    if (home !== undefined) {
      expect(home.startsWith(`${dashboards}/`), home).toBe(true);
      expect(existsSync(join(ROOT, 'deploy/grafana/dashboards', home.slice(dashboards!.length + 1)))).toBe(true);
    }
  });

  it('mounts only files and folders the repository has', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('.')) expect(existsSync(join(ROOT, source)), `${name}: ${volume}`).toBe(true);
      }
    }
  });
});

describe('deploy/grafana/dashboards/pyheap.json', () => {
  const exprs = valuesOf(dashboard, 'expr') as string[];
  const referenced = new Set(exprs.flatMap((e) => e.match(/\bpyheap_[A-Za-z0-9_:]*/g) ?? []));

  it('queries only metrics the service exports', async () => {
    expect(exprs.length).toBeGreaterThan(0);
    for (const e of exprs) expect(typeof e).toBe('string');
    const exported = await exportedNames();
    expect(exported).toContain('pyheap_latency_seconds_bucket');
    const unknown = [...referenced].filter((name) => !exported.has(name));
    expect(unknown, `not exported: ${unknown.join(', ')}`).toEqual([]);
  });

  it('shows memory, fragmentation, GC, latency, throughput, queue, workers, restarts and lag', () => {
    for (const name of [
      'pyheap_rss_bytes',
      'pyheap_fragmentation',
      'pyheap_gc_pause_seconds_total',
      'pyheap_gc_pause_seconds_max',
      'pyheap_latency_seconds_bucket',
      'pyheap_jobs_completed_total',
      'pyheap_queue_depth',
      'pyheap_workers_ready',
      'pyheap_workers_booting',
      'pyheap_restarts_total',
      'pyheap_simulation_lag_seconds',
    ]) {
      expect(referenced, name).toContain(name);
    }
    expect(exprs.filter((e) => e.includes('pyheap_latency_seconds_bucket')).every((e) => /histogram_quantile\(/.test(e) && /\bkind="/.test(e))).toBe(true);
    const annotations = (dashboard.annotations as { list: { expr?: string }[] }).list;
    expect(annotations.some((a) => /pyheap_restarts_total/.test(a.expr ?? ''))).toBe(true);
  });

  it('takes its datasource from the ${datasource} variable, never a fixed uid', () => {
    const variables = (dashboard.templating as { list: { name: string; type: string; query: string }[] }).list;
    expect(variables.filter((v) => v.name === 'datasource').map((v) => [v.type, v.query])).toEqual([['datasource', 'prometheus']]);
    const refs = valuesOf(dashboard, 'datasource');
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const uid = typeof ref === 'string' ? ref : (ref as { uid?: unknown } | null)?.uid;
      expect(uid, JSON.stringify(ref)).toBe('${datasource}');
    }
  });
});
