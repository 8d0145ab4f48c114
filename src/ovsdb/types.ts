// OVSDB column types (RFC 7047 §3.2): atomic types, base types with their constraints, and column types
// with min/max. Parsing from schema JSON and writing back to it; atom ordering and the words Open vSwitch
// uses for types in its error messages.
import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import { syntaxError } from './error.js';
import { compareBytes, isJsonInteger } from './ovs-json.js';

/** The five atomic types. */
export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';

const ATOMIC_TYPES: readonly string[] = ['integer', 'real', 'boolean', 'string', 'uuid'];

/** An atom: integers and reals are numbers, uuids are lowercase strings (the column type tells them apart). */
export type Atom = number | boolean | string;

/** A base type: an atomic type and its constraints. */
export interface BaseType {
  readonly type: AtomicType;
  /** Allowed values, sorted (for enumerations). */
  readonly enum?: readonly Atom[];
  readonly minInteger?: number;
  readonly maxInteger?: number;
  readonly minReal?: number;
  readonly maxReal?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly refTable?: string;
  readonly refType?: 'strong' | 'weak';
}

/** A column type: a key, an optional value (for maps), and the number of elements allowed. */
export interface ColumnType {
  readonly key: BaseType;
  readonly value: BaseType | null;
  readonly min: number;
  /** Maximum number of elements; Infinity for "unlimited". */
  readonly max: number;
}

/** The largest count a column type can name; OVS spells "unlimited" as UINT_MAX in its messages. */
export const UINT_MAX = 4294967295;

/** True when `s` names an atomic type. */
export function isAtomicType(s: unknown): s is AtomicType {
  return typeof s === 'string' && ATOMIC_TYPES.includes(s);
}

/** Compares two atoms of one type the way OVSDB orders set elements (strings by their UTF-8 bytes). */
export function compareAtoms(a: Atom, b: Atom): number {
  if (typeof a === 'number') return a < (b as number) ? -1 : a > (b as number) ? 1 : 0;
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return a === b ? 0 : compareBytes(a, b as string);
}

/** The default atom of a type: 0, 0.0, false, "" or the all-zero UUID. */
export function defaultAtom(type: AtomicType): Atom {
  switch (type) {
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
  }
}

/** The all-zero UUID (the default uuid atom). */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function intMember(obj: JsonObject, name: string): number | undefined {
  const v = obj[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw syntaxError(obj, `${name} must be an integer`);
  return v;
}

function realMember(obj: JsonObject, name: string): number | undefined {
  const v = obj[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number') throw syntaxError(obj, `${name} must be a number`);
  return v;
}

/** Parses an enum's values (a single atom or ["set", [...]]) without constraint checks. */
function parseEnum(type: AtomicType, json: Json): Atom[] {
  const list = Array.isArray(json) && json[0] === 'set' && Array.isArray(json[1]) ? json[1] : [json];
  const atoms = list.map((a) => {
    const atom = Array.isArray(a) && a[0] === 'uuid' && typeof a[1] === 'string' ? a[1] : a;
    if (!atomMatchesType(type, atom)) throw syntaxError(json, `enum value does not match type ${type}`);
    return atom as Atom;
  });
  atoms.sort(compareAtoms);
  return atoms.filter((a, i) => i === 0 || compareAtoms(atoms[i - 1], a) !== 0);
}

/** True when a JSON value is syntactically an atom of `type` (uuids given as plain strings here). */
export function atomMatchesType(type: AtomicType, v: Json): boolean {
  switch (type) {
    case 'integer':
      return isJsonInteger(v);
    case 'real':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
    case 'uuid':
      return typeof v === 'string';
  }
}

/** Parses a <base-type> from schema JSON. */
export function parseBaseType(json: Json): BaseType {
  if (isAtomicType(json)) return { type: json };
  if (!isJsonObject(json) || !isAtomicType(json.type)) throw syntaxError(json, 'invalid base type');
  const type = json.type;
  const base: {
    -readonly [K in keyof BaseType]: BaseType[K];
  } = { type };
  if (json.enum !== undefined) base.enum = parseEnum(type, json.enum);
  if (type === 'integer') {
    base.minInteger = intMember(json, 'minInteger');
    base.maxInteger = intMember(json, 'maxInteger');
  } else if (type === 'real') {
    base.minReal = realMember(json, 'minReal');
    base.maxReal = realMember(json, 'maxReal');
  } else if (type === 'string') {
    base.minLength = intMember(json, 'minLength');
    base.maxLength = intMember(json, 'maxLength');
  } else if (type === 'uuid') {
    if (json.refTable !== undefined) {
      if (typeof json.refTable !== 'string') throw syntaxError(json, 'refTable must be a string');
      base.refTable = json.refTable;
      const rt = json.refType ?? 'strong';
      if (rt !== 'strong' && rt !== 'weak') throw syntaxError(json, 'refType must be "strong" or "weak"');
      base.refType = rt;
    }
  }
  for (const k of Object.keys(base) as (keyof BaseType)[]) if (base[k] === undefined) delete base[k];
  return base;
}

/** Parses a column <type> from schema JSON. */
export function parseColumnType(json: Json): ColumnType {
  if (isAtomicType(json)) return { key: { type: json }, value: null, min: 1, max: 1 };
  if (!isJsonObject(json) || json.key === undefined) throw syntaxError(json, 'invalid column type');
  const key = parseBaseType(json.key);
  const value = json.value === undefined ? null : parseBaseType(json.value);
  const min = json.min ?? 1;
  if (min !== 0 && min !== 1) throw syntaxError(json, 'min must be 0 or 1');
  const maxJson = json.max ?? 1;
  const max = maxJson === 'unlimited' ? Number.POSITIVE_INFINITY : maxJson;
  if (typeof max !== 'number' || max < 1 || max < min)
    throw syntaxError(json, 'max must be at least 1 and min');
  return { key, value, min, max };
}

function atomToSchemaJson(type: AtomicType, a: Atom): Json {
  return type === 'uuid' ? ['uuid', a as string] : a;
}

/**
 * How type JSON spells references: OVS's own writer (what its tools print) leaves out "refType": "strong",
 * the default; tsovs's schema records and get_schema replies write it.
 */
export interface TypeJsonStyle {
  readonly strongRefType: boolean;
}

const WITH_STRONG_REF_TYPE: TypeJsonStyle = { strongRefType: true };

/** Writes a base type back to schema JSON (the short form when it has no constraints). */
export function baseTypeToJson(b: BaseType, style: TypeJsonStyle = WITH_STRONG_REF_TYPE): Json {
  const obj: JsonObject = { type: b.type };
  if (b.enum !== undefined) {
    obj.enum =
      b.enum.length === 1
        ? atomToSchemaJson(b.type, b.enum[0])
        : ['set', b.enum.map((a) => atomToSchemaJson(b.type, a))];
  }
  for (const k of ['minInteger', 'maxInteger', 'minReal', 'maxReal', 'minLength', 'maxLength'] as const) {
    const v = b[k];
    if (v !== undefined) obj[k] = v;
  }
  if (b.refTable !== undefined) {
    obj.refTable = b.refTable;
    const refType = b.refType ?? 'strong';
    if (refType === 'weak' || style.strongRefType) obj.refType = refType;
  }
  return Object.keys(obj).length === 1 ? b.type : obj;
}

/** Writes a column type back to schema JSON. */
export function columnTypeToJson(t: ColumnType, style: TypeJsonStyle = WITH_STRONG_REF_TYPE): Json {
  const key = baseTypeToJson(t.key, style);
  if (t.value === null && t.min === 1 && t.max === 1 && typeof key === 'string') return key;
  const obj: JsonObject = { key };
  if (t.value !== null) obj.value = baseTypeToJson(t.value, style);
  if (t.min !== 1) obj.min = t.min;
  if (t.max !== 1) obj.max = t.max === Number.POSITIVE_INFINITY ? 'unlimited' : t.max;
  return obj;
}

/** True for a column holding exactly one atom (min = max = 1, no value). */
export function isScalar(t: ColumnType): boolean {
  return t.min === 1 && t.max === 1 && t.value === null;
}

/** True for a column holding zero or one atom (min 0, max 1, no value). */
export function isOptionalScalar(t: ColumnType): boolean {
  return t.min === 0 && t.max === 1 && t.value === null;
}

/** True for a set column (no value, and not exactly one element). */
export function isSet(t: ColumnType): boolean {
  return t.value === null && !(t.min === 1 && t.max === 1);
}

/** True for a map column. */
export function isMap(t: ColumnType): boolean {
  return t.value !== null;
}

/** True when the base type refers to rows of another table. */
export function isRef(b: BaseType | null): boolean {
  return b !== null && b.refTable !== undefined;
}

/** True when the base type is a strong reference. */
export function isStrongRef(b: BaseType | null): boolean {
  return b !== null && b.refTable !== undefined && b.refType !== 'weak';
}

/** True when the base type is a weak reference. */
export function isWeakRef(b: BaseType | null): boolean {
  return b !== null && b.refTable !== undefined && b.refType === 'weak';
}

/** Writes the maximum of a column type as OVS prints it (UINT_MAX for unlimited). */
export function maxCount(t: ColumnType): number {
  return t.max === Number.POSITIVE_INFINITY ? UINT_MAX : t.max;
}

/** The type in words, as OVS's messages spell it ("integer", "set of up to 4 integers", "map of …"). */
export function typeToEnglish(t: ColumnType): string {
  if (isScalar(t)) return t.key.type;
  let s = t.value === null ? 'set' : 'map';
  if (t.max === Number.POSITIVE_INFINITY) s += t.min > 0 ? ` of ${t.min} or more` : ' of';
  else if (t.min > 0) s += ` of ${t.min} to ${t.max}`;
  else s += ` of up to ${t.max}`;
  return t.value === null ? `${s} ${t.key.type}s` : `${s} (${t.key.type}, ${t.value.type}) pairs`;
}
