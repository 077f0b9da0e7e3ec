import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../shared/config.js';
import type { FailureCode } from '../shared/failures.js';
import { TELEMETRY_SETTING_NAMES } from '../shared/telemetrySettings.js';

const readme = readFileSync('README.md', 'utf8');
const sample = JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as {
  Values: Record<string, string>;
};

// Typed as a record so that a new failure code fails to compile until it is listed here.
const CODES: Record<Exclude<FailureCode, 'graph_error'>, true> = {
  missing_token: true,
  invalid_token: true,
  insufficient_scope: true,
  app_only_token: true,
  client_app_not_allowed: true,
  signing_keys_unavailable: true,
  unsupported_media_type: true,
  payload_too_large: true,
  invalid_json: true,
  invalid_request: true,
  origin_not_allowed: true,
  insufficient_claims: true,
  interaction_required: true,
  consent_required: true,
  token_exchange_rejected: true,
  token_exchange_unavailable: true,
  token_exchange_unreachable: true,
  token_exchange_timeout: true,
  credential_unavailable: true,
  graph_unreachable: true,
  graph_bad_response: true,
  graph_timeout_change_unknown: true,
  graph_connection_lost_change_unknown: true,
  server_busy: true,
  too_many_attempts: true,
  attempt_store_unavailable: true,
  server_misconfigured: true,
  internal_error: true,
};

describe('the docs say what the code does', () => {
  it.each(SETTING_NAMES)('README configuration table lists %s', (name) => {
    expect(readme).toMatch(new RegExp(`\\| \`${name}\` +\\|`));
  });

  it.each(SETTING_NAMES)('local.settings.sample.json documents %s', (name) => {
    expect(sample.Values).toHaveProperty(name);
  });

  it.each(TELEMETRY_SETTING_NAMES)('README telemetry table lists %s', (name) => {
    expect(readme).toMatch(new RegExp(`\\| \`${name}\` +\\|`));
  });

  it.each(TELEMETRY_SETTING_NAMES)('local.settings.sample.json documents %s', (name) => {
    expect(sample.Values).toHaveProperty(name);
  });

  it('local.settings.sample.json holds no setting the app does not read, except the host own', () => {
    const read: readonly string[] = [...SETTING_NAMES, ...TELEMETRY_SETTING_NAMES];
    const unknown = Object.keys(sample.Values).filter((name) => !read.includes(name));
    expect(unknown).toEqual([
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT',
      'AzureWebJobsStorage',
    ]);
  });

  it.each(Object.keys(CODES))('README error table lists %s', (code) => {
    expect(readme).toMatch(new RegExp(`\\| \`${code}\` +\\|`));
  });

  it('README error table lists no code the app does not have', () => {
    const table = readme.split('### Errors')[1]?.split('\n### ')[0] ?? '';
    const listed = [...table.matchAll(/^\| [^|]+\| `([a-z_]+)` +\|/gm)].map((m) => m[1] ?? '');
    expect(listed.length).toBeGreaterThan(20);
    expect(listed.filter((code) => !(code in CODES))).toEqual([]);
  });

  it('gives a newcomer exactly two commands', () => {
    const quickStart = readme.split('## Quick start')[1]?.split('\n## ')[0] ?? '';
    const block = quickStart.split('```sh')[1]?.split('```')[0] ?? '';
    expect(block.trim().split('\n')).toHaveLength(2);
    expect(block).toContain('npm test');
  });
});
