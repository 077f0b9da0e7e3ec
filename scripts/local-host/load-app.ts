// Loads the function app the way the Functions Node.js worker does: import every file matched by
// package.json "main"; '@azure/functions' then registers each function with '@azure/functions-core'
// (here the stand-in in ./functions-core, found through NODE_PATH).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { HttpHandler } from '@azure/functions';
import { expandMain } from './main-glob.js';
import { compileRoute, type RouteMatcher } from './routes.js';

/** The part of the stand-in (functions-core/@azure/functions-core/index.cjs) the host reads. */
interface FunctionsCoreStandIn {
  functions: { metadata: FunctionMetadata; callback: unknown }[];
  hooks: { hookName: string; callback: (context: object) => unknown }[];
}

interface FunctionMetadata {
  name: string;
  bindings: Record<
    string,
    { type?: string; direction?: string; route?: string; methods?: string[] }
  >;
}

export interface HttpFunction {
  name: string;
  /** Upper case. */
  methods: string[];
  /** e.g. /api/me/changePassword, for the start-up listing. */
  path: string;
  match: RouteMatcher;
  handler: HttpHandler;
}

export interface LoadedApp {
  functions: HttpFunction[];
  warnings: string[];
  /** Runs the appTerminate hooks, as the worker does before it exits. */
  terminate(): Promise<void>;
}

function standIn(): FunctionsCoreStandIn {
  const require = createRequire(import.meta.url);
  try {
    // Resolved through NODE_PATH, exactly as the bundle's own require() will resolve it.
    return require('@azure/functions-core') as FunctionsCoreStandIn;
  } catch {
    throw new Error(
      "'@azure/functions-core' is not on NODE_PATH: start the local host through npm run dev",
    );
  }
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** host.json extensions.http.routePrefix; "api" when unset, as in the Functions host. */
function routePrefix(root: string): string {
  const host = readJson(join(root, 'host.json')) as {
    extensions?: { http?: { routePrefix?: string } };
  };
  return host.extensions?.http?.routePrefix ?? 'api';
}

export async function loadApp(root: string): Promise<LoadedApp> {
  const core = standIn();
  const main = readJson(join(root, 'package.json')).main;
  if (typeof main !== 'string') throw new Error('package.json has no "main"');
  const files = expandMain(root, main);
  if (files.length === 0) {
    throw new Error(`package.json "main" (${main}) matches no file: run npm run build`);
  }
  for (const file of files) await import(pathToFileURL(file).href);

  const prefix = routePrefix(root);
  const warnings: string[] = [];
  const functions: HttpFunction[] = [];
  for (const { metadata, callback } of core.functions) {
    const trigger = Object.values(metadata.bindings).find((b) => b.direction === 'in');
    if (trigger?.type !== 'httpTrigger') {
      warnings.push(`Skipping ${metadata.name}: only HTTP triggers run in the local host.`);
      continue;
    }
    const route = trigger.route ?? metadata.name;
    functions.push({
      name: metadata.name,
      methods: (trigger.methods ?? ['GET', 'POST']).map((m) => m.toUpperCase()),
      path: `/${[prefix, route].filter(Boolean).join('/')}`,
      match: compileRoute(prefix, route),
      handler: callback as HttpHandler,
    });
  }
  const terminateHooks = core.hooks.filter((hook) => hook.hookName === 'appTerminate');
  const others = core.hooks.length - terminateHooks.length;
  if (others > 0) {
    warnings.push(`${others} hook(s) registered; the local host runs only appTerminate hooks.`);
  }
  if (functions.length === 0) {
    warnings.push(
      `No HTTP function registered by ${files.map((f) => relative(root, f)).join(', ')}.`,
    );
  }
  const terminate = async () => {
    for (const hook of terminateHooks) await hook.callback({ hookData: {}, appHookData: {} });
  };
  return { functions, warnings, terminate };
}
