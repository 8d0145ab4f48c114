// Typed OVSDB errors: `code` is the RFC 7047 error string ("constraint violation", "syntax error", …)
// and becomes the "error" member of the JSON error object sent to clients, with the offending JSON written
// (as Open vSwitch writes it, ovs-json.ts) in the "syntax" member.
import type { Json, JsonObject } from '../jsonrpc/json.js';
import { ovsJsonToString } from './ovs-json.js';

/** An OVSDB error, as sent to a client: {"error": code, "details": details, "syntax": …}. */
export class OvsdbError extends Error {
  constructor(
    /** The RFC 7047 error tag, e.g. "constraint violation". */
    readonly code: string,
    /** Human-readable details (the "details" member), if any. */
    readonly details?: string,
    /** The offending JSON, sent (serialized as Open vSwitch does) as the "syntax" member. */
    readonly syntax?: Json,
  ) {
    super(details === undefined ? code : `${code}: ${details}`);
    this.name = 'OvsdbError';
  }

  /** The error object as it appears in a transact result or JSON-RPC error. */
  toJson(): JsonObject {
    const obj: JsonObject = { error: this.code };
    if (this.details !== undefined) obj.details = this.details;
    if (this.syntax !== undefined) obj.syntax = ovsJsonToString(this.syntax, { sort: true });
    return obj;
  }
}

/** A "syntax error" naming the offending JSON. */
export function syntaxError(json: Json | undefined, details: string): OvsdbError {
  return new OvsdbError('syntax error', details, json);
}

/** An error with its own tag that still carries the offending JSON (OVS's ovsdb_syntax_error with a tag). */
export function taggedSyntaxError(json: Json | undefined, tag: string, details: string): OvsdbError {
  return new OvsdbError(tag, details, json);
}

/** A "constraint violation". */
export function constraintViolation(details: string): OvsdbError {
  return new OvsdbError('constraint violation', details);
}
