// Mutations (RFC 7047 §5.1 <mutation>): arithmetic on integer/real columns (and sets of them), and
// insert/delete on sets and maps, with Open vSwitch's parsing rules, range checks and error messages.
import type { Json } from '../jsonrpc/json.js';
import { lookupColumn } from './condition.js';
import { checkAtom, Datum, datumFromJson, makeDatum, type NamedUuidResolver } from './datum.js';
import { constraintViolation, OvsdbError, syntaxError, taggedSyntaxError } from './error.js';
import type { TableSchema } from './schema.js';
import { type Atom, type BaseType, type ColumnType, isMap, isScalar, isSet, typeToEnglish } from './types.js';

/** A mutator. */
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';

type Arithmetic = '+=' | '-=' | '*=' | '/=' | '%=';

const ARITHMETIC: readonly string[] = ['+=', '-=', '*=', '/=', '%='];

/** One parsed mutation. */
export interface Mutation {
  readonly column: number;
  readonly name: string;
  /** The column's type. */
  readonly type: ColumnType;
  readonly mutator: Mutator;
  readonly arg: Datum;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Parses one mutation [column, mutator, value]. */
export function parseMutation(table: TableSchema, json: Json, resolve?: NamedUuidResolver): Mutation {
  if (
    !Array.isArray(json) ||
    json.length !== 3 ||
    typeof json[0] !== 'string' ||
    typeof json[1] !== 'string'
  ) {
    throw syntaxError(json, 'Parse error in mutation.');
  }
  const [name, mutName, value] = json;
  const col = lookupColumn(table, name);
  if (col === undefined) {
    throw taggedSyntaxError(json, 'unknown column', `No column ${name} in table ${table.name}.`);
  }
  if (!col.mutable) {
    throw taggedSyntaxError(
      json,
      'constraint violation',
      `Cannot mutate immutable column ${name} in table ${table.name}.`,
    );
  }
  if (!ARITHMETIC.includes(mutName) && mutName !== 'insert' && mutName !== 'delete') {
    throw taggedSyntaxError(undefined, 'unknown mutator', `No mutator named ${mutName}.`);
  }
  const mutator = mutName as Mutator;
  const t = col.type;
  const mismatch = () =>
    syntaxError(
      json,
      `Type mismatch: "${mutator}" operator may not be applied to column ${name} of type ${typeToEnglish(t)}.`,
    );
  const arg = parseArgument(t, mutator, value, mismatch, resolve);
  return { column: col.index, name, type: t, mutator, arg };
}

function parseArgument(
  t: ColumnType,
  mutator: Mutator,
  value: Json,
  mismatch: () => Error,
  resolve?: NamedUuidResolver,
): Datum {
  if (mutator !== 'insert' && mutator !== 'delete') {
    const numeric = t.key.type === 'integer' || t.key.type === 'real';
    if ((!isScalar(t) && !isSet(t)) || !numeric || (mutator === '%=' && t.key.type === 'real'))
      throw mismatch();
    const bare: ColumnType = { key: { type: t.key.type }, value: null, min: 1, max: 1 };
    return datumFromJson(bare, value, resolve);
  }
  if (!isSet(t) && !isMap(t)) throw mismatch();
  const argType: ColumnType =
    mutator === 'delete' ? { ...t, min: 0, max: Number.POSITIVE_INFINITY } : { ...t, min: 0 };
  try {
    return datumFromJson(argType, value, resolve);
  } catch (err) {
    // "delete" on a map also takes a set of keys.
    if (!(mutator === 'delete' && isMap(t))) throw err;
    return datumFromJson({ ...argType, value: null }, value, resolve);
  }
}

/** Applies a mutation to a column value, returning the new value (constraints checked). */
export function applyMutation(m: Mutation, old: Datum): Datum {
  switch (m.mutator) {
    case 'insert':
      return checkCount(m, union(old, m.arg));
    case 'delete':
      return checkCount(m, subtract(old, m.arg));
    default:
      return mutateScalars(m, m.mutator, old);
  }
}

/** `a` plus the elements of `b` whose keys are not in `a` (existing map values are kept). */
function union(a: Datum, b: Datum): Datum {
  const keys: Atom[] = [...a.keys];
  const values = a.values === null ? null : [...a.values];
  for (let i = 0; i < b.size; i++) {
    if (a.indexOf(b.keys[i]) >= 0) continue;
    keys.push(b.keys[i]);
    values?.push((b.values as Atom[])[i]);
  }
  return makeDatum(keys, values);
}

/** `a` without the elements of `b` (for maps, pairs must match unless `b` is a set of keys). */
function subtract(a: Datum, b: Datum): Datum {
  const keys: Atom[] = [];
  const values: Atom[] | null = a.values === null ? null : [];
  for (let i = 0; i < a.size; i++) {
    const j = b.indexOf(a.keys[i]);
    const matched = j >= 0 && (b.values === null || a.values === null || b.values[j] === a.values[i]);
    if (matched) continue;
    keys.push(a.keys[i]);
    values?.push((a.values as Atom[])[i]);
  }
  return new Datum(keys, values);
}

function checkCount(m: Mutation, d: Datum): Datum {
  if (d.size < m.type.min || d.size > m.type.max) {
    throw constraintViolation(`Attempted to store ${d.size} elements in ${typeToEnglish(m.type)}.`);
  }
  return d;
}

/** Applies an arithmetic mutator to every element, then checks constraints and uniqueness. */
function mutateScalars(m: Mutation, mutator: Arithmetic, old: Datum): Datum {
  const base: BaseType = m.type.key;
  const y = m.arg.keys[0] as number;
  const keys = old.keys.map((x) =>
    base.type === 'integer' ? integerOp(mutator, x as number, y) : realOp(mutator, x as number, y),
  );
  for (const k of keys) checkAtom(base, k);
  const result = makeDatum(keys, null);
  if (result.size !== keys.length) {
    throw constraintViolation(`Result of "${mutator}" operation contains duplicates.`);
  }
  return result;
}

function rangeError(mutator: Arithmetic): OvsdbError {
  return new OvsdbError('range error', `Result of "${mutator}" operation is out of range.`);
}

function domainError(): OvsdbError {
  return new OvsdbError('domain error', 'Division by zero.');
}

/** A mutator's arithmetic on two integers (int64 checks are the caller's) or two reals. */
function arithmetic(mutator: Arithmetic, x: bigint, y: bigint): bigint;
function arithmetic(mutator: Arithmetic, x: number, y: number): number;
function arithmetic(mutator: Arithmetic, x: number | bigint, y: number | bigint): number | bigint {
  // The operators mean the same on two bigints as on two numbers; the overloads never mix the two.
  const [a, b] = [x as number, y as number];
  switch (mutator) {
    case '+=':
      return a + b;
    case '-=':
      return a - b;
    case '*=':
      return a * b;
    case '/=':
      return a / b;
    case '%=':
      return a % b;
  }
}

/** True for the mutators that divide, which fail on a zero divisor. */
function divides(mutator: Arithmetic): boolean {
  return mutator === '/=' || mutator === '%=';
}

/** 64-bit integer arithmetic with Open vSwitch's overflow and division checks. */
function integerOp(mutator: Arithmetic, a: number, b: number): number {
  const x = BigInt(a);
  const y = BigInt(b);
  if (mutator === '*=' && multiplicationOverflows(x, y)) throw rangeError(mutator);
  if (divides(mutator)) {
    if (y === 0n) throw domainError();
    if (x === INT64_MIN && y === -1n) throw rangeError(mutator);
  }
  const r = arithmetic(mutator, x, y);
  if (r < INT64_MIN || r > INT64_MAX) throw rangeError(mutator);
  return Number(r);
}

/** OVS's conservative multiplication overflow test (Hacker's Delight), guarded against division by 0. */
function multiplicationOverflows(x: bigint, y: bigint): boolean {
  if (x > 0n) return y > 0n ? x >= INT64_MAX / y : y < INT64_MIN / x;
  if (y > 0n) return x < INT64_MIN / y;
  return x !== 0n && y !== 0n && y < INT64_MAX / y;
}

/** Real arithmetic: division by zero is a domain error, a non-finite result a range error. */
function realOp(mutator: Arithmetic, x: number, y: number): number {
  if (divides(mutator) && y === 0) throw domainError();
  const r = arithmetic(mutator, x, y);
  if (!(r >= -Number.MAX_VALUE && r <= Number.MAX_VALUE)) throw rangeError(mutator);
  return r;
}
