#!/usr/bin/env node
/**
 * The pyheap command line: the composition root. Each command lives in
 * commands/<name>.ts and is registered here; nothing imports this folder.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_INTERNAL, EXIT_INVALID_INPUT, isPyheapError } from '../errors.js';
import { enqueueCommand } from './commands/enqueue.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { schemaCommand } from './commands/schema.js';
import { serveCommand } from './commands/serve.js';
import { simulateCommand } from './commands/simulate.js';
import { validateCommand } from './commands/validate.js';

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('pyheap')
    .description(
      'Simulates Python (CPython) services that run as pools of worker processes, ' +
        'down to pymalloc arenas, pools and blocks, and measures their memory.',
    )
    .version(packageJson.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addCommand(replayCommand());
  program.addCommand(simulateCommand());
  program.addCommand(runCommand());
  program.addCommand(serveCommand());
  program.addCommand(enqueueCommand());
  program.addCommand(validateCommand());
  program.addCommand(schemaCommand());
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return e.exitCode === 0 ? 0 : EXIT_INVALID_INPUT;
    }
    if (isPyheapError(e)) {
      process.stderr.write(`pyheap: ${e.message} [${e.code}]\n`);
      return e.exitCode;
    }
    process.stderr.write(`pyheap: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_INTERNAL;
  }
}

// Output piped into a reader that stops early (`pyheap schema | head`): end quietly, as Unix tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv);
