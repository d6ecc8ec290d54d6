/**
 * import() of a module named at run time (a scenario's handler modules, tsx),
 * through the host's import when one is lent. The worker thread's code runs
 * from a V8 code cache inside a vm.Script (workers/py-worker-loader.ts), where
 * import() itself has no loader to call; the thread's entry, an ordinary ES
 * module, lends its own under HOST_IMPORT.
 */
export const HOST_IMPORT = Symbol.for('pyheap.import');

type Importer = (specifier: string) => Promise<Record<string, unknown>>;

export function importModule(specifier: string): Promise<Record<string, unknown>> {
  const host = (globalThis as Record<symbol, unknown>)[HOST_IMPORT] as Importer | undefined;
  return host !== undefined ? host(specifier) : (import(specifier) as Promise<Record<string, unknown>>);
}
