/**
 * The wire JSON Schemas (schemas/wire at the repository root), compiled once with ajv, so a
 * test can prove that what a server sends (the fake one of the unit tests, the real engine in
 * integration tests) is the protocol's shape. Each validator throws with ajv's errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** test/support → web-client → repository root */
export const WIRE_SCHEMA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../schemas/wire');
const BASE = 'https://patchwire.dev/schemas/wire/';

let validators: Map<string, ValidateFunction> | null = null;

function compiled(name: string): ValidateFunction {
  if (validators === null) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const files = readdirSync(WIRE_SCHEMA_DIR).filter((f) => f.endsWith('.schema.json'));
    if (files.length === 0) {
      throw new Error(`no wire schemas in ${WIRE_SCHEMA_DIR}`);
    }
    for (const file of files) {
      ajv.addSchema(JSON.parse(readFileSync(join(WIRE_SCHEMA_DIR, file), 'utf8')) as object);
    }
    validators = new Map();
    for (const file of files) {
      const validate = ajv.getSchema(BASE + file);
      if (!validate) {
        throw new Error(`wire schema ${file} has no $id ${BASE + file}`);
      }
      validators.set(file, validate);
    }
  }
  const validate = validators.get(name);
  if (!validate) {
    throw new Error(`no wire schema ${name} in ${WIRE_SCHEMA_DIR}`);
  }
  return validate;
}

/** Throws unless `value` matches the schema file `name` (e.g. `ready.schema.json`). */
export function validateWire(name: string, value: unknown, what = name): void {
  const validate = compiled(name);
  if (!validate(value)) {
    throw new Error(`${what} does not match ${name}: ${describe(validate.errors)}`);
  }
}

/** Any WebSocket text frame, parsed (ws-frame.schema.json). */
export function validateWsFrame(frame: unknown): void {
  validateWire('ws-frame.schema.json', frame, 'WebSocket frame');
}

/** One SSE event as `{event, id?, data?}` with its data parsed as JSON (sse-event.schema.json). */
export function validateSseEvent(event: { event: string; id?: string; data?: unknown }): void {
  validateWire('sse-event.schema.json', event, 'SSE event');
}

/** A REST error body `{"error":{code,message,details?}}` (error.schema.json). */
export function validateErrorBody(body: unknown): void {
  validateWire('error.schema.json', body, 'error body');
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');
}
