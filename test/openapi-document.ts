// openapi.yaml for the tests: the parsed document, its schemas compiled with Ajv (JSON Schema
// 2020-12, strict), and `checkAgainstDocument`, which holds a real response to what the document
// says about its status: the body's schema, and every header (documented, required, valid).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../scripts/paths.js';

type Json = Record<string, unknown>;

export const OPENAPI_PATH = join(ROOT, 'openapi.yaml');
export const openapiText = readFileSync(OPENAPI_PATH, 'utf8');

export interface HeaderObject {
  required?: boolean;
  schema: Json;
  $ref?: string;
}
export interface ResponseObject {
  description: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, { schema: Json }>;
  $ref?: string;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
  components: { schemas: Record<string, Json & { enum?: string[] }> } & Json;
}

export const openapi = parse(openapiText) as Document;
export const CHANGE_PASSWORD_PATH = '/me/changePassword';

/** The component a local $ref points to, e.g. #/components/responses/BadRequest. */
export function resolve<T>(value: T & { $ref?: string }): T {
  if (!value.$ref) return value;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Json)[key.replaceAll('~1', '/')], openapi);
  if (target === undefined) throw new Error(`unresolved ${value.$ref}`);
  return resolve(target as T & { $ref?: string });
}

const SCHEMAS_ID = 'urn:openapi:schemas';
/** Local schema refs, as refs into the bundle of component schemas Ajv knows. */
const toAjv = (schema: Json): Json =>
  JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', `${SCHEMAS_ID}#/$defs/`));

function createAjv(coerceTypes: boolean): Ajv2020 {
  // strict: unknown keywords and formats are errors (`password` is OpenAPI's annotation); a
  // `required` in if/then may name properties declared next to the if.
  const ajv = new Ajv2020({
    strict: true,
    strictRequired: false,
    allErrors: true,
    coerceTypes,
    formats: { password: true },
  });
  ajv.addSchema({ $id: SCHEMAS_ID, $defs: toAjv(openapi.components.schemas) });
  return ajv;
}
export const ajv = createAjv(false);
// Header values are text: "600" is the integer 600.
const headerAjv = createAjv(true);

export function compileSchema(schema: Json): ValidateFunction {
  return ajv.compile(toAjv(schema));
}

export interface RealResponse {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

/** Headers every HTTP stack adds, described by the content, not by header objects. */
const TRANSPORT_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection']);

/**
 * Checks a real response of `method` against the document: its status is listed explicitly
 * (not just `default`), its body matches the status's schema (or is empty when none is
 * documented), every header it carries is documented and valid, every required one is there.
 */
export function checkAgainstDocument(method: 'post' | 'options', response: RealResponse): void {
  const operation = openapi.paths[CHANGE_PASSWORD_PATH]?.[method];
  const listed = operation?.responses[String(response.status)];
  expect(listed, `${method.toUpperCase()} ${response.status} is not documented`).toBeDefined();
  const spec = resolve(listed as ResponseObject);

  const content = spec.content?.['application/json'];
  if (content) {
    expect(response.headers['content-type']).toMatch(/^application\/json\b/);
    const validate = compileSchema(content.schema);
    const body: unknown = JSON.parse(response.body);
    expect(validate(body), `${response.body}\n${JSON.stringify(validate.errors, null, 2)}`).toBe(
      true,
    );
  } else {
    expect(response.body).toBe('');
  }

  const documented = new Map(
    Object.entries(spec.headers ?? {}).map(([name, header]) => [
      name.toLowerCase(),
      resolve(header),
    ]),
  );
  for (const name of Object.keys(response.headers)) {
    if (TRANSPORT_HEADERS.has(name)) continue;
    expect(
      documented.has(name),
      `${method.toUpperCase()} ${response.status}: header ${name} is not documented`,
    ).toBe(true);
  }
  for (const [name, header] of documented) {
    const value = response.headers[name];
    if (value === undefined) {
      expect(header.required ?? false, `${response.status}: required header ${name} missing`).toBe(
        false,
      );
      continue;
    }
    const validate = headerAjv.compile({
      type: 'object',
      properties: { value: toAjv(header.schema) },
    });
    expect(
      validate({ value }),
      `${response.status}: header ${name}: ${value}\n${JSON.stringify(validate.errors)}`,
    ).toBe(true);
  }
}
