// `npm run build`: bundles the app into dist/functions and stages dist/ as the deployment package:
// dist/ holds exactly what Azure runs (host.json, a package.json whose "main" names the bundle, the
// bundle, .funcignore), and azure.yaml's `dist: dist` makes azd zip this folder alone.
// One minified file loads far faster than hundreds of node_modules files on a cold start, and the
// package needs no node_modules at all. See docs/deploy.md, "The deployment package".
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const entryPoints = readdirSync('functions')
  .filter((name) => name.endsWith('.ts'))
  .map((name) => `functions/${name}`);

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints,
  outdir: 'dist/functions',
  // Shared and lazily loaded code (e.g. @azure/identity, only for managed identity) goes
  // below chunks/, out of reach of "main": "functions/*.js".
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // For local debugging; dist/.funcignore keeps the maps out of the deployment package.
  sourcemap: true,
  // Provided at run time by the Functions Node.js worker.
  external: ['@azure/functions-core'],
  // Some bundled CommonJS dependencies call require(); give the ES module one.
  banner: {
    js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
  },
  logLevel: 'warning',
});

// The package's own package.json: the worker loads "main" relative to it. No dependencies (all
// are in the bundle) and no scripts (nothing to run in Azure).
const project = JSON.parse(readFileSync('package.json', 'utf8'));
const packageJson = {
  name: project.name,
  version: project.version,
  private: true,
  license: project.license,
  type: project.type,
  main: 'functions/*.js',
  engines: project.engines,
};
writeFileSync('dist/package.json', `${JSON.stringify(packageJson, null, 2)}\n`);
copyFileSync('host.json', 'dist/host.json');
// azd reads the ignore file from the folder it zips (dist/), and the project's copy to decide
// remoteBuild: one file, both places.
copyFileSync('.funcignore', 'dist/.funcignore');
