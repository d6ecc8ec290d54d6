import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'tools/pytrace/build/', 'runs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The pure core: no clocks, no randomness, no I/O (STYLE.md practice 2).
    files: ['src/heap/**', 'src/objects/**', 'src/gc/**', 'src/workload/**', 'src/policy/**'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'inject a Clock instead' },
        { object: 'Math', property: 'random', message: 'use the seeded RNG streams' },
        { object: 'performance', property: 'now', message: 'inject a Clock instead' }],
    },
  },
);
