/**
 * The virtual-time engine's speed (`npm run bench:engine`).
 *
 * Simulating a Python process costs about what the process spends
 * allocating, so the figures are per simulated object operation:
 *
 *   1. object operations per wall second on the leaky-API scenario (8 workers,
 *      thousands of objects per request): object creations + deallocations,
 *      reference counting, GC bookkeeping and the engine included; one core
 *      (required >= 8 M/s, aim >= 15 M/s);
 *   2. the engine's own cost per request: the same scenario and load with the
 *      endpoints' behaviours removed (each request is still drawn, queued,
 *      dispatched, handled in an empty frame, completed and measured), wall
 *      time per request (required <= 5 µs);
 *   3. every shipped scenario, once: its speed-up over real time, with its
 *      allocations per simulated second (the speed-up follows from it).
 *
 *   npm run bench:engine [-- --runs 3] [--write]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Simulation } from '../src/engine/event-loop.js';
import { compileScenario } from '../src/scenario/compile.js';
import { type Scenario, scenarioSchema } from '../src/scenario/scenario.js';
import { fmt, machineLine, ReportLines, repoRoot, summary, writeResultsSection } from './results.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const write = args.includes('--write');
const scenariosDir = join(repoRoot, 'scenarios');

interface Measured {
  wallS: number;
  simulatedS: number;
  requests: number;
  objectOps: number;
  allocations: number;
}

async function measure(scenario: Scenario, path: string): Promise<Measured> {
  const plan = await compileScenario(scenario, { scenarioPath: path });
  const sink = { sample: () => {}, event: () => {} };
  const started = performance.now();
  const recorder = new Simulation(plan, sink).run();
  const wallS = (performance.now() - started) / 1000;
  const gc = recorder.final!.gc;
  return {
    wallS,
    simulatedS: recorder.endTime,
    requests: recorder.requestsStarted,
    objectOps: gc.allocations + gc.deallocations,
    allocations: gc.allocations,
  };
}

function load(file: string): Scenario {
  return scenarioSchema.parse(parse(readFileSync(join(scenariosDir, file), 'utf8')));
}

/** The scenario with every endpoint's behaviours, handler and import work removed: what is left is the engine. */
function engineOnly(s: Scenario): Scenario {
  return {
    ...s,
    service: { ...s.service, boot: { ...s.service.boot, objects: 0, modules: 0, touched_per_request: 0 } },
    endpoints: s.endpoints.map((e) => ({ ...e, behaviours: [], handler: undefined })),
  };
}

const report = new ReportLines();
const python = 'n/a (no CPython anchor: the figures are absolute)';
report.say(machineLine(python));
report.say(`Command: \`npm run bench:engine\`; ${runs} runs of figures 1 and 2, median (min, max); one run per shipped scenario.`);
report.say();

const leakyPath = join(scenariosDir, 'leaky-api.yaml');
const leaky = load('leaky-api.yaml');
const full: Measured[] = [];
const bare: Measured[] = [];
for (let i = 0; i < runs; i++) {
  full.push(await measure(leaky, leakyPath));
  bare.push(await measure(engineOnly(leaky), leakyPath));
}
const opsPerS = summary(full.map((m) => m.objectOps / m.wallS));
const objectsPerRequest = full[0].allocations / full[0].requests;
const engineUsPerRequest = summary(bare.map((m) => (m.wallS / m.requests) * 1e6));
report.say(`### leaky-api (${leaky.service.workers} workers, ${Math.round(objectsPerRequest).toLocaleString('en-US')} objects allocated per request, ${full[0].requests.toLocaleString('en-US')} requests)`);
report.say();
report.say('| figure | measured | required |');
report.say('|---|---|---|');
report.say(`| object creations + deallocations per wall second, one core (M/s) | ${fmt(opsPerS)} | >= 8 (aim >= 15) |`);
report.say(`| engine cost per request, behaviours removed (µs) | ${fmt(engineUsPerRequest, (v) => v.toFixed(2))} | <= 5 |`);
report.say(`| wall time of the full scenario (s) | ${fmt(summary(full.map((m) => m.wallS)), (v) => v.toFixed(1))} | |`);
report.say();

report.say('### Every shipped scenario, once');
report.say();
report.say('| scenario | simulated | wall (s) | speed-up over real time | objects allocated per simulated second | object ops per wall second (M/s) |');
report.say('|---|---|---|---|---|---|');
for (const file of readdirSync(scenariosDir).filter((f) => f.endsWith('.yaml')).sort()) {
  const m = await measure(load(file), join(scenariosDir, file));
  report.say(
    `| ${file.replace('.yaml', '')} | ${(m.simulatedS / 60).toFixed(0)} min | ${m.wallS.toFixed(1)} | ${Math.round(m.simulatedS / m.wallS).toLocaleString('en-US')}x | ${Math.round(m.allocations / m.simulatedS).toLocaleString('en-US')} | ${(m.objectOps / m.wallS / 1e6).toFixed(1)} |`,
  );
}
report.say();
report.say(
  'The speed-up is the simulated time over the wall time; it follows from the scenario\'s allocation rate (objects allocated per simulated second): I/O waits and modelled CPU time cost the engine nothing.',
);

if (write) console.log(`\nwrote ${writeResultsSection('engine', 'Virtual-time engine (`npm run bench:engine`)', report.lines)}`);
