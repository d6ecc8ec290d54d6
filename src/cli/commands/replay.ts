/**
 * `pyheap replay <trace>`: replays an allocation trace recorded from CPython
 * (tools/pytrace) in the simulated heap and prints the pymalloc statistics of
 * `sys._debugmallocstats()` -- the same text, or the same numbers as JSON.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { PyheapError } from '../../errors.js';
import { isProfileName, PROFILE_NAMES, type ProfileName } from '../../heap/profile.js';
import type { MemoryFigures } from '../../heap/rss.js';
import { formatMallocStats, type MallocStats } from '../../heap/stats.js';
import { encodeCompiledTrace } from '../../heap/trace/compiled-trace.js';
import { profileForTrace, replayTrace } from '../../heap/trace/replay.js';
import { readTraceFile } from '../../io/trace-file.js';
import { Progress } from '../progress.js';

interface ReplayFlags {
  python?: ProfileName;
  compare?: ProfileName[];
  json?: boolean;
  lenient?: boolean;
  memory?: boolean;
  quiet?: boolean;
  writeCompiled?: string;
}

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      'Replay an allocation trace recorded from CPython (tools/pytrace) in the simulated heap and print ' +
        "the pymalloc statistics of sys._debugmallocstats(): the same report, line for line, or JSON.",
    )
    .argument('<trace>', 'trace file (text, or gzipped: .gz is detected from the content)')
    .addOption(
      new Option('--python <profile>', 'CPython layout to replay under (default: the one the trace was recorded with)').choices(
        PROFILE_NAMES,
      ),
    )
    .option(
      '--compare <profiles>',
      'replay under several layouts and print them side by side, e.g. 3.11,3.9,3.8',
      parseProfileList,
    )
    .option('--json', 'print the statistics, the memory model and replay details as JSON')
    .option('--lenient', 'count and skip frees of pointers the trace never allocated (traces recorded mid-process)')
    .option('--memory', 'also print the simulated resident memory (RSS model) after the statistics')
    .option('-q, --quiet', 'no summary line on stderr')
    .option('--write-compiled <file>', 'also write the compiled binary form of the trace (input of the pymalloc-replay anchor)')
    .addHelpText(
      'after',
      `
Examples:
  pyheap replay startup.trace.gz                 statistics as CPython printed them when the trace stopped
  pyheap replay service.trace.gz --python 3.9    the same allocations on the 256 KiB-arena layout of 3.9
  pyheap replay service.trace.gz --compare 3.11,3.9,3.8
  pyheap replay service.trace.gz --json

Exit codes: 0 done, 2 invalid trace or flags (the message names the line).`,
    )
    .action(async (tracePath: string, flags: ReplayFlags) => {
      await runReplay(tracePath, flags);
    });
}

async function runReplay(tracePath: string, flags: ReplayFlags): Promise<void> {
  const progress = new Progress(!flags.quiet && process.stderr.isTTY === true);
  const trace = await readTraceFile(tracePath, {
    lenient: flags.lenient,
    onProgress: (read, total) => progress.update(() => `reading ${tracePath}: ${percent(read, total)}`),
  });
  if (flags.writeCompiled !== undefined) {
    try {
      await writeFile(flags.writeCompiled, encodeCompiledTrace(trace));
    } catch (e) {
      throw new PyheapError('PYHEAP_E_FILE', `cannot write ${flags.writeCompiled}: ${(e as Error).message}`, { cause: e });
    }
  }
  const recordedWith = profileForTrace(trace.header);
  const profiles = flags.compare ?? [flags.python ?? recordedWith ?? '3.11'];
  const results = profiles.map((profile) => {
    const result = replayTrace(trace, {
      profile,
      onProgress: (done) =>
        progress.update(() => `replaying under ${profile}: ${percent(done, trace.eventCount)} of ${trace.eventCount.toLocaleString('en-US')} events`),
      progressEvery: 1 << 18,
    });
    return { ...result, stats: result.heap.mallocStats(), memory: result.heap.memory() };
  });
  progress.done();

  const traceInfo = {
    path: tracePath,
    python: trace.header.pythonVersion,
    lines: trace.lineCount,
    events: trace.eventCount,
    marks: trace.marks.length,
    hasArenaEvents: trace.hasArenaEvents,
    unmatchedFrees: trace.unmatchedFrees,
    failedAllocations: trace.failedAllocations,
  };
  const reports = results.map((r) => ({ profile: r.profile, usedRecordedArenas: r.usedRecordedArenas, stats: r.stats, memory: r.memory }));
  if (flags.json) {
    const body = flags.compare ? { trace: traceInfo, recordedWith, replays: reports } : { trace: traceInfo, recordedWith, ...reports[0] };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  if (flags.compare) {
    process.stdout.write(formatComparison(results, recordedWith));
  } else {
    process.stdout.write(formatMallocStats(results[0].stats));
    if (flags.memory) process.stdout.write(`\nsimulated resident memory (pyheap model)\n${formatMemory(results[0].memory)}`);
  }
  if (!flags.quiet) {
    const origin = trace.header.pythonVersion ? `python ${trace.header.pythonVersion}` : 'unknown python';
    const skipped = trace.unmatchedFrees > 0 ? `; ${trace.unmatchedFrees} unmatched frees skipped` : '';
    for (const r of results) {
      const arenas = r.usedRecordedArenas
        ? 'arena addresses as recorded'
        : trace.hasArenaEvents
          ? `arena addresses modelled (the trace's A/R lines are for ${trace.header.arenaSizeBytes}-byte arenas)`
          : 'arena addresses modelled (the trace has no A/R lines)';
      process.stderr.write(
        `pyheap: replayed ${trace.eventCount.toLocaleString('en-US')} events of a ${origin} trace under profile ${r.profile}, ${arenas}${skipped}\n`,
      );
    }
  }
}

const thousands = (value: number): string => Math.round(value).toLocaleString('en-US');

function formatMemory(memory: MemoryFigures): string {
  const rows: [string, string][] = [
    ['rss_bytes', thousands(memory.rssBytes)],
    ['peak_rss_bytes', thousands(memory.peakRssBytes)],
    ['arena_bytes', thousands(memory.arenaBytes)],
    ['live_bytes', thousands(memory.liveBytes)],
    ['raw resident bytes', thousands(memory.rawResidentBytes)],
    ['interpreter baseline bytes', thousands(memory.baselineRssBytes)],
    ['fragmentation', memory.fragmentation.toFixed(4)],
  ];
  return rows.map(([label, value]) => `${label.padEnd(35)}=${value.padStart(21)}\n`).join('');
}

function formatComparison(
  results: { profile: ProfileName; stats: MallocStats; memory: MemoryFigures; usedRecordedArenas: boolean }[],
  recordedWith: ProfileName | null,
): string {
  const rows: [string, (s: MallocStats, m: MemoryFigures) => string][] = [
    ['arena size', (s) => thousands(s.arenaSizeBytes)],
    ['pool size', (s) => thousands(s.poolSizeBytes)],
    ['arenas allocated current', (s) => thousands(s.arenasAllocatedCurrent)],
    ['arenas allocated total', (s) => thousands(s.arenasAllocatedTotal)],
    ['arenas highwater mark', (s) => thousands(s.arenasHighwaterMark)],
    ['arena bytes', (s) => thousands(s.arenaBytes)],
    ['bytes in allocated blocks', (s) => thousands(s.bytesInAllocatedBlocks)],
    ['bytes in available blocks', (s) => thousands(s.bytesInAvailableBlocks)],
    ['bytes in unused pools', (s) => thousands(s.unusedPoolBytes)],
    ['bytes lost to headers, quantization, alignment', (s) => thousands(s.bytesLostToPoolHeaders + s.bytesLostToQuantization + s.bytesLostToArenaAlignment)],
    ['heap resident bytes (arenas + raw)', (_s, m) => thousands(m.rssBytes - m.baselineRssBytes)],
    ['peak rss bytes (with interpreter)', (_s, m) => thousands(m.peakRssBytes)],
    ['fragmentation', (_s, m) => m.fragmentation.toFixed(3)],
  ];
  const headers = results.map((r) => (r.profile === recordedWith ? `${r.profile} (recorded)` : r.profile));
  const width = Math.max(14, ...headers.map((h) => h.length + 2));
  let out = `${''.padEnd(48)}${headers.map((h) => h.padStart(width)).join('')}\n`;
  for (const [label, cell] of rows) {
    out += `${label.padEnd(48)}${results.map((r) => cell(r.stats, r.memory).padStart(width)).join('')}\n`;
  }
  return out;
}

function parseProfileList(value: string): ProfileName[] {
  const names = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  const bad = names.filter((n) => !isProfileName(n));
  if (names.length === 0 || bad.length > 0) {
    throw new InvalidArgumentError(`expected a comma-separated list of ${PROFILE_NAMES.join(', ')}; got "${value}"`);
  }
  return names as ProfileName[];
}

function percent(done: number, total: number): string {
  return total > 0 ? `${Math.min(100, (100 * done) / total).toFixed(0)}%` : `${done}`;
}
