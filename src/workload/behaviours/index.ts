/**
 * Every behaviour a scenario can name, as one schema (discriminated by
 * `kind`) and one factory.
 */
import { z } from 'zod';
import type { BehaviourFactory } from './behaviour.js';
import { buffersBehaviour, buffersSchema } from './buffers.js';
import { cacheBehaviour, cacheSchema } from './cache.js';
import { closuresBehaviour, closuresSchema } from './closures.js';
import { cyclesBehaviour, cyclesSchema } from './cycles.js';
import { leakBehaviour, leakSchema } from './leak.js';
import { modelsBehaviour, modelsSchema } from './models.js';
import { payloadBehaviour, payloadSchema } from './payload.js';
import { resourcesBehaviour, resourcesSchema } from './resources.js';
import { responseBehaviour, responseSchema } from './response.js';
import { temporariesBehaviour, temporariesSchema } from './temporaries.js';
import { weakrefCacheBehaviour, weakrefCacheSchema } from './weakref-cache.js';

export const behaviourSchema = z.discriminatedUnion('kind', [
  payloadSchema,
  temporariesSchema,
  responseSchema,
  cacheSchema,
  leakSchema,
  closuresSchema,
  cyclesSchema,
  buffersSchema,
  resourcesSchema,
  weakrefCacheSchema,
  modelsSchema,
]);

export type BehaviourSpec = z.infer<typeof behaviourSchema>;

/** A behaviour's factory; `name` identifies it (its module global, its allocation site). */
export function compileBehaviour(spec: BehaviourSpec, name: string): BehaviourFactory {
  switch (spec.kind) {
    case 'parse_payload':
      return payloadBehaviour(spec, name);
    case 'temporaries':
      return temporariesBehaviour(spec, name);
    case 'build_response':
      return responseBehaviour(spec, name);
    case 'cache':
      return cacheBehaviour(spec, name);
    case 'leak':
      return leakBehaviour(spec, name);
    case 'closure_registry':
      return closuresBehaviour(spec, name);
    case 'cycles':
      return cyclesBehaviour(spec, name);
    case 'buffers':
      return buffersBehaviour(spec, name);
    case 'resources':
      return resourcesBehaviour(spec, name);
    case 'weakref_cache':
      return weakrefCacheBehaviour(spec, name);
    case 'models':
      return modelsBehaviour(spec, name);
  }
}
