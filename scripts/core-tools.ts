// Azure Functions Core Tools (`func`): where it is, and what to say when it is not there.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The path of `func` on PATH (npm scripts add node_modules/.bin), or undefined. */
export function findCoreTools(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const extensions =
    process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? env.Path ?? '').split(delimiter)) {
    for (const extension of extensions) {
      const candidate = join(dir, `func${extension.toLowerCase()}`);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export const INSTALL_CORE_TOOLS = [
  'Azure Functions Core Tools 4 (`func`) is not installed, or not on PATH. Install it with one of:',
  '  npm install -g azure-functions-core-tools@4                            (any system)',
  '  winget install Microsoft.Azure.FunctionsCoreTools                      (Windows)',
  '  brew tap azure/functions && brew install azure-functions-core-tools@4  (macOS)',
  '  sudo apt-get install azure-functions-core-tools-4                      (Debian, Ubuntu: first add',
  "    Microsoft's package feed, https://learn.microsoft.com/azure/azure-functions/functions-run-local)",
  '(npm 11 may warn that the package\'s install script is "not yet covered by allowScripts": it',
  '  still runs, and it is the step that downloads func.)',
  'Then check with `func --version`. (npm run dev works without it: it falls back to a local host.)',
].join('\n');
