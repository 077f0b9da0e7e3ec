// The deployment package, made as `azd deploy` makes it (./azd.ts): `npm run build`, the folder
// azure.yaml names by `dist:`, its .funcignore applied with gitignore rules, zipped; then unpacked
// into an empty folder outside the project and run there alone under the local Functions host
// against the emulators. The first version passed every other test and shipped an empty package.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, parse, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createUser, getUser, mintToken } from '../../emulators/control-client.js';
import { type AppProcess, startApp } from '../../scripts/app-process.js';
import { changePasswordPath } from '../../scripts/dev-stack.js';
import { expandMain } from '../../scripts/local-host/main-glob.js';
import { ROOT } from '../../scripts/paths.js';
import { freePort } from '../../scripts/ports.js';
import {
  AzdError,
  type AzdService,
  createDeployableZip,
  deployableFiles,
  packageSource,
  readAzdService,
  resolveRemoteBuild,
  unzipInto,
} from './azd.js';

const emulators = inject('emulators');
const service = readAzdService(ROOT, 'api');

/** Every node_modules folder Node could search from `dir` upwards (its CommonJS and ESM rule). */
function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) found.push(join(current, 'node_modules'));
    if (current === parse(current).root) return found;
  }
}

describe('the deployment package, built and zipped as azd does', () => {
  let unpacked: string;
  let files: string[];
  let app: AppProcess | undefined;

  beforeAll(() => {
    // framework_service_node.go Package: the project's build script, in the project.
    const build = spawnSync('npm', ['run', 'build'], {
      cwd: ROOT,
      encoding: 'utf8',
      shell: process.platform === 'win32',
    });
    if (build.status !== 0)
      throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
    const zip = createDeployableZip(service, packageSource(service));
    unpacked = realpathSync(mkdtempSync(join(tmpdir(), 'azd-package-')));
    files = unzipInto(zip, unpacked);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    if (unpacked) rmSync(unpacked, { recursive: true, force: true });
  });

  it('is the staged dist/ folder: host.json, package.json and the bundle, nothing else', () => {
    expect(service.dist).toBe('dist');
    expect(files).toContain('host.json');
    expect(files).toContain('package.json');
    const other = files.filter(
      (file) => !['host.json', 'package.json'].includes(file) && !/^functions\/.+\.js$/.test(file),
    );
    expect(other, 'not host.json, package.json or functions/**/*.js').toEqual([]);
    // dist/ holds the source maps and .funcignore; the zip does not.
    expect(existsSync(join(ROOT, 'dist', 'functions', 'changePassword.js.map'))).toBe(true);
    // azd reads the copy in dist/ for the zip and ./.funcignore for remoteBuild: the same file.
    expect(readFileSync(join(ROOT, 'dist', '.funcignore'), 'utf8')).toBe(
      readFileSync(join(ROOT, '.funcignore'), 'utf8'),
    );
    expect(readFileSync(join(unpacked, 'host.json'), 'utf8')).toBe(
      readFileSync(join(ROOT, 'host.json'), 'utf8'),
    );
  });

  it('has a package.json whose "main" matches the function entry points, and no dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(pkg.type).toBe('module');
    expect(pkg).not.toHaveProperty('dependencies');
    expect(pkg).not.toHaveProperty('scripts');
    const main = expandMain(unpacked, String(pkg.main)).map((file) => relative(unpacked, file));
    expect(main).toEqual(['functions/changePassword.js']);
  });

  it('unpacks outside the project, where no node_modules can be reached', () => {
    expect(relative(ROOT, unpacked).startsWith('..')).toBe(true);
    expect(nodeModulesAbove(join(unpacked, 'functions'))).toEqual([]);
    // What the bundle's own require() would find from there (NODE_PATH aside, which the
    // worker sets to its '@azure/functions-core' only).
    const requireFromApp = createRequire(join(unpacked, 'functions', 'changePassword.js'));
    for (const dependency of ['@azure/functions', '@azure/msal-node', 'jose', 'zod']) {
      expect(() => requireFromApp.resolve(dependency), dependency).toThrow(/Cannot find module/);
    }
  });

  it('answers a real change-password request with 204, run alone from the unpacked zip', async () => {
    const { NODE_EXTRA_CA_CERTS: _caCert, ...settings } = emulators.env;
    const logs = join(ROOT, 'test-results');
    mkdirSync(logs, { recursive: true });
    app = await startApp({
      host: 'local',
      root: unpacked,
      port: await freePort(),
      settings,
      caCertPath: emulators.caCertPath,
      probePath: changePasswordPath(),
      stateDir: unpacked,
      output: join(logs, 'packaging-app.log'),
    });
    const user = {
      username: `package-${randomUUID().slice(0, 8)}@contoso.test`,
      password: `Start-${randomUUID().slice(0, 6)}-Pw1!`,
    };
    await createUser(emulators.entraUrl, user);
    const token = await mintToken(emulators.entraUrl, { username: user.username });
    const response = await fetch(`${app.url}${changePasswordPath()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: user.password, newPassword: 'Packaged-Passw0rd!' }),
    });
    expect({ status: response.status, body: await response.text() }).toEqual({
      status: 204,
      body: '',
    });
    expect((await getUser(emulators.entraUrl, user.username)).password).toBe('Packaged-Passw0rd!');
  }, 60_000);
});

describe("azd's remoteBuild rule for Flex Consumption (resolveFunctionAppRemoteBuild)", () => {
  it('azure.yaml deploys this project as the one TypeScript function "api"', () => {
    const azure = parseYaml(readFileSync(join(ROOT, 'azure.yaml'), 'utf8')) as {
      name: string;
      services: Record<string, { hooks?: Record<string, Record<string, { run?: string }>> }>;
    };
    expect(azure.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(Object.keys(azure.services)).toEqual(['api']);
    // A clean install before azd's own `npm run build` and zip.
    for (const os of ['posix', 'windows']) {
      expect(azure.services.api?.hooks?.prepackage?.[os]?.run, os).toMatch(/^npm ci\b/);
    }
  });

  it('applies: the plan is Flex Consumption and the service is TypeScript', () => {
    expect(readFileSync(join(ROOT, 'infra', 'main.bicep'), 'utf8')).toMatch(
      /name: 'FC1'\s+tier: 'FlexConsumption'/,
    );
    expect(service).toMatchObject({ language: 'ts', host: 'function', path: ROOT });
  });

  it('accepts azure.yaml with ./.funcignore: built locally, no remote build', () => {
    expect(service.remoteBuild).toBe(false);
    expect(resolveRemoteBuild(service)).toBe(false);
  });

  describe('on a project like ours', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'azd-rule-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const at = (ignoreFile: string | undefined, remoteBuild: boolean | undefined): AzdService => {
      rmSync(join(dir, '.funcignore'), { force: true });
      if (ignoreFile !== undefined) writeFileSync(join(dir, '.funcignore'), ignoreFile);
      return { ...service, path: dir, remoteBuild };
    };

    it("refuses 'remoteBuild: false' with node_modules excluded (what the first version shipped)", () => {
      expect(() => resolveRemoteBuild(at('.git*\nnode_modules/\n', false))).toThrow(
        "'remoteBuild: false' cannot be used when '.funcignore' excludes node_modules",
      );
      // A BOM does not hide the pattern (azd strips it).
      expect(() => resolveRemoteBuild(at('\uFEFFnode_modules\n', false))).toThrow(AzdError);
    });

    it("refuses 'remoteBuild: true' without node_modules excluded, and decides when unset", () => {
      expect(() => resolveRemoteBuild(at('*.map\n', true))).toThrow(/requires '.funcignore'/);
      expect(resolveRemoteBuild(at('node_modules/\n', undefined))).toBe(true);
      expect(resolveRemoteBuild(at('*.map\n', undefined))).toBe(false);
      expect(resolveRemoteBuild(at(undefined, undefined))).toBe(true);
    });
  });
});

describe('.funcignore with gitignore rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'azd-ignore-'));
    mkdirSync(join(dir, 'dist', 'functions'), { recursive: true });
    mkdirSync(join(dir, 'functions'));
    mkdirSync(join(dir, '.azure'));
    for (const file of ['host.json', 'package.json', 'local.settings.json', '.azure/config.json']) {
      writeFileSync(join(dir, file), '{}');
    }
    writeFileSync(join(dir, 'functions', 'changePassword.ts'), '');
    writeFileSync(join(dir, 'dist', 'functions', 'changePassword.js'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("'functions/' also drops dist/functions/: why the first package held no code", () => {
    writeFileSync(join(dir, '.funcignore'), 'functions/\n');
    expect(deployableFiles({ ...service, path: dir }, dir)).toEqual(['host.json', 'package.json']);
  });

  it("'/functions/' drops only the top folder; .azure, local.settings.json and the ignore file never go", () => {
    writeFileSync(join(dir, '.funcignore'), '/functions/\n');
    expect(deployableFiles({ ...service, path: dir }, dir)).toEqual([
      'dist/functions/changePassword.js',
      'host.json',
      'package.json',
    ]);
  });
});
