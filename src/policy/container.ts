/**
 * The container around the service: its cgroup memory limit, what the
 * kernel's OOM killer does when the limit is hit, and how the kubelet
 * restarts a container that died.
 *
 * - The limit (memory.max) is on the memory charged to the cgroup, where a
 *   page shared copy-on-write by a preloaded master and its forks is charged
 *   once; the caller computes that usage. Exceeding it triggers the OOM killer
 *   inside the cgroup.
 * - Victim: the task with the highest badness (mm/oom_kill.c, oom_badness:
 *   resident pages + swap + page tables, plus oom_score_adj, which the kubelet
 *   sets alike for every process of a container), so the largest RSS. On a
 *   tie the task found first is kept (oom_evaluate_task skips an equal score
 *   when the chosen task is a thread-group leader).
 * - With memory.oom.group set, the kernel kills every process of the cgroup
 *   instead of the victim alone. The kubelet sets it on cgroup v2 since
 *   Kubernetes 1.28 (kubernetes#117793); kubelet's singleProcessOOMKill
 *   (1.32, kubernetes#126096) restores the single-victim behaviour of
 *   cgroup v1.
 * - Restart: kubelet's CrashLoopBackOff (pkg/kubelet/kuberuntime,
 *   doBackOff; k8s.io/client-go/util/flowcontrol, Backoff with kubelet's
 *   10 s initial and 300 s maximum). The first restart after a clean record
 *   is immediate; each further one waits the current back-off, counted from
 *   when the container finished, which then doubles up to 300 s. The record
 *   is forgotten when the container ran more than twice the maximum (10
 *   minutes) since its last restart (flowcontrol hasExpired). Restarting is
 *   the whole container: the master and all workers boot again.
 */
import { z } from 'zod';
import { byteSizeSchema } from '../workload/units.js';

/** The kubelet's backOffPeriod and MaxContainerBackOff. */
export const BACKOFF_INITIAL_S = 10;
export const BACKOFF_MAX_S = 300;
/** flowcontrol.Backoff forgets an entry not updated for 2 * maxDuration. */
export const BACKOFF_RESET_S = 2 * BACKOFF_MAX_S;

export const containerSchema = z
  .strictObject({
    memory_limit: byteSizeSchema
      .pipe(z.number().positive({ error: 'a memory limit must be more than 0 bytes' }))
      .describe('the cgroup memory limit (resources.limits.memory): bytes, or e.g. "512Mi", "2Gi"'),
    oom_kill: z
      .enum(['group', 'largest'])
      .default('group')
      .describe(
        'what the OOM killer ends when the limit is exceeded: "group" every process (memory.oom.group, cgroup v2 default since Kubernetes 1.28), "largest" the process with the most resident memory (singleProcessOOMKill)',
      ),
  })
  .describe('the container the service runs in');

export type ContainerConfig = z.output<typeof containerSchema>;

/** oomVictim: under the limit, nobody is killed. */
export const OOM_NONE = -1;
/** oomVictim: memory.oom.group, every process in the container is killed. */
export const OOM_ALL = -2;

export class ContainerMemoryLimit {
  readonly limitBytes: number;
  readonly oomKill: 'group' | 'largest';

  constructor(limitBytes: number, oomKill: 'group' | 'largest') {
    this.limitBytes = limitBytes;
    this.oomKill = oomKill;
  }

  static fromConfig(config: ContainerConfig): ContainerMemoryLimit {
    return new ContainerMemoryLimit(config.memory_limit, config.oom_kill);
  }

  /**
   * Who dies when the cgroup's charged memory is `usageBytes` and its
   * processes (the master included, in the caller's order) have resident
   * sizes `rssBytes[0..count)`: OOM_NONE, OOM_ALL, or the index of the one
   * victim. Killing the master ends the container as surely as OOM_ALL.
   */
  oomVictim(usageBytes: number, rssBytes: ArrayLike<number>, count: number): number {
    if (usageBytes <= this.limitBytes) return OOM_NONE;
    if (this.oomKill === 'group') return OOM_ALL;
    let victim = OOM_NONE;
    let most = -1;
    for (let i = 0; i < count; i++) {
      if (rssBytes[i] > most) {
        most = rssBytes[i];
        victim = i;
      }
    }
    return victim;
  }
}

/** The kubelet's restart back-off for one container; one instance per container, across its restarts. */
export class CrashLoopBackOff {
  private backOffS = 0;
  /** When the kubelet last (re)started the container, or -Infinity: no record. */
  private lastStartS = -Infinity;

  /** The delay the next restart will wait if the container dies at `finishedAtS` (does not record anything). */
  delayS(finishedAtS: number): number {
    return this.expired(finishedAtS) ? 0 : this.backOffS;
  }

  /** The container died at `finishedAtS`: when the kubelet starts it again; records that start. */
  restartAtS(finishedAtS: number): number {
    if (this.expired(finishedAtS)) {
      this.backOffS = BACKOFF_INITIAL_S;
      this.lastStartS = finishedAtS;
      return finishedAtS;
    }
    const startS = finishedAtS + this.backOffS;
    this.backOffS = Math.min(2 * this.backOffS, BACKOFF_MAX_S);
    this.lastStartS = startS;
    return startS;
  }

  private expired(finishedAtS: number): boolean {
    return finishedAtS - this.lastStartS > BACKOFF_RESET_S;
  }
}
