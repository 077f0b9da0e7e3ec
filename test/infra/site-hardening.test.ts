// The function app's hardening in infra/app/api.bicep. Passing `siteConfig` to the site module
// (avm/res/web/site 0.15.1) replaces its defaults (alwaysOn, minTlsVersion 1.2, ftpsState
// FtpsOnly) as a whole, so each setting must be spelled out. No Bicep compiler runs here (the CI
// workflow compiles on GitHub): these checks read the source text of the module's params.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/paths.js';

const apiBicep = readFileSync(join(ROOT, 'infra', 'app', 'api.bicep'), 'utf8');

/** The text between the brackets that open right after `${name}: ` (first match), comments cut. */
function block(text: string, name: string): string {
  const start = new RegExp(`^\\s*${name}: ([[{])\\s*$`, 'm').exec(text);
  if (!start) throw new Error(`no "${name}: {" or "${name}: [" line`);
  const open = start[1] as string;
  const close = open === '{' ? '}' : ']';
  let depth = 0;
  const from = start.index + start[0].indexOf(open);
  for (let i = from; i < text.length; i++) {
    if (text[i] === open) depth++;
    if (text[i] === close && --depth === 0) {
      return text
        .slice(from + 1, i)
        .replace(/\/\/.*$/gm, '')
        .trim();
    }
  }
  throw new Error(`"${name}" is never closed`);
}

/** `key: value` lines at the top level of a block. */
function topLevel(body: string): Map<string, string> {
  const entries = new Map<string, string>();
  let depth = 0;
  for (const line of body.split(/\r?\n/).map((l) => l.trim())) {
    const match = depth === 0 ? /^(\w+): (.+)$/.exec(line) : null;
    if (match?.[1] && match[2]) entries.set(match[1], match[2]);
    depth += (line.match(/[[{]/g) ?? []).length - (line.match(/[\]}]/g) ?? []).length;
  }
  return entries;
}

describe('the function app site (infra/app/api.bicep)', () => {
  const params = block(apiBicep, 'params');
  const siteConfig = topLevel(block(params, 'siteConfig'));

  it.each([
    ['minTlsVersion', "'1.2'"],
    ['scmMinTlsVersion', "'1.2'"],
    ['ftpsState', "'Disabled'"],
    ['http20Enabled', 'true'],
    ['alwaysOn', 'false'], // Flex Consumption has no always-on
  ])('siteConfig sets %s: %s', (name, value) => {
    expect(siteConfig.get(name)).toBe(value);
  });

  it('turns off basic publishing credentials for both FTP and SCM', () => {
    const policies = block(params, 'basicPublishingCredentialsPolicies')
      .split(/}\s*{/)
      .map((entry) => topLevel(entry.replace(/[{}]/g, '')));
    expect(policies.map((p) => [p.get('name'), p.get('allow')]).sort()).toEqual([
      ["'ftp'", 'false'],
      ["'scm'", 'false'],
    ]);
  });

  it('keeps HTTPS only (the module default) and sets no platform CORS origin', () => {
    expect(topLevel(params).get('httpsOnly') ?? 'true').toBe('true');
    expect(block(block(params, 'siteConfig'), 'cors')).toMatch(/^allowedOrigins: \[\]$/);
  });
});
