/**
 * Loading a scenario file: read, parse, validate; every problem reported with
 * file, line, field and what was expected, in one PyheapError.
 */
import { PyheapError } from '../errors.js';
import { type Scenario, scenarioSchema } from './scenario.js';
import { readFileSync } from 'node:fs';
import { formatProblem, validateYaml, type ValidationProblem } from '../workload/yaml-validation.js';

export interface LoadedScenario {
  path: string;
  scenario: Scenario;
  /** The YAML as written (for the run directory's resolved copy). */
  text: string;
}

export function loadScenario(path: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PyheapError('PYHEAP_E_FILE', `cannot read scenario ${path}: ${(e as Error).message}`, { cause: e });
  }
  const result = validateYaml(path, text, scenarioSchema);
  if (!result.ok) throw scenarioError(result.problems);
  return { path, scenario: result.value, text };
}

export function scenarioError(problems: readonly ValidationProblem[]): PyheapError {
  const lines = problems.map(formatProblem);
  const head = problems.length === 1 ? 'invalid scenario' : `invalid scenario (${problems.length} problems)`;
  return new PyheapError('PYHEAP_E_SCENARIO', `${head}:\n  ${lines.join('\n  ')}`);
}
