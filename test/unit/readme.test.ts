/** The README stays true: its quick start runs, and its error table is the catalogue. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/errors.js';
import { pyheap, ROOT } from '../support/cli.js';

const readme = readFileSync(`${ROOT}README.md`, 'utf8');

function blockAfter(marker: string): string {
  const at = readme.indexOf(marker);
  expect(at, `README has ${marker}`).toBeGreaterThanOrEqual(0);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(readme.slice(at));
  return match![1];
}

describe('README', () => {
  it('quick start: the command prints what the README shows', () => {
    const [setUpAndRun, test] = blockAfter('<!-- quickstart:command -->').trim().split('\n');
    expect(test).toBe('npm test');
    const run = /^npm ci && npx pyheap (.+)$/.exec(setUpAndRun);
    expect(run, 'the first command is "npm ci && npx pyheap ..."').not.toBeNull();
    const out = pyheap(run![1].split(/\s+/));
    const runDirectory = /run directory (\S+)/.exec(out.stderr)?.[1];
    if (runDirectory !== undefined) rmSync(join(ROOT, runDirectory), { recursive: true, force: true });
    expect(out.status).toBe(0);
    expect(runDirectory, 'the command names its run directory on stderr').toBeDefined();
    expect(out.stdout).toBe(blockAfter('<!-- quickstart:output -->'));
  });

  it('lists exactly the error codes of src/errors.ts, with their exit codes and classes', () => {
    const table = readme.slice(readme.indexOf('<!-- errors:begin -->'), readme.indexOf('<!-- errors:end -->'));
    const rows = [...table.matchAll(/^\| `(PYHEAP_E_\w+)` \| (\d+) \| (\w+) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3], m[4]]);
    const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, spec]) => [code, spec.exitCode, spec.errorClass, spec.summary]);
    expect(rows).toEqual(catalogue);
  });
});
