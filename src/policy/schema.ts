/**
 * A scenario's `policy` section: which server, its own recycle settings
 * under the names its configuration uses (snake_case for Gunicorn and Celery,
 * uWSGI's dashed option names), and the guards. Parsing fills in the servers'
 * defaults and rejects unknown keys; policyFromConfig turns the parsed section
 * into the RecyclePolicy both clocks run.
 *
 *   policy:
 *     server: gunicorn
 *     max_requests: 1000
 *     max_requests_jitter: 50
 *     timeout: 30s
 *     guards: { min_recycle_spacing: 20s }
 */
import { z } from 'zod';
import { CeleryPolicy, celeryOptions, celerySchema } from './celery.js';
import { guardsFromConfig, guardsSchema } from './guards.js';
import { GunicornPolicy, gunicornOptions, gunicornSchema } from './gunicorn.js';
import type { RecyclePolicy } from './policy.js';
import { UwsgiPolicy, uwsgiOptions, uwsgiSchema } from './uwsgi.js';

const guards = guardsSchema.prefault({});

export const policySchema = z
  .discriminatedUnion('server', [
    gunicornSchema.extend({ server: z.literal('gunicorn'), guards }),
    celerySchema.extend({ server: z.literal('celery'), guards }),
    uwsgiSchema.extend({ server: z.literal('uwsgi'), guards }),
  ])
  .describe('the recycle policy: the server whose rules apply, its settings, and the guards no server has');

export type PolicyInput = z.input<typeof policySchema>;
export type PolicyConfig = z.output<typeof policySchema>;

/** The policy for a parsed (defaults filled, validated) policy section. */
export function policyFromConfig(config: PolicyConfig): RecyclePolicy {
  const g = guardsFromConfig(config.guards);
  switch (config.server) {
    case 'gunicorn':
      return new GunicornPolicy(gunicornOptions(config), g);
    case 'celery':
      return new CeleryPolicy(celeryOptions(config), g);
    case 'uwsgi':
      return new UwsgiPolicy(uwsgiOptions(config), g);
  }
}
