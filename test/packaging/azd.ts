// What `azd package` / `azd deploy` do with a Node.js function service, rule for rule, as read in
// azure-dev 1.31.2 (cli/azd/pkg/project/, see docs/deploy.md "The deployment package"):
// - framework_service_node.go Package: runs `npm run build` in the project, then takes the folder
//   named by `dist:` (or the project itself) and refuses an empty or missing one;
// - service_target_functionapp.go Package -> project_utils.go createDeployableZip: zips that
//   folder, reading the ignore file from THAT folder, with gitignore rules (go-gitignore,
//   ignorer.Absolute); always leaves out `.azure/`, the ignore file and local.settings.json; an
//   excluded folder is not entered;
// - service_target_functionapp.go resolveFunctionAppRemoteBuild (on Flex Consumption, since
//   1.23.12): reads the ignore file from the PROJECT folder and refuses `remoteBuild: false` when
//   it excludes node_modules, and `remoteBuild: true` when it does not.
// The gitignore matching is the `ignore` package (an implementation of the gitignore spec), the
// zip is fflate's.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import ignore, { type Ignore } from 'ignore';
import { parse } from 'yaml';

/** ServiceTargetKind.IgnoreFile() for host `function` (service_target.go). */
export const FUNCTION_IGNORE_FILE = '.funcignore';

export interface AzdService {
  name: string;
  /** Absolute: the service's `project` resolved against azure.yaml's folder. */
  path: string;
  language: string;
  host: string;
  /** `dist:` (ServiceConfig.OutputPath). */
  dist?: string;
  /** `remoteBuild:`; undefined when unset. */
  remoteBuild?: boolean;
}

/** An error azd reports (ErrorWithSuggestion): message and suggestion as azd words them. */
export class AzdError extends Error {
  constructor(
    message: string,
    readonly suggestion: string,
  ) {
    super(message);
  }
}

export function readAzdService(projectDir: string, name: string): AzdService {
  const azure = parse(readFileSync(join(projectDir, 'azure.yaml'), 'utf8')) as {
    services?: Record<string, Record<string, unknown>>;
  };
  const service = azure.services?.[name];
  if (!service) throw new Error(`azure.yaml has no service "${name}"`);
  const { project, language, host, dist, remoteBuild } = service;
  if (typeof project !== 'string' || typeof language !== 'string' || typeof host !== 'string') {
    throw new Error(`azure.yaml service "${name}" needs project, language and host`);
  }
  if (dist !== undefined && typeof dist !== 'string') throw new Error('dist: not a string');
  if (remoteBuild !== undefined && typeof remoteBuild !== 'boolean') {
    throw new Error('remoteBuild: not a boolean');
  }
  return { name, path: resolve(projectDir, project), language, host, dist, remoteBuild };
}

/** A UTF-8 BOM would become part of the first pattern; azd strips it (stripUTF8BOM). */
function readIgnoreFile(dir: string): Ignore | undefined {
  const path = join(dir, FUNCTION_IGNORE_FILE);
  if (!existsSync(path)) return undefined;
  return ignore().add(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));
}

/** resolveFunctionAppRemoteBuild for language js/ts (the only languages this project uses). */
export function resolveRemoteBuild(service: AzdService): boolean {
  if (service.language !== 'ts' && service.language !== 'js') {
    throw new Error(`this emulation covers js/ts services, not ${service.language}`);
  }
  const ignorer = readIgnoreFile(service.path);
  if (!ignorer) return service.remoteBuild ?? true;
  // ignore.Relative("node_modules", true): the folder at the top of the project.
  const nodeModulesExcluded = ignorer.ignores('node_modules/');
  if (service.remoteBuild === undefined) return nodeModulesExcluded;
  if (service.remoteBuild && !nodeModulesExcluded) {
    throw new AzdError(
      `'remoteBuild: true' requires '${FUNCTION_IGNORE_FILE}' to exclude node_modules`,
      `Update '${FUNCTION_IGNORE_FILE}' to exclude node_modules, or set 'remoteBuild: false'.`,
    );
  }
  if (!service.remoteBuild && nodeModulesExcluded) {
    throw new AzdError(
      `'remoteBuild: false' cannot be used when '${FUNCTION_IGNORE_FILE}' excludes node_modules`,
      `Set 'remoteBuild: true', or remove node_modules from '${FUNCTION_IGNORE_FILE}'.`,
    );
  }
  return service.remoteBuild;
}

/** The folder the node framework service hands to the function app target (after the build). */
export function packageSource(service: AzdService): string {
  const dir = service.dist ? join(service.path, service.dist) : service.path;
  if (!existsSync(dir) || readdirSync(dir).length === 0) {
    throw new Error(`package source '${dir}' is empty or does not exist`);
  }
  return dir;
}

/** createDeployableZip's onZip: the files that go into the zip, as posix paths below `root`. */
export function deployableFiles(service: AzdService, root: string): string[] {
  const ignorer = readIgnoreFile(root);
  const files: string[] = [];
  const walk = (dir: string, relativeDir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const src = join(dir, name);
      const relative = relativeDir ? `${relativeDir}/${name}` : name;
      // Symlinks are followed (rzip resolves them).
      const isDir = statSync(src).isDirectory();
      if (name === '.azure' && isDir) continue;
      if (name === FUNCTION_IGNORE_FILE && !isDir) continue;
      if (service.host === 'function' && name === 'local.settings.json' && !isDir) continue;
      if (ignorer) {
        if (ignorer.ignores(isDir ? `${relative}/` : relative)) continue;
      } else if (
        (service.language === 'ts' || service.language === 'js') &&
        name === 'node_modules' &&
        isDir
      ) {
        // Without an ignore file: node_modules goes along only with an explicit remoteBuild: false.
        if (service.remoteBuild !== false) continue;
      }
      if (isDir) walk(src, relative);
      else files.push(relative);
    }
  };
  walk(root, '');
  return files;
}

/** The zip azd uploads. */
export function createDeployableZip(service: AzdService, root: string): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const file of deployableFiles(service, root)) entries[file] = readFileSync(join(root, file));
  return zipSync(entries);
}

/** Unpacks a zip into `dir` (which must exist); refuses entries that would land outside it. */
export function unzipInto(zip: Uint8Array, dir: string): string[] {
  const names: string[] = [];
  for (const [name, bytes] of Object.entries(unzipSync(zip))) {
    const target = normalize(join(dir, name));
    if (isAbsolute(name) || !target.startsWith(`${normalize(dir)}${sep}`)) {
      throw new Error(`zip entry outside the target folder: ${name}`);
    }
    if (name.endsWith('/')) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
    names.push(name);
  }
  return names.sort();
}
