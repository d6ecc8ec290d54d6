/**
 * `pyheap validate <scenario...>`: checks scenario files against the schema
 * without running them; every problem names the file, line, field path and
 * what was expected.
 */
import { Command } from 'commander';
import { PyheapError } from '../../errors.js';
import { readFileSync } from 'node:fs';
import { scenarioSchema } from '../../scenario/scenario.js';
import { formatProblem, validateYaml, type ValidationProblem } from '../../workload/yaml-validation.js';

export function validateCommand(): Command {
  return new Command('validate')
    .description('Check scenario files against the scenario schema without running them.')
    .argument('<scenario...>', 'scenario YAML files')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Every problem is printed as file:line:column: field.path: what was expected.
Unknown keys are errors. Exit codes: 0 all valid, 2 a file is invalid or unreadable.

Examples:
  pyheap validate scenarios/quickstart.yaml
  pyheap validate scenarios/*.yaml --json`,
    )
    .action((files: string[], flags: { json?: boolean }) => {
      const results = files.map((file) => check(file));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(results.map(({ file, ok, problems }) => ({ file, ok, problems })), null, 2)}\n`);
      } else {
        for (const r of results) {
          if (r.ok) process.stdout.write(`ok   ${r.file}: ${r.note}\n`);
          else for (const p of r.problems) process.stdout.write(`${formatProblem(p)}\n`);
        }
      }
      const bad = results.filter((r) => !r.ok).length;
      if (bad > 0) {
        if (!flags.json) process.stderr.write(`pyheap: ${bad} of ${files.length} scenario file${files.length === 1 ? ' is' : 's are'} invalid\n`);
        process.exitCode = 2;
      }
    });
}

function check(file: string): { file: string; ok: boolean; problems: ValidationProblem[]; note: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const error = new PyheapError('PYHEAP_E_FILE', `cannot read ${file}: ${(e as Error).message}`);
    return { file, ok: false, problems: [{ file, line: 0, column: 0, path: '', message: error.message }], note: '' };
  }
  const result = validateYaml(file, text, scenarioSchema);
  if (!result.ok) return { file, ok: false, problems: result.problems, note: '' };
  const s = result.value;
  const note = `${s.name}: ${s.service.workers} ${s.policy.server} workers, ${s.endpoints.length} endpoint${s.endpoints.length === 1 ? '' : 's'}, ${s.load.arrival} load`;
  return { file, ok: true, problems: [], note };
}
