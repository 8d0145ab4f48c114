// OVSDB values (RFC 7047 §5.1): a Datum is an immutable sorted set of atoms, or a map (sorted keys with
// parallel values). Conversion from/to the wire's JSON, constraint checks, and the diffs that `update2`
// notifications and the on-disk log use.
import type { Json } from '../jsonrpc/json.js';
import { constraintViolation, syntaxError } from './error.js';
import {
  type Atom,
  type AtomicType,
  type BaseType,
  type ColumnType,
  compareAtoms,
  defaultAtom,
  isScalar,
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

function expected(json: Json, what: string): never {
  throw syntaxError(json, `expected ${what}`);
}

/** Parses one atom of `base` from JSON (uuids as ["uuid", …] or ["named-uuid", …]). */
export function atomFromJson(base: BaseType, json: Json, resolve?: NamedUuidResolver): Atom {
  switch (base.type) {
    case 'integer':
      if (typeof json !== 'number' || !Number.isInteger(json)) expected(json, 'integer');
      return json;
    case 'real':
      if (typeof json !== 'number') expected(json, 'real');
      return json;
    case 'boolean':
      if (typeof json !== 'boolean') expected(json, 'boolean');
      return json;
    case 'string':
      if (typeof json !== 'string') expected(json, 'string');
      return json;
    case 'uuid':
      return uuidFromJson(json, resolve);
  }
}

function uuidFromJson(json: Json, resolve?: NamedUuidResolver): string {
  if (Array.isArray(json) && json.length === 2 && typeof json[1] === 'string') {
    if (json[0] === 'uuid') {
      if (!isUuid(json[1])) throw syntaxError(json, `"${json[1]}" is not a valid UUID`);
      return json[1].toLowerCase();
    }
    if (json[0] === 'named-uuid') {
      if (resolve === undefined) throw syntaxError(json, 'named-uuid not allowed here');
      return resolve(json[1], json);
    }
  }
  expected(json, 'uuid');
}

/** Writes one atom as JSON. */
export function atomToJson(type: AtomicType, a: Atom): Json {
  return type === 'uuid' ? ['uuid', a as string] : a;
}

function isTagged(json: Json, tag: string): json is [string, Json[]] {
  return Array.isArray(json) && json.length === 2 && json[0] === tag && Array.isArray(json[1]);
}

/**
 * Parses a datum of column type `t` from JSON: a bare atom, ["set", […]] or ["map", [[k, v]…]].
 * Checks the element count against min/max but not the base-type constraints (see checkDatum).
 */
export function datumFromJson(t: ColumnType, json: Json, resolve?: NamedUuidResolver): Datum {
  const d = t.value === null ? setFromJson(t, json, resolve) : mapFromJson(t, json, resolve);
  if (d.size < t.min || d.size > t.max) {
    const max = t.max === Number.POSITIVE_INFINITY ? 'unlimited' : String(t.max);
    throw syntaxError(json, `must have ${t.min} to ${max} members but ${d.size} are present`);
  }
  return d;
}

function setFromJson(t: ColumnType, json: Json, resolve?: NamedUuidResolver): Datum {
  if (!isTagged(json, 'set')) return new Datum([atomFromJson(t.key, json, resolve)], null);
  const keys = json[1].map((a) => atomFromJson(t.key, a, resolve));
  const d = makeDatum(keys, null);
  if (d.size !== keys.length) throw syntaxError(json, 'set contains duplicate value');
  return d;
}

function mapFromJson(t: ColumnType, json: Json, resolve?: NamedUuidResolver): Datum {
  if (!isTagged(json, 'map')) expected(json, 'map');
  const keys: Atom[] = [];
  const values: Atom[] = [];
  for (const pair of json[1]) {
    if (!Array.isArray(pair) || pair.length !== 2) expected(pair, 'map pair [key, value]');
    keys.push(atomFromJson(t.key, pair[0], resolve));
    values.push(atomFromJson(t.value as BaseType, pair[1], resolve));
  }
  const d = makeDatum(keys, values);
  if (d.size !== keys.length) throw syntaxError(json, 'map contains duplicate key');
  return d;
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

function quoteAtom(type: AtomicType, a: Atom): string {
  return type === 'string' ? JSON.stringify(a) : String(a);
}

/** Checks one atom against its base type's constraints (enum, ranges, lengths). */
export function checkAtom(base: BaseType, a: Atom): void {
  if (base.enum !== undefined) {
    if (!base.enum.some((e) => e === a)) {
      const allowed = base.enum.map((e) => quoteAtom(base.type, e)).join(', ');
      throw constraintViolation(`${quoteAtom(base.type, a)} is not one of the allowed values ([${allowed}])`);
    }
    return;
  }
  if (base.type === 'integer' || base.type === 'real') {
    const n = a as number;
    const min = base.type === 'integer' ? base.minInteger : base.minReal;
    const max = base.type === 'integer' ? base.maxInteger : base.maxReal;
    if (min !== undefined && max !== undefined && (n < min || n > max)) {
      throw constraintViolation(`${n} is not in the valid range ${min} to ${max} (inclusive)`);
    }
    if (min !== undefined && n < min)
      throw constraintViolation(`${n} is less than minimum allowed value ${min}`);
    if (max !== undefined && n > max)
      throw constraintViolation(`${n} is greater than maximum allowed value ${max}`);
  } else if (base.type === 'string') {
    const s = a as string;
    const len = Buffer.byteLength(s);
    if (base.minLength !== undefined && len < base.minLength) {
      throw constraintViolation(`"${s}" length ${len} is less than minimum allowed length ${base.minLength}`);
    }
    if (base.maxLength !== undefined && len > base.maxLength) {
      throw constraintViolation(
        `"${s}" length ${len} is greater than maximum allowed length ${base.maxLength}`,
      );
    }
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
 * The diff that turns `a` into `b` (update2 and log form): for sets the elements to toggle; for maps the
 * pairs to add, the pairs to remove (with their old value) and the keys whose value changes (new value).
 */
export function datumDiff(t: ColumnType, a: Datum, b: Datum): Datum {
  if (isScalar(t)) return b;
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

/** Applies a diff made by datumDiff (or received from a peer, or read from the log) to `a`. */
export function applyDatumDiff(t: ColumnType, a: Datum, diff: Datum): Datum {
  if (isScalar(t)) return diff;
  const keys: Atom[] = [];
  const values: Atom[] | null = t.value === null ? null : [];
  const emit = (k: Atom, v: Atom | undefined): void => {
    keys.push(k);
    if (values !== null) values.push(v as Atom);
  };
  mergeWalk(a, diff, emit, (i, j) => {
    if (values !== null && a.values?.[i] !== diff.values?.[j]) emit(diff.keys[j], diff.values?.[j]);
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
