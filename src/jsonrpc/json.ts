// The JSON value type shared by the JSON-RPC, OVSDB and unixctl layers.

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: Json;
}

/** True when `v` is a JSON object (not an array, not null). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `v` is a JSON array. */
export function isJsonArray(v: unknown): v is Json[] {
  return Array.isArray(v);
}

/** The name Open vSwitch gives a JSON value's type in messages ("null", "true", "integer", "array", …). */
export function jsonTypeName(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'real';
  if (typeof v === 'string') return 'string';
  return Array.isArray(v) ? 'array' : 'object';
}
