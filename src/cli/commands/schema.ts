/**
 * `pyheap schema`: the scenario schema as JSON Schema, for editors (e.g. the
 * YAML language server's `# yaml-language-server: $schema=...` comment).
 */
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { PyheapError } from '../../errors.js';
import { scenarioJsonSchema } from '../../scenario/scenario.js';

export function schemaCommand(): Command {
  return new Command('schema')
    .description('Print the scenario schema as JSON Schema (draft 2020-12) for editors.')
    .option('-o, --out <file>', 'write it to a file instead of stdout')
    .addHelpText(
      'after',
      `
Examples:
  pyheap schema > pyheap-scenario.schema.json
  # then, first line of a scenario file:
  # yaml-language-server: $schema=./pyheap-scenario.schema.json`,
    )
    .action((flags: { out?: string }) => {
      const text = `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
      if (flags.out === undefined) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(flags.out, text);
      } catch (e) {
        throw new PyheapError('PYHEAP_E_FILE', `cannot write ${flags.out}: ${(e as Error).message}`, { cause: e });
      }
    });
}
