// Typed OVSDB errors: `code` is the RFC 7047 error string ("constraint violation", "syntax error", …)
// and becomes the "error" member of the JSON error object sent to clients. Also the text forms Open vSwitch
// uses inside error objects: its JSON serializer (for "syntax") and its "%.15g" number format.
import type { Json, JsonObject } from '../jsonrpc/json.js';

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
    if (this.syntax !== undefined) obj.syntax = ovsJsonText(this.syntax);
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

/** JSON text as Open vSwitch writes it for "syntax": no spaces, object members sorted, reals as %.15g. */
export function ovsJsonText(json: Json): string {
  if (json === null || typeof json === 'boolean' || typeof json === 'string') return JSON.stringify(json);
  if (typeof json === 'number') return formatNumber(json);
  if (Array.isArray(json)) return `[${json.map(ovsJsonText).join(',')}]`;
  const keys = Object.keys(json).sort(compareBytes);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${ovsJsonText((json as JsonObject)[k])}`).join(',')}}`;
}

/** strcmp() order of two strings' UTF-8 bytes (which is their code point order). */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

/** Ranks UTF-16 code units so that comparing ranks orders strings by code point. */
function codeUnitRank(c: number): number {
  if (c >= 0xd800 && c <= 0xdfff) return c + 0x2000;
  if (c >= 0xe000) return c - 0x800;
  return c;
}

const INT64_LIMIT = 2 ** 63;

/** True when Open vSwitch's JSON parser reads `v` as an integer: no fraction, and within 64 bits. */
export function isJsonInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= -INT64_LIMIT && v < INT64_LIMIT;
}

/** A JSON number as Open vSwitch prints it: integers in full, other values as "%.15g". */
export function formatNumber(n: number): string {
  return isJsonInteger(n) ? BigInt(n).toString() : formatReal(n);
}

/** C's printf("%.15g") of a double (DBL_DIG significant digits, ties to even on the exact value). */
export function formatReal(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0`;
  const { digits, exponent } = roundDecimal(exactDecimal(Math.abs(x)), 15);
  const trimmed = digits.replace(/0+$/, '');
  if (exponent < -4 || exponent >= 15) {
    const mantissa = trimmed.length > 1 ? `${trimmed[0]}.${trimmed.slice(1)}` : trimmed;
    const e = Math.abs(exponent).toString().padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${trimmed}`;
  const intPart = trimmed.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const frac = trimmed.slice(exponent + 1);
  return `${sign}${intPart}${frac.length > 0 ? `.${frac}` : ''}`;
}

/** A double rounded to 15 significant digits, as Open vSwitch's JSON writer emits reals. */
export function roundReal(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(formatReal(x));
}

/** The exact decimal digits of a positive finite double: value = 0.d1d2… × 10^(pointPos). */
function exactDecimal(x: number): { digits: string; pointPos: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  let exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp === 0) exp = 1;
  else mant |= 1n << 52n;
  exp -= 1075;
  if (exp >= 0) {
    const digits = (mant << BigInt(exp)).toString();
    return { digits, pointPos: digits.length };
  }
  const digits = (mant * 5n ** BigInt(-exp)).toString();
  return { digits, pointPos: digits.length + exp };
}

/** Rounds exact digits to `precision` significant digits (half to even); returns them and the exponent. */
function roundDecimal(
  d: { digits: string; pointPos: number },
  precision: number,
): { digits: string; exponent: number } {
  const all = d.digits;
  let exponent = d.pointPos - 1;
  if (all.length <= precision) return { digits: all.padEnd(precision, '0'), exponent };
  let kept = BigInt(all.slice(0, precision));
  const rest = all.slice(precision);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  if (first > 5 || (first === 5 && (tail || kept % 2n === 1n))) kept += 1n;
  let digits = kept.toString();
  if (digits.length > precision) {
    digits = digits.slice(0, precision);
    exponent += 1;
  }
  return { digits, exponent };
}
