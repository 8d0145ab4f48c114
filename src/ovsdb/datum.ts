// OVSDB values (RFC 7047 §5.1): a Datum is an immutable sorted set of atoms, or a map (sorted keys with
// parallel values). Conversion from/to the wire's JSON, constraint checks, and the diffs that `update2`
// notifications and the on-disk log use.
import type { Json } from '../jsonrpc/json.js';
import { constraintViolation, OvsdbError, syntaxError } from './error.js';
import { formatInteger, formatReal, isJsonInteger, ovsJsonString, roundReal } from './ovs-json.js';
import {
  type Atom,
  type AtomicType,
  type BaseType,
  type ColumnType,
  compareAtoms,
  defaultAtom,
  maxCount,
} from './types.js';

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** True when `s` is a UUID in its canonical text form. */
export function isUuid(s: string): boolean {
  return s.length === 36 && UUID_RE.test(s);
}

/** Turns a ["named-uuid", NAME] reference into a UUID, or throws; supplied by a transaction. */
export type NamedUuidResolver = (name: string, json: Json) => string;

/** An immutable OVSDB value: keys sorted without duplicates; `values` parallel to keys for maps. */
export class Datum {
  constructor(
    readonly keys: readonly Atom[],
    readonly values: readonly Atom[] | null,
  ) {}

  /** Number of elements. */
  get size(): number {
    return this.keys.length;
  }

  /** True when both hold the same elements. */
  equals(other: Datum): boolean {
    if (this === other) return true;
    const n = this.keys.length;
    if (n !== other.keys.length) return false;
    for (let i = 0; i < n; i++) if (this.keys[i] !== other.keys[i]) return false;
    if (this.values === null || other.values === null) return this.values === other.values;
    for (let i = 0; i < n; i++) if (this.values[i] !== other.values[i]) return false;
    return true;
  }

  /** Index of `key`, or -1. */
  indexOf(key: Atom): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareAtoms(this.keys[mid], key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** True when the set contains `key` (and, for maps, `key` maps to `value` when given). */
  has(key: Atom, value?: Atom): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    return value === undefined || this.values === null || this.values[i] === value;
  }

  /** For maps: the value of `key`, or undefined. */
  get(key: Atom): Atom | undefined {
    const i = this.indexOf(key);
    return i < 0 || this.values === null ? undefined : this.values[i];
  }
}

/** The empty set (shared). */
export const EMPTY_SET = new Datum([], null);
/** The empty map (shared). */
export const EMPTY_MAP = new Datum([], []);

/** Builds a datum from unsorted elements; later duplicates of a key replace earlier ones. */
export function makeDatum(keys: Atom[], values: Atom[] | null): Datum {
  if (keys.length === 0) return values === null ? EMPTY_SET : EMPTY_MAP;
  const order = keys.map((_, i) => i);
  order.sort((a, b) => compareAtoms(keys[a], keys[b]) || a - b);
  const k: Atom[] = [];
  const v: Atom[] | null = values === null ? null : [];
  for (const i of order) {
    if (k.length > 0 && compareAtoms(k[k.length - 1], keys[i]) === 0) {
      if (v !== null && values !== null) v[v.length - 1] = values[i];
      continue;
    }
    k.push(keys[i]);
    if (v !== null && values !== null) v.push(values[i]);
  }
  return new Datum(k, v);
}

/** A datum with one atom. */
export function scalarDatum(a: Atom): Datum {
  return new Datum([a], null);
}

const defaultCache = new Map<string, Datum>();

/** The default value of a column type (empty, or the type's default atom when min is 1); shared. */
export function defaultDatum(t: ColumnType): Datum {
  if (t.min === 0) return t.value === null ? EMPTY_SET : EMPTY_MAP;
  const key = `${t.key.type}/${t.value?.type ?? ''}`;
  let d = defaultCache.get(key);
  if (d === undefined) {
    d = new Datum([defaultAtom(t.key.type)], t.value === null ? null : [defaultAtom(t.value.type)]);
    defaultCache.set(key, d);
  }
  return d;
}

/** Parses one atom of `base` from JSON (uuids as ["uuid", …] or ["named-uuid", …]) and checks constraints. */
export function atomFromJson(base: BaseType, json: Json, resolve?: NamedUuidResolver): Atom {
  const atom = parseAtom(base, json, resolve);
  checkAtom(base, atom);
  return atom;
}

function parseAtom(base: BaseType, json: Json, resolve?: NamedUuidResolver): Atom {
  switch (base.type) {
    case 'integer':
      if (isJsonInteger(json)) return json;
      break;
    case 'real':
      if (typeof json === 'number') return json;
      break;
    case 'boolean':
      if (typeof json === 'boolean') return json;
      break;
    case 'string':
      if (typeof json === 'string') return json;
      break;
    case 'uuid':
      return uuidFromJson(json, resolve);
  }
  throw syntaxError(json, `expected ${base.type}`);
}

/** Checks `json` is [`tag`, <string>] and returns the string, or null. */
function unwrapString(json: Json, tag: string): string | null {
  return Array.isArray(json) && json.length === 2 && json[0] === tag && typeof json[1] === 'string'
    ? json[1]
    : null;
}

const ID_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function uuidFromJson(json: Json, resolve?: NamedUuidResolver): string {
  const text = unwrapString(json, 'uuid');
  if (text !== null) {
    if (!isUuid(text)) throw syntaxError(json, `"${text}" is not a valid UUID`);
    return text.toLowerCase();
  }
  const name = resolve === undefined ? null : unwrapString(json, 'named-uuid');
  if (name === null || resolve === undefined) throw syntaxError(json, 'expected ["uuid", <string>]');
  if (!ID_RE.test(name)) throw syntaxError(json, 'named-uuid string is not a valid <id>');
  return resolve(name, json);
}

/** Writes one atom as JSON (reals with the 15 significant digits Open vSwitch writes). */
export function atomToJson(type: AtomicType, a: Atom): Json {
  if (type === 'uuid') return ['uuid', a as string];
  return type === 'real' ? roundReal(a as number) : a;
}

/** True when `json` is written as a set: ["set", …] (a non-empty array whose first element is "set"). */
function looksLikeSet(json: Json): boolean {
  return Array.isArray(json) && json.length > 0 && json[0] === 'set';
}

/**
 * Parses a datum of column type `t` from JSON: a bare atom, ["set", […]] or ["map", [[k, v]…]]. Checks the
 * element count, every atom's constraints, and duplicates, with Open vSwitch's errors.
 */
export function datumFromJson(t: ColumnType, json: Json, resolve?: NamedUuidResolver): Datum {
  if (t.value === null && !looksLikeSet(json)) return new Datum([atomFromJson(t.key, json, resolve)], null);
  const kind = t.value === null ? 'set' : 'map';
  if (!Array.isArray(json) || json.length !== 2 || json[0] !== kind || !Array.isArray(json[1])) {
    throw syntaxError(json, `expected ["${kind}", <array>]`);
  }
  const elems = json[1];
  checkCount(t, kind, json, elems.length);
  const keys: Atom[] = [];
  const values: Atom[] | null = t.value === null ? null : [];
  for (const elem of elems) {
    if (values === null) {
      keys.push(atomFromJson(t.key, elem, resolve));
      continue;
    }
    if (!Array.isArray(elem) || elem.length !== 2) throw syntaxError(elem, 'expected 2-element array');
    keys.push(atomFromJson(t.key, elem[0], resolve));
    values.push(atomFromJson(t.value as BaseType, elem[1], resolve));
  }
  const d = makeDatum(keys, values);
  if (d.size !== keys.length) {
    throw new OvsdbError(
      'ovsdb error',
      kind === 'map' ? 'map contains duplicate key' : 'set contains duplicate',
    );
  }
  return d;
}

function checkCount(t: ColumnType, kind: string, json: Json, n: number): void {
  if (n >= t.min && n <= t.max) return;
  if (t.min === 1 && t.max === 1) {
    throw syntaxError(json, `${kind} must have exactly one member but ${n} are present`);
  }
  throw syntaxError(json, `${kind} must have ${t.min} to ${maxCount(t)} members but ${n} are present`);
}

/** Writes a datum as JSON: a one-element set as the bare atom, otherwise ["set", …] or ["map", …]. */
export function datumToJson(t: ColumnType, d: Datum): Json {
  const kt = t.key.type;
  if (t.value !== null) {
    const vt = t.value.type;
    const vals = d.values ?? [];
    return ['map', d.keys.map((k, i) => [atomToJson(kt, k), atomToJson(vt, vals[i])])];
  }
  if (d.keys.length === 1) return atomToJson(kt, d.keys[0]);
  return ['set', d.keys.map((k) => atomToJson(kt, k))];
}

const BARE_STRING_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** True when OVS writes string `s` in quotes in its text format (not an identifier, or "true"/"false"/a UUID). */
function stringNeedsQuotes(s: string): boolean {
  return !BARE_STRING_RE.test(s) || s === 'true' || s === 'false' || isUuid(s);
}

/** One atom in OVS's text format (ovsdb_atom_to_string), as ovs-vsctl, ovsdb-client and error messages show it. */
export function atomToString(type: AtomicType, a: Atom): string {
  switch (type) {
    case 'integer':
      return formatInteger(a as number);
    case 'real':
      return formatReal(a as number);
    case 'boolean':
      return a ? 'true' : 'false';
    case 'string':
      return stringNeedsQuotes(a as string) ? ovsJsonString(a as string) : (a as string);
    case 'uuid':
      return a as string;
  }
}

/** A datum in OVS's text format: `5`, `[1, 2]`, `{a=1}` (brackets unless at most one element allowed). */
export function datumToString(t: ColumnType, d: Datum): string {
  const bracket = t.max > 1 || d.size === 0;
  const isMapType = t.value !== null;
  const parts = d.keys.map((k, i) => {
    const key = atomToString(t.key.type, k);
    return isMapType ? `${key}=${atomToString((t.value as BaseType).type, (d.values as Atom[])[i])}` : key;
  });
  const body = parts.join(', ');
  if (!bracket) return body;
  return isMapType ? `{${body}}` : `[${body}]`;
}

const ENUM_TYPE_MAX = Number.POSITIVE_INFINITY;

/** Checks one atom against its base type's constraints (enum, ranges, lengths), with OVS's messages. */
export function checkAtom(base: BaseType, a: Atom): void {
  if (base.enum !== undefined) {
    if (!base.enum.some((e) => e === a)) {
      const enumType: ColumnType = { key: { type: base.type }, value: null, min: 1, max: ENUM_TYPE_MAX };
      const allowed = datumToString(enumType, new Datum(base.enum, null));
      throw constraintViolation(
        `${atomToString(base.type, a)} is not one of the allowed values (${allowed})`,
      );
    }
    return;
  }
  if (base.type === 'integer') checkRange(a as number, base.minInteger, base.maxInteger, formatInteger);
  else if (base.type === 'real') checkRange(a as number, base.minReal, base.maxReal, formatReal);
  else if (base.type === 'string') checkLength(base, a as string);
}

function checkRange(
  n: number,
  min: number | undefined,
  max: number | undefined,
  fmt: (x: number) => string,
): void {
  if ((min === undefined || n >= min) && (max === undefined || n <= max)) return;
  if (min !== undefined && max !== undefined) {
    throw constraintViolation(`${fmt(n)} is not in the valid range ${fmt(min)} to ${fmt(max)} (inclusive)`);
  }
  if (min !== undefined)
    throw constraintViolation(`${fmt(n)} is less than minimum allowed value ${fmt(min)}`);
  throw constraintViolation(`${fmt(n)} is greater than maximum allowed value ${fmt(max as number)}`);
}

function checkLength(base: BaseType, s: string): void {
  const len = [...s].length;
  if (base.minLength !== undefined && len < base.minLength) {
    throw constraintViolation(`"${s}" length ${len} is less than minimum allowed length ${base.minLength}`);
  }
  if (base.maxLength !== undefined && len > base.maxLength) {
    throw constraintViolation(
      `"${s}" length ${len} is greater than maximum allowed length ${base.maxLength}`,
    );
  }
}

/** Checks every atom of a datum against the column type's base-type constraints. */
export function checkDatum(t: ColumnType, d: Datum): void {
  if (!hasConstraints(t.key) && (t.value === null || !hasConstraints(t.value))) return;
  for (const k of d.keys) checkAtom(t.key, k);
  if (t.value !== null && d.values !== null) for (const v of d.values) checkAtom(t.value, v);
}

function hasConstraints(b: BaseType): boolean {
  return (
    b.enum !== undefined ||
    b.minInteger !== undefined ||
    b.maxInteger !== undefined ||
    b.minReal !== undefined ||
    b.maxReal !== undefined ||
    b.minLength !== undefined ||
    b.maxLength !== undefined
  );
}

/** Compares two datums of one type as OVS does: by size, then keys, then values. */
export function compareDatums(a: Datum, b: Datum): number {
  if (a.size !== b.size) return a.size < b.size ? -1 : 1;
  for (let i = 0; i < a.size; i++) {
    const c = compareAtoms(a.keys[i], b.keys[i]);
    if (c !== 0) return c;
  }
  if (a.values === null || b.values === null) return 0;
  for (let i = 0; i < a.size; i++) {
    const c = compareAtoms(a.values[i], b.values[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/** Walks two sorted datums in step; `both` is called for keys present in each. */
function mergeWalk(
  a: Datum,
  b: Datum,
  emit: (key: Atom, value: Atom | undefined) => void,
  both: (i: number, j: number) => void,
): void {
  let i = 0;
  let j = 0;
  while (i < a.size || j < b.size) {
    const c = i >= a.size ? 1 : j >= b.size ? -1 : compareAtoms(a.keys[i], b.keys[j]);
    if (c < 0) {
      emit(a.keys[i], a.values?.[i]);
      i++;
    } else if (c > 0) {
      emit(b.keys[j], b.values?.[j]);
      j++;
    } else {
      both(i++, j++);
    }
  }
}

/**
 * The diff that turns `a` into `b` (update2 and log form): for a column of at most one element the new
 * value; for sets the elements to toggle; for maps the pairs to add, the pairs to remove (with their old
 * value) and the keys whose value changes (with the new value).
 */
export function datumDiff(t: ColumnType, a: Datum, b: Datum): Datum {
  return toggle(t, a, b);
}

/** Applies a diff made by datumDiff (or received from a peer, or read from the log) to `a`. */
export function applyDatumDiff(t: ColumnType, a: Datum, diff: Datum): Datum {
  return toggle(t, a, diff);
}

/**
 * The one operation behind both diff directions (it is its own inverse): `b` itself for a column of at
 * most one element; otherwise the elements in only one of `a` and `b`, plus for maps `b`'s pair where a
 * key's values differ.
 */
function toggle(t: ColumnType, a: Datum, b: Datum): Datum {
  if (t.max === 1) return b;
  const keys: Atom[] = [];
  const values: Atom[] | null = t.value === null ? null : [];
  const emit = (k: Atom, v: Atom | undefined): void => {
    keys.push(k);
    if (values !== null) values.push(v as Atom);
  };
  mergeWalk(a, b, emit, (i, j) => {
    if (values !== null && a.values?.[i] !== b.values?.[j]) emit(b.keys[j], b.values?.[j]);
  });
  return new Datum(keys, values);
}

/** Parses a datum for a diff (any element count allowed). */
export function diffFromJson(t: ColumnType, json: Json): Datum {
  const loose: ColumnType = { ...t, min: 0, max: Number.POSITIVE_INFINITY };
  return datumFromJson(loose, json);
}

/** Every UUID a datum refers to through `refTable` columns, with the referenced table and strength. */
export function forEachRef(
  t: ColumnType,
  d: Datum,
  fn: (uuid: string, table: string, weak: boolean) => void,
): void {
  if (t.key.refTable !== undefined) {
    const weak = t.key.refType === 'weak';
    for (const k of d.keys) fn(k as string, t.key.refTable, weak);
  }
  if (t.value?.refTable !== undefined && d.values !== null) {
    const weak = t.value.refType === 'weak';
    for (const v of d.values) fn(v as string, t.value.refTable, weak);
  }
}
