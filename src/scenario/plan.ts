/**
 * What the virtual-time engine runs: a scenario compiled into models and
 * policies (compile.ts builds it from the YAML).
 */
import type { ContainerMemoryLimit } from '../policy/container.js';
import type { RecyclePolicy } from '../policy/policy.js';
import type { ProcessModel } from '../process/py-process.js';
import type { LoadSpec } from '../workload/load-schema.js';

export interface SimulationPlan {
  readonly name: string;
  readonly seed: number;
  readonly workers: number;
  /** Arrivals stop at durationS; requests in flight then may finish during a drain of at most drainS. */
  readonly durationS: number;
  readonly drainS: number;
  /** Requests arriving before warmupS count in no latency figure; memory slopes start there. */
  readonly warmupS: number;
  readonly sampleIntervalS: number;
  readonly process: ProcessModel;
  /** The recycle policy, with its guards and whether workers fork from a preloaded master. */
  readonly policy: RecyclePolicy;
  /** Boot time of a worker forked from a preloaded master (s). */
  readonly forkTimeS: number;
  readonly container: ContainerMemoryLimit | null;
  /** Requests waiting for a worker at most (the listen backlog); more are refused. */
  readonly backlog: number;
  /** Executions a request gets when its worker is killed under it (1: no retry). */
  readonly attempts: number;
  readonly load: LoadSpec;
  /** The endpoints and their mix weights. */
  readonly endpoints: readonly { readonly name: string; readonly weight: number }[];
  /** Requests arriving this long after a worker exit count as "around a restart". */
  readonly restartWindowS: number;
}
