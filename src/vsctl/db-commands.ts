// The database commands every ovs-*ctl shares (db-ctl-base.c's db_ctl_commands): comment, get, list, find,
// set, add, remove, clear, create, destroy and wait-until, with ovs-vsctl's output and error texts.
import type { Cell, Table } from '../ovsdb/client/format.js';
import type { TxnRow } from '../ovsdb/client/txn.js';
import {
  atomToString,
  compareDatums,
  type Datum,
  datumToJson,
  datumToString,
  EMPTY_SET,
  makeDatum,
} from '../ovsdb/datum.js';
import type { ColumnSchema, TableSchema } from '../ovsdb/schema.js';
import { type Atom, type ColumnType, compareAtoms, maxCount, UINT_MAX } from '../ovsdb/types.js';
import {
  type CommandContext,
  type CommandSpec,
  checkMutable,
  getRow,
  hasOption,
  optionValue,
  type PrerequisiteContext,
  registerCommands,
  tableArg,
  tableRows,
} from './command.js';
import {
  findColumn,
  findTable,
  parseAtom,
  parseColumnKeyValue,
  parseColumnNames,
  parseDatum,
  parseToken,
  VsctlError,
} from './syntax.js';
import type { VsctlTransaction } from './transaction.js';

const UUID_TYPE: ColumnType = { key: { type: 'uuid' }, value: null, min: 1, max: 1 };

/** The relational operators of `find` and `wait-until`, in OVS's order. */
const RELOPS = [
  '=',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '{=}',
  '{!=}',
  '{<}',
  '{>}',
  '{<=}',
  '{>=}',
  '{in}',
  '{not-in}',
];

/** Checks the table argument and `COLUMN[:KEY]…` arguments from `first` on (pre_parse_column_key_value). */
function preTableColumns(ctx: PrerequisiteContext, first: number, skipUuid = false): TableSchema {
  const table = findTable(ctx.schema, ctx.argv[1]);
  for (const arg of ctx.argv.slice(first)) {
    if (skipUuid && /^[_-]uuid$/i.test(arg)) continue;
    const name = parseToken(arg, 0).token;
    if (name === '') throw new VsctlError(`${arg}: missing column name`);
    findColumn(table, name);
  }
  return table;
}

/** A table output with the given columns (null is _uuid). */
function makeTable(columns: readonly (ColumnSchema | null)[]): { headings: string[]; rows: Cell[][] } {
  return { headings: columns.map((c) => (c === null ? '_uuid' : c.name)), rows: [] };
}

function recordCells(row: TxnRow, columns: readonly (ColumnSchema | null)[]): Cell[] {
  return columns.map((c) => {
    if (c === null) return { json: ['uuid', row.uuid], type: UUID_TYPE };
    return { json: datumToJson(c.type, row.get(c.name)), type: c.type };
  });
}

/** The elements of `a` that are (or, with `negate`, are not) in `b`: for maps both key and value. */
function containsAll(a: Datum, b: Datum): boolean {
  return a.keys.every((k, i) => b.has(k, a.values === null ? undefined : a.values[i]));
}

function excludesAll(a: Datum, b: Datum): boolean {
  return a.keys.every((k, i) => !b.has(k, a.values === null ? undefined : a.values[i]));
}

/** evaluate_relop: compares `a` (what the row has) with `b` (what was asked for). */
function evaluateRelop(a: Datum, b: Datum, op: string): boolean {
  switch (op) {
    case '=':
    case '{=}':
      return compareDatums(a, b) === 0;
    case '!=':
    case '{!=}':
      return compareDatums(a, b) !== 0;
    case '<':
      return compareDatums(a, b) < 0;
    case '>':
      return compareDatums(a, b) > 0;
    case '<=':
      return compareDatums(a, b) <= 0;
    case '>=':
      return compareDatums(a, b) >= 0;
    case '{<}':
      return b.size > a.size && containsAll(a, b);
    case '{>}':
      return a.size > b.size && containsAll(b, a);
    case '{<=}':
    case '{in}':
      return containsAll(a, b);
    case '{>=}':
      return containsAll(b, a);
    default:
      return excludesAll(a, b);
  }
}

/** Whether `row` satisfies `COLUMN[:KEY]OP VALUE` (check_condition). */
function checkCondition(ctx: CommandContext, table: TableSchema, row: TxnRow, arg: string): boolean {
  const { column, key, operator, value } = parseColumnKeyValue(arg, table, RELOPS);
  const op = operator as string;
  const have = row.get(column.name);
  if (key === null) return evaluateRelop(have, parseDatum(column.type, value as string, ctx.symbols), op);
  if (column.type.value === null) {
    throw new VsctlError(`cannot specify key to check for non-map column ${column.name}`);
  }
  const [wantKey] = parseAtom(column.type.key, key, ctx.symbols);
  const valueType: ColumnType = { key: column.type.value, value: null, min: column.type.min, max: UINT_MAX };
  const want = parseDatum(valueType, value as string, ctx.symbols);
  const found = have.indexOf(wantKey);
  if (found < 0 && !op.startsWith('{')) return false;
  const a = found < 0 ? EMPTY_SET : makeDatum([(have.values as Atom[])[found]], null);
  return evaluateRelop(a, want, op);
}

/** Writes `COLUMN[:KEY]=VALUE` into `row` (set_column). */
function setColumn(ctx: CommandContext, table: TableSchema, row: TxnRow, arg: string): void {
  const { column, key, value } = parseColumnKeyValue(arg, table);
  checkMutable(row, column.name);
  if (key === null) {
    row.set(column.name, parseDatum(column.type, value as string, ctx.symbols));
    return;
  }
  if (column.type.value === null) {
    throw new VsctlError(`cannot specify key to set for non-map column ${column.name}`);
  }
  const [k] = parseAtom(column.type.key, key, ctx.symbols);
  const [v] = parseAtom(column.type.value, value as string, ctx.symbols);
  const old = row.get(column.name);
  const keys = [...old.keys.filter((x) => compareAtoms(x, k) !== 0), k];
  const values = [...(old.values ?? []).filter((_, i) => compareAtoms(old.keys[i], k) !== 0), v];
  row.set(column.name, makeDatum(keys, values));
}

function mustExist(ctx: CommandContext): boolean {
  return !hasOption(ctx, '--if-exists');
}

function runGet(ctx: CommandContext): void {
  const id = optionValue(ctx, '--id');
  const exists = mustExist(ctx);
  if (id !== null && !exists) throw new VsctlError('--if-exists and --id may not be specified together');
  const table = tableArg(ctx, 1);
  const recordId = ctx.argv[2];
  const row = getRow(ctx, table, recordId, exists);
  if (row === null) return;
  if (id !== null) {
    const { symbol, isNew } = ctx.symbols.create(id);
    if (!isNew) {
      throw new VsctlError(`row id "${id}" specified on "get" command was used before it was defined`);
    }
    symbol.uuid = row.uuid;
    symbol.strongRef = true;
  }
  for (const arg of ctx.argv.slice(3)) {
    if (/^[_-]uuid$/i.test(arg)) {
      ctx.output += `${row.uuid}\n`;
      continue;
    }
    const { column, key } = parseColumnKeyValue(arg, table, null);
    const datum = row.get(column.name);
    if (key === null) {
      ctx.output += `${datumToString(column.type, datum)}\n`;
      continue;
    }
    if (column.type.value === null) {
      throw new VsctlError(`cannot specify key to get for non-map column ${column.name}`);
    }
    const [k] = parseAtom(column.type.key, key, ctx.symbols);
    const i = datum.indexOf(k);
    if (i < 0 && exists) {
      throw new VsctlError(`no key "${key}" in ${table.name} record "${recordId}" column ${column.name}`);
    }
    if (i >= 0) ctx.output += atomToString(column.type.value.type, (datum.values as Atom[])[i]);
    ctx.output += '\n';
  }
}

function runList(ctx: CommandContext): void {
  const table = tableArg(ctx, 1);
  const columns = parseColumnNames(table, optionValue(ctx, '--columns'));
  const out = makeTable(columns);
  ctx.table = out as Table;
  if (ctx.argv.length > 2) {
    for (const recordId of ctx.argv.slice(2)) {
      const row = getRow(ctx, table, recordId, mustExist(ctx));
      if (row !== null) out.rows.push(recordCells(row, columns));
    }
    return;
  }
  for (const row of tableRows(ctx, table.name)) out.rows.push(recordCells(row, columns));
}

function runFind(ctx: CommandContext): void {
  const table = tableArg(ctx, 1);
  const columns = parseColumnNames(table, optionValue(ctx, '--columns'));
  const out = makeTable(columns);
  ctx.table = out as Table;
  for (const row of tableRows(ctx, table.name)) {
    if (ctx.argv.slice(2).every((arg) => checkCondition(ctx, table, row, arg))) {
      out.rows.push(recordCells(row, columns));
    }
  }
}

function runSet(ctx: CommandContext): void {
  const table = tableArg(ctx, 1);
  const row = getRow(ctx, table, ctx.argv[2], mustExist(ctx));
  if (row === null) return;
  for (const arg of ctx.argv.slice(3)) setColumn(ctx, table, row, arg);
  ctx.invalidateCache();
}

/** The row and column of add/remove, or null with --if-exists and no such row. */
function rowAndColumn(ctx: CommandContext): { table: TableSchema; row: TxnRow; column: ColumnSchema } | null {
  const table = tableArg(ctx, 1);
  const column = findColumn(table, ctx.argv[3]);
  const row = getRow(ctx, table, ctx.argv[2], mustExist(ctx));
  if (row === null) return null;
  checkMutable(row, column.name);
  return { table, row, column };
}

function countError(
  op: string,
  n: number,
  column: ColumnSchema,
  table: TableSchema,
  limit: string,
): VsctlError {
  const what = column.type.value === null ? 'values' : 'pairs';
  return new VsctlError(
    `"${op}" operation would put ${n} ${what} in column ${column.name} of table ${table.name} but the ${limit}`,
  );
}

function runAdd(ctx: CommandContext): void {
  const target = rowAndColumn(ctx);
  if (target === null) return;
  const { table, row, column } = target;
  const type = column.type;
  let keys = [...row.get(column.name).keys];
  let values = row.get(column.name).values === null ? null : [...(row.get(column.name).values as Atom[])];
  for (const arg of ctx.argv.slice(4)) {
    const add = parseDatum({ ...type, min: 1, max: UINT_MAX }, arg, ctx.symbols);
    add.keys.forEach((k, i) => {
      const at = keys.findIndex((x) => compareAtoms(x, k) === 0);
      if (at >= 0) {
        // A map's existing key takes the added value (ovsdb_datum_union).
        if (values !== null) values = values.map((v, j) => (j === at ? (add.values as Atom[])[i] : v));
        return;
      }
      keys = [...keys, k];
      if (values !== null) values = [...values, (add.values as Atom[])[i]];
    });
  }
  if (keys.length > type.max) {
    throw countError('add', keys.length, column, table, `maximum number is ${maxCount(type)}`);
  }
  row.set(column.name, makeDatum(keys, values));
  ctx.invalidateCache();
}

function runRemove(ctx: CommandContext): void {
  const target = rowAndColumn(ctx);
  if (target === null) return;
  const { table, row, column } = target;
  const type = column.type;
  let current = row.get(column.name);
  for (const arg of ctx.argv.slice(4)) {
    let rm: Datum;
    let byKey = false;
    try {
      rm = parseDatum({ ...type, min: 1, max: UINT_MAX }, arg, ctx.symbols);
    } catch (err) {
      if (type.value === null) throw err;
      rm = parseDatum({ key: type.key, value: null, min: 1, max: UINT_MAX }, arg, ctx.symbols);
      byKey = true;
    }
    current = subtract(current, rm, byKey);
  }
  if (current.size < type.min) {
    throw countError('remove', current.size, column, table, `minimum number is ${type.min}`);
  }
  row.set(column.name, current);
  ctx.invalidateCache();
}

/** `a` without the elements of `b` (ovsdb_datum_subtract): map pairs match on key and value unless `byKey`. */
function subtract(a: Datum, b: Datum, byKey: boolean): Datum {
  const keys: Atom[] = [];
  const values: Atom[] | null = a.values === null ? null : [];
  a.keys.forEach((k, i) => {
    const v = a.values?.[i];
    const gone = byKey || a.values === null || b.values === null ? b.has(k) : b.has(k, v);
    if (gone) return;
    keys.push(k);
    if (values !== null) values.push(v as Atom);
  });
  return makeDatum(keys, values);
}

function runClear(ctx: CommandContext): void {
  const table = tableArg(ctx, 1);
  const row = getRow(ctx, table, ctx.argv[2], mustExist(ctx));
  if (row === null) return;
  for (const name of ctx.argv.slice(3)) {
    const column = findColumn(table, name);
    checkMutable(row, column.name);
    if (column.type.min > 0) {
      throw new VsctlError(
        `"clear" operation cannot be applied to column ${column.name} of table ${table.name}, which is not allowed to be empty`,
      );
    }
    row.set(column.name, column.type.value === null ? makeDatum([], null) : makeDatum([], []));
  }
  ctx.invalidateCache();
}

function preCreate(ctx: PrerequisiteContext): void {
  const table = findTable(ctx.schema, ctx.argv[1]);
  if (optionValue(ctx, '--id') === null && !table.isRoot) {
    ctx.warn(`applying "create" command to table ${table.name} without --id option will have no effect`);
  }
}

function runCreate(ctx: CommandContext): void {
  const id = optionValue(ctx, '--id');
  const table = tableArg(ctx, 1);
  const row = ctx.txn.insert(table.name);
  if (id !== null) {
    const { symbol } = ctx.symbols.create(id);
    if (table.isRoot) symbol.strongRef = true;
    (ctx.txn as VsctlTransaction).aliases.set(symbol.uuid, row.uuid);
  }
  for (const arg of ctx.argv.slice(2)) setColumn(ctx, table, row, arg);
  ctx.output += row.uuid;
}

function postCreate(ctx: CommandContext): void {
  const real = ctx.insertedUuid(ctx.output);
  if (real !== undefined) ctx.output = real;
  ctx.output += '\n';
}

function runDestroy(ctx: CommandContext): void {
  const exists = mustExist(ctx);
  const all = hasOption(ctx, '--all');
  const table = tableArg(ctx, 1);
  if (all && ctx.argv.length > 2) {
    throw new VsctlError('--all and records argument should not be specified together');
  }
  if (all && !exists) throw new VsctlError('--all and --if-exists should not be specified together');
  if (!all && ctx.argv.length === 2) {
    ctx.warn('either --all or records argument should be specified');
    return;
  }
  if (all) {
    for (const row of tableRows(ctx, table.name)) row.delete();
  } else {
    for (const recordId of ctx.argv.slice(2)) getRow(ctx, table, recordId, exists)?.delete();
  }
  ctx.invalidateCache();
}

function runWaitUntil(ctx: CommandContext): void {
  const table = tableArg(ctx, 1);
  const row = getRow(ctx, table, ctx.argv[2], false);
  if (row === null || !ctx.argv.slice(3).every((arg) => checkCondition(ctx, table, row, arg))) {
    ctx.tryAgain = true;
  }
}

/** The database commands. */
export const DB_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'comment',
    minArgs: 0,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: '[ARG]...',
    options: [],
    mode: 'ro',
    run: () => {},
  },
  {
    name: 'get',
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE RECORD [COLUMN[:KEY]]...',
    options: ['--if-exists', '--id='],
    mode: 'ro',
    prerequisites: (ctx) => void preTableColumns(ctx, 3, true),
    run: runGet,
  },
  {
    name: 'list',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE [RECORD]...',
    options: ['--if-exists', '--columns='],
    mode: 'ro',
    prerequisites: (ctx) =>
      void parseColumnNames(findTable(ctx.schema, ctx.argv[1]), optionValue(ctx, '--columns')),
    run: runList,
  },
  {
    name: 'find',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE [COLUMN[:KEY]=VALUE]...',
    options: ['--columns='],
    mode: 'ro',
    prerequisites: (ctx) => {
      const table = preTableColumns(ctx, 2);
      parseColumnNames(table, optionValue(ctx, '--columns'));
    },
    run: runFind,
  },
  {
    name: 'set',
    minArgs: 3,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE RECORD COLUMN[:KEY]=VALUE...',
    options: ['--if-exists'],
    mode: 'rw',
    prerequisites: (ctx) => void preTableColumns(ctx, 3),
    run: runSet,
  },
  {
    name: 'add',
    minArgs: 4,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE RECORD COLUMN [KEY=]VALUE...',
    options: ['--if-exists'],
    mode: 'rw',
    prerequisites: (ctx) => void findColumn(findTable(ctx.schema, ctx.argv[1]), ctx.argv[3]),
    run: runAdd,
  },
  {
    name: 'remove',
    minArgs: 4,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE RECORD COLUMN KEY|VALUE|KEY=VALUE...',
    options: ['--if-exists'],
    mode: 'rw',
    prerequisites: (ctx) => void findColumn(findTable(ctx.schema, ctx.argv[1]), ctx.argv[3]),
    run: runRemove,
  },
  {
    name: 'clear',
    minArgs: 3,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE RECORD COLUMN...',
    options: ['--if-exists'],
    mode: 'rw',
    prerequisites: (ctx) => {
      const table = findTable(ctx.schema, ctx.argv[1]);
      for (const name of ctx.argv.slice(3)) findColumn(table, name);
    },
    run: runClear,
  },
  {
    name: 'create',
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE COLUMN[:KEY]=VALUE...',
    options: ['--id='],
    mode: 'rw',
    prerequisites: preCreate,
    run: runCreate,
    postprocess: postCreate,
  },
  {
    name: 'destroy',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE [RECORD]...',
    options: ['--if-exists', '--all'],
    mode: 'rw',
    prerequisites: (ctx) => void findTable(ctx.schema, ctx.argv[1]),
    run: runDestroy,
  },
  {
    name: 'wait-until',
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TABLE RECORD [COLUMN[:KEY]=VALUE]...',
    options: [],
    mode: 'ro',
    prerequisites: (ctx) => void preTableColumns(ctx, 3),
    run: runWaitUntil,
  },
];

registerCommands(DB_COMMANDS);
