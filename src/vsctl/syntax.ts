// ovs-vsctl's text syntax for values (lib/ovsdb-data.c: ovsdb_token_parse, ovsdb_atom_from_string,
// ovsdb_datum_from_string), for `COLUMN[:KEY][OP]VALUE` arguments (db-ctl-base.c) and for the
// abbreviated table and column names ovs-vsctl accepts; every error text is ovs-vsctl's.
import { checkAtom, type Datum, isUuid, makeDatum } from '../ovsdb/datum.js';
import { OvsdbError } from '../ovsdb/error.js';
import { compareBytes } from '../ovsdb/ovs-json.js';
import type { ColumnSchema, DatabaseSchema, TableSchema } from '../ovsdb/schema.js';
import { type Atom, type BaseType, type ColumnType, maxCount, typeToEnglish } from '../ovsdb/types.js';
import { newUuid } from '../ovsdb/uuid.js';

/** An error that ovs-vsctl reports as `ovs-vsctl: MESSAGE` on stderr, exiting with status 1. */
export class VsctlError extends Error {
  /** A stable name for the failure. */
  readonly code = 'vsctl error';

  constructor(message: string) {
    super(message);
    this.name = 'VsctlError';
  }
}

/** Ends the invocation quietly with `status` (ovs-vsctl's vsctl_exit: nothing committed or printed). */
export class VsctlExit extends Error {
  constructor(readonly status: number) {
    super(`exit status ${status}`);
    this.name = 'VsctlExit';
  }
}

/** One `@name` row id of the command line (OVS's ovsdb_symbol). */
export interface VsctlSymbol {
  /** The UUID values referring to it carry (a placeholder until a row is created for it). */
  uuid: string;
  /** True once `--id=@name` created (or `get --id` bound) it. */
  created: boolean;
  /** Set when it was used as a strong / weak reference. */
  strongRef: boolean;
  weakRef: boolean;
}

/** The `@name` symbols shared by all commands of one invocation (OVS's ovsdb_symbol_table). */
export class SymbolTable {
  /** Symbols by name (including the "@"), in first-use order. */
  readonly symbols = new Map<string, VsctlSymbol>();

  /** The symbol `name`, or undefined. */
  get(name: string): VsctlSymbol | undefined {
    return this.symbols.get(name);
  }

  /** The symbol `name`, added with a fresh placeholder UUID when new. */
  insert(name: string): VsctlSymbol {
    let symbol = this.symbols.get(name);
    if (symbol === undefined) {
      symbol = { uuid: newUuid(), created: false, strongRef: false, weakRef: false };
      this.symbols.set(name, symbol);
    }
    return symbol;
  }

  /** Marks `id` created (db-ctl-base's create_symbol); `isNew` tells whether it was unknown before. */
  create(id: string): { symbol: VsctlSymbol; isNew: boolean } {
    if (!id.startsWith('@')) throw new VsctlError(`row id "${id}" does not begin with "@"`);
    const isNew = !this.symbols.has(id);
    const symbol = this.insert(id);
    if (symbol.created) throw new VsctlError(`row id "${id}" may only be specified on one --id option`);
    symbol.created = true;
    return { symbol, isNew };
  }
}

/** True for the characters that end a token (ovsdb_token_is_delim). */
export function isTokenDelimiter(c: string): boolean {
  return ':=, []{}!<>'.includes(c);
}

/**
 * Reads one token of `s` from `pos` up to the first unquoted, unescaped delimiter (ovsdb_token_parse):
 * a backslash escapes the next character (and stays inside quotes); quotes are kept.
 */
export function parseToken(s: string, pos = 0): { token: string; end: number } {
  let out = '';
  let inQuotes = false;
  let p = pos;
  while (p < s.length) {
    const c = s[p++];
    if (c === '\\') {
      if (inQuotes) out += '\\';
      if (p >= s.length) throw new VsctlError(`${s.slice(pos)}: backslash at end of argument`);
      out += s[p++];
    } else if (!inQuotes && isTokenDelimiter(c)) {
      p--;
      break;
    } else {
      out += c;
      if (c === '"') inQuotes = !inQuotes;
    }
  }
  if (inQuotes) throw new VsctlError(`${s.slice(pos)}: quoted string extends past end of argument`);
  return { token: out, end: p };
}

const INTEGER_RE = /^[ \t\n\v\f\r]*[+-]?\d+$/;
const REAL_RE = /^[ \t\n\v\f\r]*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)$/i;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);
/** The most integers one `A-B` range may name (MAX_OVSDB_ATOM_RANGE_SIZE). */
const MAX_RANGE_SIZE = 4096;

/** strtoll() of a whole string, or undefined (not a number, or out of range). */
function parseInteger(s: string): number | undefined {
  if (!INTEGER_RE.test(s)) return undefined;
  const n = BigInt(s.trim());
  return n > INT64_MAX || n < INT64_MIN ? undefined : Number(n);
}

/** str_to_llong_range: "A-B" with A and B integers, or undefined. */
function parseIntegerRange(s: string): [number, number] | undefined {
  const m = /^([ \t\n\v\f\r]*[+-]?\d+)-(.*)$/s.exec(s);
  if (m === null) return undefined;
  const start = parseInteger(m[1]);
  const end = parseInteger(m[2]);
  return start === undefined || end === undefined ? undefined : [start, end];
}

function parseReal(s: string): number | undefined {
  if (!REAL_RE.test(s)) return undefined;
  const t = s
    .trim()
    .toLowerCase()
    .replace(/^([+-]?)inf(inity)?$/, '$1Infinity');
  const x = t.endsWith('nan') ? Number.NaN : Number(t);
  if (!Number.isFinite(x) && !Number.isNaN(x)) return undefined;
  return x === 0 ? 0 : x;
}

/** Unescapes the inside of a quoted string as json_string_unescape() does. */
function unquote(s: string): string {
  const inner = s.slice(1, -1);
  try {
    return JSON.parse(
      `"${inner.replace(/[\u0000-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`,
    ) as string;
  } catch {
    throw new VsctlError(`${s}: ${describeBadEscape(inner)}`);
  }
}

function describeBadEscape(inner: string): string {
  const i = inner.search(/\\u(?![0-9a-fA-F]{4})/);
  if (i >= 0) return 'malformed \\u escape';
  return `bad escape \\${inner[inner.search(/\\[^"\\/bfnrtu]/) + 1] ?? ''}`;
}

/** Constraint errors of an atom, as ovs-vsctl words them ("constraint violation: …"). */
function checkConstraints(base: BaseType, atom: Atom): void {
  try {
    checkAtom(base, atom);
  } catch (err) {
    if (err instanceof OvsdbError) throw new VsctlError(err.message);
    throw err;
  }
}

/**
 * Parses one atom of `base` from `text` (ovsdb_atom_from_string): integers (and `A-B` ranges when
 * `allowRange`), reals, booleans (true/yes/on/1, false/no/off/0), strings (bare, or JSON-quoted), UUIDs
 * and `@name` symbols. Returns the atoms it stands for (more than one only for a range).
 */
export function parseAtom(base: BaseType, text: string, symbols?: SymbolTable, allowRange = false): Atom[] {
  const atoms = parseAtomUnchecked(base, text, symbols, allowRange);
  checkConstraints(base, atoms[0]);
  if (atoms.length > 1) {
    if (base.enum !== undefined) for (const a of atoms.slice(1)) checkConstraints(base, a);
    else checkConstraints(base, atoms[atoms.length - 1]);
  }
  return atoms;
}

function parseAtomUnchecked(
  base: BaseType,
  s: string,
  symbols: SymbolTable | undefined,
  allowRange: boolean,
): Atom[] {
  switch (base.type) {
    case 'integer': {
      const range = allowRange ? parseIntegerRange(s) : undefined;
      if (range !== undefined) {
        const [start, end] = range;
        if (end < start)
          throw new VsctlError(`"${s}" is not a valid range. Range end cannot be before start.`);
        checkConstraints(base, start);
        if (end - start >= MAX_RANGE_SIZE) {
          throw new VsctlError(
            `constraint violation: Range "${start}-${end}" is too big. Maximum allowed size is ${MAX_RANGE_SIZE}.`,
          );
        }
        return Array.from({ length: end - start + 1 }, (_, i) => start + i);
      }
      const n = parseInteger(s);
      if (n === undefined) throw new VsctlError(`"${s}" is not a valid integer or range`);
      return [n];
    }
    case 'real': {
      const x = parseReal(s);
      if (x === undefined) throw new VsctlError(`"${s}" is not a valid real number`);
      return [x];
    }
    case 'boolean':
      if (['true', 'yes', 'on', '1'].includes(s)) return [true];
      if (['false', 'no', 'off', '0'].includes(s)) return [false];
      throw new VsctlError(`"${s}" is not a valid boolean (use "true" or "false")`);
    case 'string':
      if (s === '')
        throw new VsctlError('An empty string is not valid as input; use "" to represent the empty string');
      if (s.startsWith('"')) {
        if (s.length < 2 || !s.endsWith('"'))
          throw new VsctlError(`${s}: missing quote at end of quoted string`);
        return [unquote(s)];
      }
      return [s];
    case 'uuid':
      if (s.startsWith('@') && symbols !== undefined) {
        const symbol = symbols.insert(s);
        if (base.refTable !== undefined) {
          if (base.refType === 'weak') symbol.weakRef = true;
          else symbol.strongRef = true;
        }
        return [symbol.uuid];
      }
      if (!isUuid(s)) throw new VsctlError(`"${s}" is not a valid UUID`);
      return [s.toLowerCase()];
  }
}

const SPACE_RE = /[ \t\n\v\f\r]/;

function skipSpaces(s: string, p: number): number {
  while (p < s.length && SPACE_RE.test(s[p])) p++;
  return p;
}

/**
 * Parses a datum of `type` from `text` (ovsdb_datum_from_string): atoms or `key=value` pairs separated by
 * spaces or commas, optionally inside `[…]` (sets) or `{…}` (maps); checks counts and duplicates.
 */
export function parseDatum(type: ColumnType, text: string, symbols?: SymbolTable): Datum {
  const isMap = type.value !== null;
  const keys: Atom[] = [];
  const values: Atom[] = [];
  let p = skipSpaces(text, 0);
  let endDelim = '';
  if (text[p] === (isMap ? '{' : '[')) {
    endDelim = isMap ? '}' : ']';
    p = skipSpaces(text, p + 1);
  } else if (p >= text.length) {
    throw new VsctlError(isMap ? 'use "{}" to specify the empty map' : 'use "[]" to specify the empty set');
  }
  while (p < text.length && text[p] !== endDelim) {
    if (isTokenDelimiter(text[p])) {
      throw new VsctlError(`${text}: unexpected "${text[p]}" parsing ${typeToEnglish(type)}`);
    }
    p = parseKeyValue(text, p, type, symbols, keys, values);
    p = skipSpaces(text, p);
    if (text[p] === ',') p = skipSpaces(text, p + 1);
  }
  if ((text[p] ?? '') !== endDelim) {
    throw new VsctlError(`${text}: missing "${endDelim}" at end of data`);
  }
  if (endDelim !== '' && skipSpaces(text, p + 1) < text.length) {
    throw new VsctlError(`${text}: trailing garbage after "${endDelim}"`);
  }
  return finishDatum(type, text, keys, isMap ? values : null);
}

/** Parses `key` or `key=value` at `p` into keys/values; returns the position after it. */
function parseKeyValue(
  text: string,
  p: number,
  type: ColumnType,
  symbols: SymbolTable | undefined,
  keys: Atom[],
  values: Atom[],
): number {
  const start = p;
  const key = parseToken(text, p);
  const keyAtoms = parseAtom(type.key, key.token, symbols, true);
  p = key.end;
  if (type.value === null) {
    keys.push(...keyAtoms);
    return p;
  }
  p = skipSpaces(text, p);
  if (text[p] !== '=') {
    throw new VsctlError(`${text.slice(start)}: syntax error at "${text[p] ?? ''}" expecting "="`);
  }
  p = skipSpaces(text, p + 1);
  const value = parseToken(text, p);
  const [valueAtom] = parseAtom(type.value, value.token, symbols);
  for (const k of keyAtoms) {
    keys.push(k);
    values.push(valueAtom);
  }
  return value.end;
}

function finishDatum(type: ColumnType, text: string, keys: Atom[], values: Atom[] | null): Datum {
  const what = values === null ? 'value(s)' : 'pair(s)';
  if (keys.length < type.min) {
    throw new VsctlError(`${text}: ${keys.length} ${what} specified but the minimum number is ${type.min}`);
  }
  if (keys.length > type.max) {
    throw new VsctlError(
      `${text}: ${keys.length} ${what} specified but the maximum number is ${maxCount(type)}`,
    );
  }
  const datum = makeDatum(keys, values);
  if (datum.size !== keys.length) {
    throw new VsctlError(
      `${text}: ${values === null ? 'set contains duplicate value' : 'map contains duplicate key'}`,
    );
  }
  return datum;
}

/** How well user input `s` matches `name` (score_partial_match): higher is better, 0 is no match. */
export function matchScore(name: string, s: string): number {
  if (name === s) return Number.MAX_SAFE_INTEGER;
  const norm = (c: string | undefined) => (c === '-' ? '_' : (c ?? '').toLowerCase());
  let i = 0;
  for (; ; i++) {
    if (norm(name[i]) !== norm(s[i])) break;
    if (i >= name.length) return Number.MAX_SAFE_INTEGER - 1;
  }
  return i >= s.length ? i : 0;
}

/** The candidates that best match `s`, sorted by name; empty when none matches. */
function bestMatches<T extends { name: string }>(candidates: Iterable<T>, s: string): T[] {
  let best: T[] = [];
  let bestScore = 0;
  for (const c of candidates) {
    const score = matchScore(c.name, s);
    if (score === 0 || score < bestScore) continue;
    if (score > bestScore) best = [];
    best.push(c);
    bestScore = score;
  }
  return best.sort((a, b) => compareBytes(a.name, b.name));
}

/** The table `name` names, possibly abbreviated (db-ctl-base's get_table). */
export function findTable(schema: DatabaseSchema, name: string): TableSchema {
  const matches = bestMatches(schema.tables.values(), name);
  if (matches.length === 0) throw new VsctlError(`unknown table "${name}"`);
  if (matches.length > 1) {
    throw new VsctlError(`"${name}" matches multiple table names: ${matches.map((t) => t.name).join(', ')}`);
  }
  return matches[0];
}

/** The column `name` names in `table`, possibly abbreviated (db-ctl-base's get_column). */
export function findColumn(table: TableSchema, name: string): ColumnSchema {
  const matches = bestMatches(table.columns, name);
  if (matches.length === 0) {
    throw new VsctlError(`${table.name} does not contain a column whose name matches "${name}"`);
  }
  if (matches.length > 1) {
    const names = matches.map((c) => c.name).join(', ');
    throw new VsctlError(
      `${table.name} contains more than one column whose name matches "${name}": ${names}`,
    );
  }
  return matches[0];
}

/** A parsed `COLUMN[:KEY][OP VALUE]` argument. */
export interface ColumnKeyValue {
  readonly column: ColumnSchema;
  /** The key text after ":", or null. */
  readonly key: string | null;
  /** The operator found (one of the allowed ones), or null when no value was asked for. */
  readonly operator: string | null;
  /** The value text after the operator, or null when no value was asked for. */
  readonly value: string | null;
}

function missingOperatorError(arg: string, operators: readonly string[]): VsctlError {
  let s = `${arg}: argument does not end in "${operators[0]}"`;
  if (operators.length === 2) s += ` or "${operators[1]}"`;
  else if (operators.length > 2) {
    s += operators
      .slice(1, -1)
      .map((op) => `, "${op}"`)
      .join('');
    s += `, or "${operators[operators.length - 1]}"`;
  }
  return new VsctlError(`${s} followed by a value.`);
}

/**
 * Splits `COLUMN[:KEY]` (when `operators` is null) or `COLUMN[:KEY]OP VALUE` (parse_column_key_value):
 * the column may be abbreviated; the longest operator that is followed by something wins.
 */
export function parseColumnKeyValue(
  arg: string,
  table: TableSchema,
  operators: readonly string[] | null = ['='],
): ColumnKeyValue {
  const name = parseToken(arg, 0);
  if (name.token === '') throw new VsctlError(`${arg}: missing column name`);
  const column = findColumn(table, name.token);
  let p = name.end;
  let key: string | null = null;
  if (arg[p] === ':') {
    const k = parseToken(arg, p + 1);
    key = k.token;
    p = k.end;
  }
  const rest = arg.slice(p);
  if (operators === null) {
    if (rest !== '') throw new VsctlError(`${arg}: trailing garbage "${rest}" in argument`);
    return { column, key, operator: null, value: null };
  }
  let best: string | null = null;
  for (const op of operators) {
    if (op.length > (best?.length ?? 0) && rest.startsWith(op) && rest.length > op.length) best = op;
  }
  if (best === null) throw missingOperatorError(arg, operators);
  return { column, key, operator: best, value: rest.slice(best.length) };
}

/** The column names of a `--columns=` option (strtok on ", "), `_uuid` as null; null option → all. */
export function parseColumnNames(table: TableSchema, option: string | null): (ColumnSchema | null)[] {
  if (option === null) return [null, ...[...table.columns].sort((a, b) => compareBytes(a.name, b.name))];
  const names = option.split(/[, ]+/).filter((n) => n !== '');
  const columns = names.map((n) => (n.toLowerCase() === '_uuid' ? null : findColumn(table, n)));
  if (columns.length === 0) throw new VsctlError('must specify at least one column name');
  return columns;
}
