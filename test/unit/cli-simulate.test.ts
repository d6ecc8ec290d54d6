/** pyheap simulate, validate and schema from the command line. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pyheap } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pyheap-simulate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A scenario small enough to simulate in well under a second. */
const SMALL = `# a small test service
name: small
seed: 4
service:
  workers: 2
  boot: { import_time: 0.5s, modules: 5, objects: 500 }
endpoints:
  - name: work
    io: { kind: exponential, mean: 20ms }
    behaviours:
      - { kind: parse_payload, fields: 6 }
      - { kind: leak, probability: 0.5, value: str, size: 100 }
load: { arrival: poisson, rate: 20, duration: 5m, warmup: 30s }
policy: { server: gunicorn, max_requests: 1000, max_requests_jitter: 100 }
outputs: { sample_interval: 15s }
`;
const scenario = join(dir, 'small.yaml');
writeFileSync(scenario, SMALL);

describe('pyheap simulate', () => {
  it('writes the run directory and prints the summary; the same seed gives byte-identical files', () => {
    const a = pyheap(['simulate', scenario, '--out', join(dir, 'a'), '-q']);
    pyheap(['simulate', scenario, '--out', join(dir, 'b'), '-q']);
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/requests\.+: [\d,]+ enqueued, [\d,]+ completed, 0 failed/);
    expect(a.stdout).toMatch(/latency\.+: avg=/);
    for (const file of ['scenario.yaml', 'samples.jsonl', 'events.jsonl', 'summary.json']) {
      expect(existsSync(join(dir, 'a', file)), file).toBe(true);
      expect(readFileSync(join(dir, 'a', file), 'utf8'), file).toBe(readFileSync(join(dir, 'b', file), 'utf8'));
    }
    const summary = JSON.parse(readFileSync(join(dir, 'a', 'summary.json'), 'utf8')) as { requests: { lost: number; completed: number } };
    expect(summary.requests.lost).toBe(0);
    expect(summary.requests.completed).toBeGreaterThan(5000);
    const samples = readFileSync(join(dir, 'a', 'samples.jsonl'), 'utf8').trim().split('\n');
    expect(samples.length).toBeGreaterThanOrEqual(20);
    const first = JSON.parse(samples[1]) as { workers: { rss_bytes: number; fragmentation: number }[] };
    expect(first.workers).toHaveLength(2);
    expect(first.workers[0].rss_bytes).toBeGreaterThan(5e6);
  });

  it('another seed gives another run; --json prints the summary as JSON', () => {
    const other = pyheap(['simulate', scenario, '--seed', '5', '--out', join(dir, 'c'), '--json', '-q']);
    expect(other.status).toBe(0);
    const summary = JSON.parse(other.stdout) as { seed: number; requests: { enqueued: number } };
    expect(summary.seed).toBe(5);
    const base = JSON.parse(readFileSync(join(dir, 'a', 'summary.json'), 'utf8')) as { requests: { enqueued: number } };
    expect(summary.requests.enqueued).not.toBe(base.requests.enqueued);
  });

  it('exits 99 when a threshold fails, 0 when all pass, and says which', () => {
    const fail = pyheap(['simulate', scenario, '--out', join(dir, 'd'), '-q', '--threshold', 'rss_slope_mb_per_hour: value<0']);
    expect(fail.status).toBe(99);
    expect(fail.stdout).toMatch(/✗ rss_slope_mb_per_hour: value<0/);
    const pass = pyheap(['simulate', scenario, '--out', join(dir, 'e'), '-q', '--threshold', 'jobs_lost: count==0', '--threshold', 'latency: p(99)<5000']);
    expect(pass.status).toBe(0);
    expect(pass.stdout).toMatch(/✓ jobs_lost: count==0/);
    expect(pass.stdout).toMatch(/✓ latency: p\(99\)<5000/);
  });

  it('rejects a bad threshold flag and a bad scenario with exit code 2, writing nothing', () => {
    const badFlag = pyheap(['simulate', scenario, '--out', join(dir, 'f'), '--threshold', 'latency: p(99) about 5']);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toMatch(/expected "aggregation operator number"/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, SMALL.replace('rate: 20', 'rate: -20').replace('workers: 2', 'workers: 2\n  wrokers: 3'));
    const out = pyheap(['simulate', bad, '--out', join(dir, 'g')]);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/bad\.yaml:6:3: service\.wrokers: unknown key "wrokers"/);
    expect(out.stderr).toMatch(/bad\.yaml:\d+:\d+: load\.rate: Too small/);
    expect(out.stderr).toMatch(/PYHEAP_E_SCENARIO/);
    expect(existsSync(join(dir, 'g'))).toBe(false);
  });
});

describe('pyheap validate and schema', () => {
  it('validates every shipped scenario', () => {
    const out = pyheap(['validate', 'scenarios/quickstart.yaml', 'scenarios/restart-storm.yaml']);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^ok {3}scenarios\/quickstart\.yaml: quickstart: 4 gunicorn workers/m);
  });

  it('names file, line, field and expectation for each problem; exit code 2', () => {
    const bad = join(dir, 'bad2.yaml');
    writeFileSync(bad, 'name: x\nservice: {workers: 0}\nendpoints: []\nload: {arrival: poisson, rate: 5, duration: 1m}\npolicy: {server: gunicorn}\n');
    const out = pyheap(['validate', bad, '--json']);
    expect(out.status).toBe(2);
    const [result] = JSON.parse(out.stdout) as { ok: boolean; problems: { line: number; path: string; message: string }[] }[];
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ line: 2, path: 'service.workers' }));
    expect(result.problems).toContainEqual(expect.objectContaining({ line: 3, path: 'endpoints' }));
  });

  it('prints the scenario schema as JSON Schema', () => {
    const out = pyheap(['schema']);
    expect(out.status).toBe(0);
    const schema = JSON.parse(out.stdout) as { $schema: string; properties: Record<string, unknown>; required: string[] };
    expect(schema.$schema).toContain('json-schema.org');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['service', 'endpoints', 'load', 'policy', 'environment', 'outputs']));
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'service', 'endpoints', 'load', 'policy']));
  });
});

describe('handler modules', () => {
  it('an endpoint may be a TypeScript module written against the object API', () => {
    const handler = join(dir, 'checkout.ts');
    writeFileSync(
      handler,
      `import type { Python, Ref } from '${new URL('../../src/objects/api.js', import.meta.url).pathname}';
export function boot(py: Python, app: Ref): void {
  py.setglobal(app, 'orders', py.list());
}
export function handle(py: Python, _rng: unknown, app: Ref): void {
  const order = py.dict([['total', py.int(4200)]]);
  py.append(py.getglobal(app, 'orders'), order);
}
`,
    );
    const yaml = join(dir, 'handler.yaml');
    writeFileSync(
      yaml,
      SMALL.replace(/behaviours:\n(\s+- .*\n)+/, 'handler: checkout.ts\n').replace('name: small', 'name: handler'),
    );
    const out = pyheap(['simulate', yaml, '--out', join(dir, 'h'), '--json', '-q']);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const summary = JSON.parse(out.stdout) as { requests: { completed: number }; memory: { slope_bytes_per_hour: number } };
    expect(summary.requests.completed).toBeGreaterThan(5000);
    // Every order is kept in the module-level list: memory grows.
    expect(summary.memory.slope_bytes_per_hour).toBeGreaterThan(0);
  });

  it('a handler module that does not export handle() is refused with the field', () => {
    writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    const yaml = join(dir, 'empty.yaml');
    writeFileSync(yaml, SMALL.replace(/behaviours:\n(\s+- .*\n)+/, 'handler: empty.mjs\n'));
    const out = pyheap(['simulate', yaml, '--out', join(dir, 'i')]);
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/endpoints\[0\]\.handler: .*empty\.mjs exports no handle\(py, rng, app\) function/);
  });
});
