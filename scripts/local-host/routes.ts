// Route templates as the Functions host reads them: `{name}`, `{name:constraint}`, `{name?}`,
// `{*rest}`; matched case-insensitively, below host.json's route prefix.

export type RouteMatcher = (pathname: string) => Record<string, string> | undefined;

/**
 * @example
 * compileRoute('api', 'users/{id}')('/api/users/42'); // { id: '42' }
 */
export function compileRoute(prefix: string, template: string): RouteMatcher {
  const names: string[] = [];
  let source = '';
  const segments = [prefix, template].join('/').split('/').filter(Boolean);
  for (const segment of segments) {
    const param = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]*)?(\?)?\}$/.exec(segment);
    if (!param) {
      source += `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
      continue;
    }
    names.push(param[2] as string);
    if (param[1]) source += '(?:/(.*))?';
    else if (param[3]) source += '(?:/([^/]+))?';
    else source += '/([^/]+)';
  }
  const regExp = new RegExp(`^${source}/?$`, 'i');
  return (pathname) => {
    const match = regExp.exec(pathname);
    if (!match) return undefined;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      const value = match[i + 1];
      if (value !== undefined) params[name] = decodeURIComponent(value);
    });
    return params;
  };
}
