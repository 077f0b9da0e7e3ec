// package.json "main" may be a glob (the Node.js v4 programming model loads every match).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function toRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*' && pattern[i + 1] === '*') {
      // `**/` is zero or more folders; a trailing `**` is anything.
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Files under `root` matching `pattern` (`*`, `**`, `?`), sorted, as absolute paths.
 *
 * @example
 * expandMain('/app', 'dist/functions/*.js'); // ['/app/dist/functions/changePassword.js']
 */
export function expandMain(root: string, pattern: string): string[] {
  const posix = pattern.replaceAll('\\', '/').replace(/^\.\//, '');
  if (!/[*?]/.test(posix)) return existsSync(join(root, posix)) ? [join(root, posix)] : [];
  const segments = posix.split('/');
  const base = segments
    .slice(
      0,
      segments.findIndex((s) => /[*?]/.test(s)),
    )
    .join('/');
  if (!existsSync(join(root, base))) return [];
  const regExp = toRegExp(posix);
  return readdirSync(join(root, base), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) =>
      join(entry.parentPath, entry.name)
        .slice(root.length + 1)
        .replaceAll('\\', '/'),
    )
    .filter((relative) => regExp.test(relative))
    .sort()
    .map((relative) => join(root, relative));
}
