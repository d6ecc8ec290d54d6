/**
 * What importing the app leaves in memory: modules whose globals hold
 * functions, classes' worth of dicts, constant strings, tuples and lists --
 * the long-lived objects every request's garbage collections then walk past
 * (or not, after gc.freeze()). The mix is a typical web app's as
 * gc.get_objects() and sys.getsizeof show it: about a third functions, the
 * rest dicts, tuples, lists and strings.
 */
import type { Python, Ref } from '../objects/api.js';

/**
 * Creates `modules` modules holding `objects` objects in all, registered in
 * sys.modules; returns the objects (kept alive by their modules' globals for
 * the process's life).
 */
export function allocateImports(py: Python, modules: number, objects: number): Int32Array {
  const objectsMade = new Int32Array(Math.max(0, objects));
  if (modules <= 0 || objects <= 0) return objectsMade.subarray(0, 0);
  const perModule = Math.ceil(objects / modules);
  let made = 0;
  for (let m = 0; m < modules && made < objects; m++) {
    const mod = py.module(`app_module_${m}`);
    const globals = py.globalsOf(mod);
    py.scope(() => {
      for (let i = 0; i < perModule && made < objects; i++, made++) {
        const value = importedObject(py, i, globals);
        py.setitem(globals, `name_${i}`, value);
        objectsMade[made] = value;
        py.del(value);
      }
    });
  }
  return objectsMade.subarray(0, made);
}

function importedObject(py: Python, i: number, globals: Ref): Ref {
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
      return py.function({ globals });
    case 3:
    case 4: {
      const d = py.dict();
      for (let k = 0; k < 5; k++) py.setitem(d, `attr_${k}`, py.None);
      return d;
    }
    case 5:
    case 6: {
      const s = py.strOfLength(24 + (i % 40), 'ascii', i);
      return py.intern(s);
    }
    case 7: {
      const a = py.strOfLength(12, 'ascii', i);
      const t = py.tuple(a, py.None, a);
      py.del(a);
      return t;
    }
    default: {
      const l = py.list([py.None, py.None, py.None, py.None]);
      return l;
    }
  }
}
