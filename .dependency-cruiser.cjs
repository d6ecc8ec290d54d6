/**
 * The layering of DESIGN.md, checked on every `npm test` (STYLE.md practice 2).
 * Lower layers never import upper ones; the pure core does no I/O and no threads;
 * only src/transport/bullmq talks to bullmq/ioredis; nothing imports the CLI.
 */
const pureCore = '^src/(heap|gc|objects|workload|policy|sim)/';
// Each layer may import only the layers listed after it (DESIGN.md "Layers").
const ladder = ['scenario', 'policy', 'process', 'workload', 'objects', 'gc', 'heap'];
const layerRules = ladder.map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `${layer} may not import layers above it`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${ladder.slice(0, i).join('|') || 'none'}|engine|supervisor|transport|loadgen|metrics|report|cli)/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles at run time (a module may name a type of one that imports it)',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    { name: 'nothing-imports-cli', severity: 'error', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
    {
      name: 'only-transport-talks-to-redis',
      severity: 'error',
      from: { pathNot: '^src/transport/bullmq/' },
      to: { path: 'node_modules/(bullmq|ioredis)/' },
    },
    {
      name: 'pure-core-has-no-io',
      comment: 'heap, gc, objects, workload, policy and sim are pure: no threads, files, network or processes',
      severity: 'error',
      from: { path: pureCore },
      to: { dependencyTypes: ['core'], path: '^(worker_threads|fs|fs/promises|net|http|child_process|zlib|readline)$' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
