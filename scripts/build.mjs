// Bundles each function entry point with its dependencies into dist/functions.
// One minified file loads far faster than hundreds of node_modules files on a
// cold start, and the deployment package needs no node_modules at all.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const entryPoints = readdirSync('functions')
  .filter((name) => name.endsWith('.ts'))
  .map((name) => `functions/${name}`);

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints,
  outdir: 'dist/functions',
  // Shared and lazily loaded code (e.g. @azure/identity, only for managed identity) goes
  // below chunks/, out of reach of package.json "main": "dist/functions/*.js".
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: true,
  // Provided at run time by the Functions Node.js worker.
  external: ['@azure/functions-core'],
  // Some bundled CommonJS dependencies call require(); give the ES module one.
  banner: {
    js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
  },
  logLevel: 'warning',
});
