/**
 * The end-of-run summary for people, in the shape of k6's: one dotted line
 * per figure, then the thresholds with ✓ or ✗.
 */
import type { LatencySummary } from '../metrics/latency.js';
import type { Summary } from './summary.js';
import type { ThresholdResult } from './thresholds.js';

const WIDTH = 34;

/** The summary table: a function of the run alone (no wall-clock figures), so the same run prints the same text. */
export function formatSummary(s: Summary, thresholds: readonly ThresholdResult[]): string {
  const out: string[] = [];
  out.push(`  ${s.scenario} (seed ${s.seed}): ${s.workers} workers, ${duration(s.simulated_seconds)} simulated`);
  out.push('');
  const r = s.requests;
  line(out, 'requests', `${n(r.enqueued)} enqueued, ${n(r.completed)} completed, ${n(r.failed)} failed (${n(r.refused)} refused), ${n(r.retried)} retried, ${r.duplicated ? `${n(r.duplicated)} duplicated, ` : ''}${n(r.lost)} lost${r.unfinished ? `, ${n(r.unfinished)} unfinished` : ''}`);
  line(out, 'throughput', `${s.throughput_per_second.toFixed(1)}/s after warm-up (${duration(s.warmup_seconds)})`);
  line(out, 'latency', latency(s.latency_seconds.total));
  line(out, 'queue wait', latency(s.latency_seconds.wait));
  line(out, 'service time', latency(s.latency_seconds.service));
  if (s.latency_seconds.near_restart.count > 0) line(out, 'latency near restarts', latency(s.latency_seconds.near_restart));
  const m = s.memory;
  const starts = m.workers.map((w) => w.start_rss_bytes);
  const ends = m.workers.map((w) => w.end_rss_bytes).filter((b) => b > 0);
  line(out, 'memory per worker (start)', spread(starts));
  line(out, 'memory per worker (end)', spread(ends));
  if (m.workers.some((w) => w.start_shared_bytes > 0)) {
    line(out, 'shared with master (start)', spread(m.workers.map((w) => w.start_shared_bytes)));
    line(out, 'shared with master (end)', spread(m.workers.filter((w) => w.end_rss_bytes > 0).map((w) => w.end_shared_bytes)));
  }
  line(out, 'peak RSS (largest worker)', mb(m.peak_rss_bytes_max));
  line(out, 'container memory after warm-up', `${mb(m.total_rss_bytes_start)} -> ${mb(m.total_rss_bytes_end)}, slope ${signed(m.slope_bytes_per_hour / 1e6)} MB/h`);
  line(out, 'fragmentation', m.fragmentation.toFixed(3));
  const g = s.gc;
  line(out, 'GC collections', `gen0 ${n(g.collections[0])}, gen1 ${n(g.collections[1])}, gen2 ${n(g.collections[2])}; ${n(g.collected[0] + g.collected[1] + g.collected[2])} objects collected`);
  line(out, 'GC pauses', `${ms(g.pause_seconds_sum)} in all, longest ${ms(g.pause_seconds_max)}`);
  line(out, 'objects', `${n(s.objects.allocations_total)} allocated, ${n(s.objects.deallocations_total)} freed`);
  const reasons = Object.entries(s.restarts.by_reason)
    .filter(([, k]) => k > 0)
    .map(([reason, k]) => `${reason} ${n(k)}`)
    .join(', ');
  line(out, 'restarts', `${n(s.restarts.total)}${reasons ? ` (${reasons})` : ''}${s.restarts.deferred_by_spacing_guard ? `; ${n(s.restarts.deferred_by_spacing_guard)} deferred by the spacing guard` : ''}${s.restarts.container_restarts ? `; container restarted ${n(s.restarts.container_restarts)}x` : ''}`);
  const c = s.capacity;
  line(out, 'capacity lost to restarts', `${c.lost_worker_seconds.toFixed(1)} worker-s booting or awaiting a replacement`);
  line(out, 'fewest workers ready', `${c.workers_ready_min} of ${s.workers}; longest below ${s.workers}: ${duration(c.longest_below_full_seconds)}; most booting at once: ${c.workers_booting_max}`);
  if (thresholds.length > 0) {
    out.push('');
    out.push('  thresholds');
    for (const t of thresholds) {
      const aggregate = t.aggregation === 'p' ? `p(${t.argument})` : t.aggregation;
      if (t.noData) out.push(`  - ${t.metric}: ${t.expression}  (no data: no request was measured; not evaluated)`);
      else out.push(`  ${t.ok ? '✓' : '✗'} ${t.metric}: ${t.expression}  (${aggregate}=${round3(t.value)})`);
    }
  }
  return `${out.join('\n')}\n`;
}

function line(out: string[], label: string, value: string): void {
  out.push(`  ${label}${'.'.repeat(Math.max(2, WIDTH - label.length))}: ${value}`);
}

function latency(l: LatencySummary): string {
  if (l.count === 0) return 'no requests';
  return `avg=${ms(l.mean)} min=${ms(l.min)} med=${ms(l.p50)} p(90)=${ms(l.p90)} p(99)=${ms(l.p99)} p(99.9)=${ms(l.p999)} max=${ms(l.max)}`;
}

function spread(values: readonly number[]): string {
  if (values.length === 0) return '-';
  const min = Math.min(...values);
  const max = Math.max(...values);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return `mean ${mb(mean)} (min ${mb(min)}, max ${mb(max)})`;
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const round3 = (x: number): string => (Number.isInteger(x) || Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

function ms(seconds: number): string {
  if (seconds >= 1) return `${seconds.toFixed(2)}s`;
  if (seconds >= 0.001) return `${(seconds * 1000).toFixed(seconds >= 0.1 ? 0 : 1)}ms`;
  return `${(seconds * 1e6).toFixed(0)}µs`;
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${+seconds.toFixed(1)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  const h = Math.floor(seconds / 3600);
  return `${h}h${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
