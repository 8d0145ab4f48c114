// Typed OVSDB errors: `code` is the RFC 7047 error string ("constraint violation", "syntax error", …)
// and becomes the "error" member of the JSON error object sent to clients.
import type { Json, JsonObject } from '../jsonrpc/json.js';

/** An OVSDB error, as sent to a client: {"error": code, "details": details}. */
export class OvsdbError extends Error {
  constructor(
    /** The RFC 7047 error tag, e.g. "constraint violation". */
    readonly code: string,
    /** Human-readable details (the "details" member), if any. */
    readonly details?: string,
    /** For syntax errors: the offending JSON, sent as the "syntax" member. */
    readonly syntax?: Json,
  ) {
    super(details === undefined ? code : `${code}: ${details}`);
    this.name = 'OvsdbError';
  }

  /** The error object as it appears in a transact result or JSON-RPC error. */
  toJson(): JsonObject {
    const obj: JsonObject = { error: this.code };
    if (this.details !== undefined) obj.details = this.details;
    if (this.syntax !== undefined) obj.syntax = JSON.stringify(this.syntax);
    return obj;
  }
}

/** A "syntax error" naming the offending JSON. */
export function syntaxError(json: Json | undefined, details: string): OvsdbError {
  return new OvsdbError('syntax error', details, json === undefined ? undefined : json);
}

/** A "constraint violation". */
export function constraintViolation(details: string): OvsdbError {
  return new OvsdbError('constraint violation', details);
}
