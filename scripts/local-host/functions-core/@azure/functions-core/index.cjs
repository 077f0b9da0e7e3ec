// Stand-in for '@azure/functions-core', the module the Azure Functions Node.js worker provides at
// run time. scripts/local-host.ts puts the folder above on NODE_PATH, so the bundled
// '@azure/functions' finds this with require() as it would in the worker, and registers its
// functions here instead of falling into "test mode". It implements what '@azure/functions' 4.x
// calls (see its types-core/index.d.ts); scripts/local-host.ts reads `functions` and `hooks`.
'use strict';

class Disposable {
  #callOnDispose;

  /** @param {() => unknown} callOnDispose */
  constructor(callOnDispose) {
    this.#callOnDispose = callOnDispose;
  }

  /** @param {...{ dispose: () => unknown }} items */
  static from(...items) {
    return new Disposable(() => {
      for (const item of items) item.dispose();
    });
  }

  dispose() {
    const callOnDispose = this.#callOnDispose;
    this.#callOnDispose = undefined;
    callOnDispose?.();
  }
}

/** @type {{ metadata: { name: string, bindings: Record<string, object> }, callback: Function }[]} */
const functions = [];
/** @type {{ hookName: string, callback: Function }[]} */
const hooks = [];
/** @type {unknown} */
let programmingModel;

/** @param {unknown[]} list @param {unknown} entry */
function removeOnDispose(list, entry) {
  return new Disposable(() => {
    const index = list.indexOf(entry);
    if (index >= 0) list.splice(index, 1);
  });
}

module.exports = {
  version: '0.0.0-local-host',
  hostVersion: '4.0.0-local-host',
  Disposable,
  functions,
  hooks,

  registerFunction(metadata, callback) {
    if (functions.some((entry) => entry.metadata.name === metadata.name)) {
      throw new Error(`A function named "${metadata.name}" is already registered.`);
    }
    const entry = { metadata, callback };
    functions.push(entry);
    return removeOnDispose(functions, entry);
  },

  registerHook(hookName, callback) {
    const entry = { hookName, callback };
    hooks.push(entry);
    return removeOnDispose(hooks, entry);
  },

  setProgrammingModel(model) {
    programmingModel = model;
  },

  getProgrammingModel() {
    return programmingModel;
  },

  /** System logs of '@azure/functions' (e.g. deprecation warnings). */
  log(level, category, message) {
    const line = `[${new Date().toISOString()}] [${level}] [${category}] ${message}`;
    if (level === 'error' || level === 'critical' || level === 'warning') console.error(line);
    else console.log(line);
  },
};
