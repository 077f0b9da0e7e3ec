// local.settings.json for `npm start`: read with a file:line:column message for a JSON syntax
// error, and merged with the environment the way Azure Functions Core Tools does it: a value
// from local.settings.json is applied only where the environment variable is unset or empty
// (Core Tools' StartHostAction.UpdateEnvironmentVariables), so a non-empty environment
// variable wins. Each setting the app reads is reported with where it came from.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SETTING_NAMES, type SettingName } from '../shared/config.js';
import { DevError } from './errors.js';

export type SettingSource = 'environment' | 'local.settings.json';

export interface LocalSettings {
  /** The app settings as the app will see them under func start. */
  values: Record<string, string>;
  /** Where each setting the app reads came from; absent when set nowhere. */
  sources: Partial<Record<SettingName, SettingSource>>;
}

/** 1-based line and column of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** `Values` of a local.settings.json; a DevError names the file, line and column of bad JSON. */
export function readLocalSettingsFile(path: string): Record<string, string> {
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    // V8: "… in JSON at position 57" (Node 22 adds "(line 3 column 5)"); none at the very end.
    const position = /at position (\d+)/.exec(message)?.[1];
    const { line, column } = lineAndColumn(text, position ? Number(position) : text.length);
    const reason = message.replace(/ in JSON at position \d+.*$/, '').replace(/^JSON\.parse: /, '');
    throw new DevError(`${basename(path)}:${line}:${column}: not valid JSON: ${reason}.`);
  }
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (values === undefined) return {};
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new DevError(`${basename(path)}: "Values" must be an object of settings.`);
  }
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, value == null ? '' : String(value)]),
  );
}

export function mergeSettings(
  file: Record<string, string>,
  env: Readonly<Record<string, string | undefined>>,
): LocalSettings {
  const values: Record<string, string> = { ...file };
  for (const [name, value] of Object.entries(env)) {
    if (value) values[name] = value;
  }
  const sources: LocalSettings['sources'] = {};
  for (const name of SETTING_NAMES) {
    if (env[name]) sources[name] = 'environment';
    else if (file[name]?.trim()) sources[name] = 'local.settings.json';
  }
  return { values, sources };
}

/** Where a setting came from, as a sentence for a message. */
export function describeSource(name: SettingName, sources: LocalSettings['sources']): string {
  switch (sources[name]) {
    case 'environment':
      return `${name} comes from the environment, which wins over local.settings.json.`;
    case 'local.settings.json':
      return `${name} comes from local.settings.json.`;
    default:
      return `${name} is set neither in local.settings.json nor in the environment.`;
  }
}

/** One line per source, naming the settings (never their values). */
export function summarizeSources(sources: LocalSettings['sources']): string[] {
  const names = (source: SettingSource) =>
    SETTING_NAMES.filter((name) => sources[name] === source).join(', ');
  const lines: string[] = [];
  if (names('local.settings.json'))
    lines.push(`  from local.settings.json: ${names('local.settings.json')}`);
  if (names('environment')) {
    lines.push(`  from the environment (wins over local.settings.json): ${names('environment')}`);
  }
  return lines;
}
