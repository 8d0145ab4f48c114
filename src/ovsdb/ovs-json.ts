// Open vSwitch's JSON text (lib/json.c), the one writer every tsovs tool and error message uses: integers
// in full, reals as printf("%.15g"), strings with only `"`, `\` and control characters escaped, object
// members sorted bytewise (strcmp) or in OVS's hash-table order, compact or pretty-printed.
import type { Json } from '../jsonrpc/json.js';
import { shashOrder } from './shash-order.js';

/** Options of ovsJsonToString: `sort` orders object members bytewise, `pretty` indents by two spaces. */
export interface JsonStyle {
  readonly sort?: boolean;
  readonly pretty?: boolean;
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

/** An integer as OVS prints an int64 (printf("%lld")): every digit, never an exponent. */
export function formatInteger(n: number): string {
  return BigInt(n).toString();
}

/** A JSON number as Open vSwitch prints it: integers in full, other values as "%.15g". */
export function formatNumber(n: number): string {
  return isJsonInteger(n) ? formatInteger(n) : formatReal(n);
}

/** C's printf("%.15g") of a double (DBL_DIG significant digits, ties to even on the exact value). */
export function formatReal(x: number): string {
  if (Number.isNaN(x)) return 'nan';
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

/**
 * A JSON string as OVS writes it: `"`, `\` and control characters escaped (\b \t \n \f \r, else \u00XX),
 * everything else as is — the escapes JSON.stringify makes.
 */
export function ovsJsonString(s: string): string {
  return JSON.stringify(s);
}

/**
 * Serialises JSON as OVS's json_to_string() does. Without `sort`, object members come in OVS's hash order
 * for an object parsed with its members in this object's key order, as the C tools would print it.
 */
export function ovsJsonToString(json: Json, style: JsonStyle = {}): string {
  const out: string[] = [];
  serialize(json, style, 0, out);
  return out.join('');
}

function indent(style: JsonStyle, depth: number, out: string[]): void {
  if (style.pretty) out.push(`\n${' '.repeat(2 * depth)}`);
}

function serialize(json: Json, style: JsonStyle, depth: number, out: string[]): void {
  if (json === null || typeof json === 'boolean') out.push(String(json));
  else if (typeof json === 'number') out.push(formatNumber(json));
  else if (typeof json === 'string') out.push(ovsJsonString(json));
  else if (Array.isArray(json)) {
    out.push('[');
    if (json.length > 0) indent(style, depth + 1, out);
    json.forEach((item, i) => {
      if (i > 0) {
        out.push(',');
        indent(style, depth + 1, out);
      }
      serialize(item, style, depth + 1, out);
    });
    out.push(']');
  } else {
    out.push('{');
    indent(style, depth + 1, out);
    const keys = style.sort ? Object.keys(json).sort(compareBytes) : shashOrder(Object.keys(json));
    keys.forEach((key, i) => {
      if (i > 0) {
        out.push(',');
        indent(style, depth + 1, out);
      }
      out.push(ovsJsonString(key), style.pretty ? ': ' : ':');
      serialize(json[key], style, depth + 1, out);
    });
    out.push('}');
  }
}
