/**
 * An endpoint handler written against pyheap's object API ("Python in
 * TypeScript"), for what the behaviours cannot express. It stands for:
 *
 *   _recent = {}                        # module level: the last exports by account
 *
 *   def export_report(account_id):
 *       rows = [(i, name_of(i), amount(i)) for i in range(n)]
 *       csv = "\n".join(",".join(map(str, r)) for r in rows)
 *       if len(_recent) < 100:
 *           _recent[account_id] = csv     # kept: a bounded, slowly filled cache
 *       return csv
 *
 * A scenario names it as `handler: handlers/report-export.mjs` (a path
 * relative to the scenario file). `boot` runs once per worker process;
 * `handle` once per request, inside the request's frame: what it does not
 * store in a module global dies when the request returns.
 */

/** At boot: module-level state, as globals of the app module. */
export function boot(py, app) {
  py.setglobal(app, 'recent_exports', py.dict());
}

/** One request. `rng` is the run's seeded stream: use it for every random choice. */
export function handle(py, rng, app) {
  const rows = py.list();
  const n = 200 + rng.int(0, 300);
  let width = 0;
  for (let i = 0; i < n; i++) {
    const id = py.int(100_000 + i);
    const name = py.strOfLength(8 + rng.int(0, 24));
    const amount = py.float(i * 1.25);
    const row = py.tuple(id, name, amount);
    py.append(rows, row);
    width += 20 + py.len(name);
    // the loop's names are rebound each iteration: drop this iteration's objects
    py.del(row);
    py.del(amount);
    py.del(name);
    py.del(id);
  }
  const csv = py.strOfLength(width);
  const recent = py.getglobal(app, 'recent_exports');
  if (py.len(recent) < 100) {
    const account = py.int(rng.int(0, 999));
    py.setitem(recent, account, csv);
  }
}
