#!/usr/bin/env node
// npm run profile -- <pyheap arguments>: runs the built pyheap CLI under the V8
// CPU and heap profilers. Node writes one profile per thread (worker threads
// included) into profiles/<time>/.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help') && args.length === 1) {
  console.log('usage: npm run profile -- <pyheap command and arguments>\n' +
    'example: npm run profile -- replay test/fixtures/traces/3.11/mixed_free90.trace.gz --quiet');
  process.exit(args.length === 0 ? 2 : 0);
}
const dir = join(root, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(dir, { recursive: true });
const result = spawnSync(
  process.execPath,
  ['--cpu-prof', '--cpu-prof-dir', dir, '--heap-prof', '--heap-prof-dir', dir, join(root, 'dist/src/cli/main.js'), ...args],
  { stdio: 'inherit' },
);
console.error(`profiles written to ${dir} (open the .cpuprofile files in Chrome DevTools or speedscope)`);
process.exit(result.status ?? 1);
