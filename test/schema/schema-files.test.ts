// Checks tsovs's own OVSDB schema files (schema/*.ovsschema): well-formed per RFC 7047, semantically equal to
// Open vSwitch 3.1's schemas, and accepted as-is by the real ovsdb-tool, ovsdb-server and ovs-vsctl.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  type DbServer,
  OVS_SCHEMA,
  ROOT,
  startRealServer,
  tempDir,
  VSWITCH_SCHEMA,
} from '../helpers/daemons.js';
import { requireBinaries } from '../helpers/ovs.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SERVER_SCHEMA = join(ROOT, 'schema', '_server.ovsschema');

const ATOMIC_TYPES = new Set(['integer', 'real', 'boolean', 'string', 'uuid']);
const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VERSION = /^\d+\.\d+\.\d+$/;

/** Parses a JSON file. */
function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInteger(v: Json | undefined): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Lists members of `obj` that are not in `allowed`. */
function unknownMembers(obj: JsonObject, allowed: string[]): string[] {
  return Object.keys(obj).filter((k) => !allowed.includes(k));
}

// ---------------------------------------------------------------------------------------------------------
// Structural validation (RFC 7047 section 3.2 plus the OVS rules on indexes and reserved names)

/** True when `atom` is a JSON value of OVSDB atomic type `type` (uuids as ["uuid", "..."]). */
function atomMatches(type: string, atom: Json): boolean {
  switch (type) {
    case 'integer':
      return isInteger(atom);
    case 'real':
      return typeof atom === 'number';
    case 'boolean':
      return typeof atom === 'boolean';
    case 'string':
      return typeof atom === 'string';
    default:
      return Array.isArray(atom) && atom.length === 2 && atom[0] === 'uuid' && typeof atom[1] === 'string';
  }
}

/** Atoms listed by an `enum` value: one atom, or ["set", [atoms...]]. */
function enumAtoms(value: Json): Json[] {
  if (Array.isArray(value) && value[0] === 'set' && value.length === 2 && Array.isArray(value[1])) {
    return value[1];
  }
  return [value];
}

const BASE_MEMBERS: Record<string, string[]> = {
  integer: ['minInteger', 'maxInteger'],
  real: ['minReal', 'maxReal'],
  boolean: [],
  string: ['minLength', 'maxLength'],
  uuid: ['refTable', 'refType'],
};

/** Checks one <base-type>; pushes problems to `errors`. */
function validateBaseType(where: string, base: Json, tables: Set<string>, errors: string[]): void {
  if (typeof base === 'string') {
    if (!ATOMIC_TYPES.has(base)) errors.push(`${where}: unknown atomic type ${base}`);
    return;
  }
  if (!isObject(base) || typeof base.type !== 'string' || !ATOMIC_TYPES.has(base.type)) {
    errors.push(`${where}: base type must be an atomic type or an object with one`);
    return;
  }
  const type = base.type;
  for (const extra of unknownMembers(base, ['type', 'enum', ...BASE_MEMBERS[type]])) {
    errors.push(`${where}: member ${extra} not allowed on ${type}`);
  }
  if ('enum' in base) {
    const atoms = enumAtoms(base.enum);
    if (atoms.length === 0) errors.push(`${where}: empty enum`);
    for (const atom of atoms) {
      if (!atomMatches(type, atom))
        errors.push(`${where}: enum value ${JSON.stringify(atom)} is not ${type}`);
    }
  }
  for (const bound of ['minInteger', 'maxInteger', 'minLength', 'maxLength']) {
    if (bound in base && !isInteger(base[bound])) errors.push(`${where}: ${bound} must be an integer`);
  }
  for (const bound of ['minReal', 'maxReal']) {
    if (bound in base && typeof base[bound] !== 'number') errors.push(`${where}: ${bound} must be a number`);
  }
  for (const [lo, hi] of [
    ['minInteger', 'maxInteger'],
    ['minReal', 'maxReal'],
    ['minLength', 'maxLength'],
  ]) {
    if (typeof base[lo] === 'number' && typeof base[hi] === 'number' && base[lo] > base[hi]) {
      errors.push(`${where}: ${lo} > ${hi}`);
    }
  }
  if ('minLength' in base && isInteger(base.minLength) && base.minLength < 0) {
    errors.push(`${where}: negative minLength`);
  }
  if ('refTable' in base && (typeof base.refTable !== 'string' || !tables.has(base.refTable))) {
    errors.push(`${where}: refTable ${JSON.stringify(base.refTable)} is not a table of this schema`);
  }
  if ('refType' in base && base.refType !== 'strong' && base.refType !== 'weak') {
    errors.push(`${where}: refType must be strong or weak`);
  }
}

/** Checks one column <type>; pushes problems to `errors`. */
function validateColumnType(where: string, type: Json, tables: Set<string>, errors: string[]): void {
  if (typeof type === 'string') {
    validateBaseType(where, type, tables, errors);
    return;
  }
  if (!isObject(type) || !('key' in type)) {
    errors.push(`${where}: type must be an atomic type or an object with a key`);
    return;
  }
  for (const extra of unknownMembers(type, ['key', 'value', 'min', 'max'])) {
    errors.push(`${where}: unknown type member ${extra}`);
  }
  validateBaseType(`${where}.key`, type.key, tables, errors);
  if ('value' in type) validateBaseType(`${where}.value`, type.value, tables, errors);
  const min = type.min ?? 1;
  const max = type.max ?? 1;
  if (min !== 0 && min !== 1) errors.push(`${where}: min must be 0 or 1`);
  if (max !== 'unlimited' && !(isInteger(max) && max >= 1)) {
    errors.push(`${where}: max must be a positive integer or "unlimited"`);
  }
  if (isInteger(min) && isInteger(max) && min > max) errors.push(`${where}: min > max`);
}

/** Checks one table; pushes problems to `errors`. */
function validateTable(name: string, table: Json, tables: Set<string>, errors: string[]): void {
  if (!isObject(table) || !isObject(table.columns)) {
    errors.push(`${name}: table needs a columns object`);
    return;
  }
  for (const extra of unknownMembers(table, ['columns', 'maxRows', 'isRoot', 'indexes'])) {
    errors.push(`${name}: unknown table member ${extra}`);
  }
  const columns = table.columns;
  if (Object.keys(columns).length === 0) errors.push(`${name}: no columns`);
  for (const [colName, column] of Object.entries(columns)) {
    const where = `${name}.${colName}`;
    if (!ID.test(colName) || colName.startsWith('_')) errors.push(`${where}: bad or reserved column name`);
    if (!isObject(column) || !('type' in column)) {
      errors.push(`${where}: column needs a type`);
      continue;
    }
    for (const extra of unknownMembers(column, ['type', 'ephemeral', 'mutable'])) {
      errors.push(`${where}: unknown column member ${extra}`);
    }
    for (const flag of ['ephemeral', 'mutable']) {
      if (flag in column && typeof column[flag] !== 'boolean') errors.push(`${where}: ${flag} not boolean`);
    }
    validateColumnType(where, column.type, tables, errors);
  }
  if ('maxRows' in table && !(isInteger(table.maxRows) && table.maxRows >= 1)) {
    errors.push(`${name}: maxRows must be a positive integer`);
  }
  if ('isRoot' in table && typeof table.isRoot !== 'boolean') errors.push(`${name}: isRoot not boolean`);
  if ('indexes' in table) validateIndexes(name, table.indexes, columns, errors);
}

/** Checks a table's indexes: non-empty lists of existing, persistent columns. */
function validateIndexes(name: string, indexes: Json, columns: JsonObject, errors: string[]): void {
  if (!Array.isArray(indexes)) {
    errors.push(`${name}: indexes must be an array`);
    return;
  }
  for (const index of indexes) {
    if (!Array.isArray(index) || index.length === 0) {
      errors.push(`${name}: each index must be a non-empty array`);
      continue;
    }
    for (const col of index) {
      const column = typeof col === 'string' ? columns[col] : undefined;
      if (!isObject(column)) errors.push(`${name}: index names unknown column ${JSON.stringify(col)}`);
      else if (column.ephemeral === true) errors.push(`${name}: index uses ephemeral column ${col}`);
    }
  }
}

/** Returns every structural problem in `schema` (empty when it is a well-formed OVSDB schema). */
function validateSchema(schema: Json): string[] {
  const errors: string[] = [];
  if (!isObject(schema)) return ['schema is not an object'];
  for (const extra of unknownMembers(schema, ['name', 'version', 'cksum', 'tables'])) {
    errors.push(`unknown schema member ${extra}`);
  }
  if (typeof schema.name !== 'string' || !ID.test(schema.name)) errors.push('name must be an <id>');
  if (typeof schema.version !== 'string' || !VERSION.test(schema.version))
    errors.push('version must be x.y.z');
  if ('cksum' in schema && typeof schema.cksum !== 'string') errors.push('cksum must be a string');
  if (!isObject(schema.tables) || Object.keys(schema.tables).length === 0) {
    errors.push('tables must be a non-empty object');
    return errors;
  }
  const tables = new Set(Object.keys(schema.tables));
  for (const [name, table] of Object.entries(schema.tables)) {
    if (!ID.test(name)) errors.push(`${name}: bad table name`);
    validateTable(name, table, tables, errors);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation: every shorthand spelled out, every default filled in, sets sorted

interface NormalBase {
  type: string;
  enum: string[] | null;
  minInteger: number | null;
  maxInteger: number | null;
  minReal: number | null;
  maxReal: number | null;
  minLength: number | null;
  maxLength: number | null;
  refTable: string | null;
  refType: string | null;
}

interface NormalColumn {
  key: NormalBase;
  value: NormalBase | null;
  min: number;
  max: number | 'unlimited';
  mutable: boolean;
  ephemeral: boolean;
}

interface NormalTable {
  isRoot: boolean;
  maxRows: number | null;
  indexes: string[];
  columns: Record<string, NormalColumn>;
}

interface NormalSchema {
  name: string;
  version: string;
  tables: Record<string, NormalTable>;
}

function numberOrNull(v: Json | undefined): number | null {
  return typeof v === 'number' ? v : null;
}

/** Spells out a <base-type>: "integer" ≡ {"type":"integer"}; enum as a sorted list of JSON atoms. */
function normaliseBase(base: Json): NormalBase {
  const obj: JsonObject = typeof base === 'string' ? { type: base } : (base as JsonObject);
  const refTable = typeof obj.refTable === 'string' ? obj.refTable : null;
  return {
    type: String(obj.type),
    enum:
      'enum' in obj
        ? enumAtoms(obj.enum)
            .map((a) => JSON.stringify(a))
            .sort()
        : null,
    minInteger: numberOrNull(obj.minInteger),
    maxInteger: numberOrNull(obj.maxInteger),
    minReal: numberOrNull(obj.minReal),
    maxReal: numberOrNull(obj.maxReal),
    minLength: numberOrNull(obj.minLength),
    maxLength: numberOrNull(obj.maxLength),
    refTable,
    refType: refTable === null ? null : typeof obj.refType === 'string' ? obj.refType : 'strong',
  };
}

/** Spells out a column: "string" ≡ {"key":"string"}, min/max default 1, mutable true, ephemeral false. */
function normaliseColumn(column: JsonObject): NormalColumn {
  const type: JsonObject = isObject(column.type) ? column.type : { key: column.type };
  return {
    key: normaliseBase(type.key),
    value: 'value' in type ? normaliseBase(type.value) : null,
    min: typeof type.min === 'number' ? type.min : 1,
    max: type.max === 'unlimited' ? 'unlimited' : typeof type.max === 'number' ? type.max : 1,
    mutable: column.mutable !== false,
    ephemeral: column.ephemeral === true,
  };
}

/** Spells out a table; indexes become a sorted set of sorted column sets. */
function normaliseTable(table: JsonObject): NormalTable {
  const columns: Record<string, NormalColumn> = {};
  for (const [name, column] of Object.entries(table.columns as JsonObject)) {
    columns[name] = normaliseColumn(column as JsonObject);
  }
  const indexes = Array.isArray(table.indexes) ? table.indexes : [];
  return {
    isRoot: table.isRoot === true,
    maxRows: numberOrNull(table.maxRows),
    indexes: indexes.map((index) => JSON.stringify([...(index as string[])].sort())).sort(),
    columns,
  };
}

/**
 * Normalises a whole (already validated) schema; "cksum" is dropped. As in OVSDB, a schema where no table is
 * marked isRoot (as written by older schemas, and by ovsdb-server when every table is root) has every table
 * in the root set.
 */
function normaliseSchema(schema: Json): NormalSchema {
  const obj = schema as JsonObject;
  const tables: Record<string, NormalTable> = {};
  for (const [name, table] of Object.entries(obj.tables as JsonObject)) {
    tables[name] = normaliseTable(table as JsonObject);
  }
  const noRootMarked = Object.values(tables).every((table) => !table.isRoot);
  if (noRootMarked) for (const table of Object.values(tables)) table.isRoot = true;
  return { name: String(obj.name), version: String(obj.version), tables };
}

/** Asserts two schemas are semantically equal, table by table for readable diffs. */
function assertSameSchema(ours: Json, theirs: Json): void {
  const a = normaliseSchema(ours);
  const b = normaliseSchema(theirs);
  assert.equal(a.name, b.name);
  assert.equal(a.version, b.version);
  assert.deepEqual(Object.keys(a.tables).sort(), Object.keys(b.tables).sort());
  for (const name of Object.keys(b.tables)) {
    const ta = a.tables[name];
    const tb = b.tables[name];
    assert.deepEqual(Object.keys(ta.columns).sort(), Object.keys(tb.columns).sort(), `${name} columns`);
    for (const col of Object.keys(tb.columns)) {
      assert.deepEqual(ta.columns[col], tb.columns[col], `${name}.${col}`);
    }
    assert.deepEqual({ ...ta, columns: null }, { ...tb, columns: null }, `${name} table options`);
  }
  assert.deepEqual(a, b);
}

// ---------------------------------------------------------------------------------------------------------
// Running the real tools

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool synchronously with a time limit. */
function run(cmd: string, args: string[]): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs a tool and asserts it exits 0; returns its trimmed stdout. */
function runOk(cmd: string, args: string[]): string {
  const r = run(cmd, args);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

// ---------------------------------------------------------------------------------------------------------

for (const [label, path] of [
  ['vswitch', VSWITCH_SCHEMA],
  ['_server', SERVER_SCHEMA],
]) {
  test(`${label}.ovsschema parses and is a well-formed OVSDB schema`, () => {
    const schema = readJson(path);
    assert.deepEqual(validateSchema(schema), []);
  });
}

test('the validator rejects malformed schemas', () => {
  const bad: Json = {
    name: 'x',
    version: '1',
    tables: {
      T: {
        columns: {
          a: { type: { key: { type: 'uuid', refTable: 'Nope' }, min: 2 } },
          b: { type: { key: { type: 'string', minInteger: 0 } }, ephemeral: true },
          c: { type: 'float' },
          _d: { type: 'string' },
        },
        indexes: [['b'], ['zz']],
      },
    },
  };
  const errors = validateSchema(bad);
  for (const fragment of [
    'version',
    'refTable',
    'min must',
    'minInteger',
    'float',
    '_d',
    'ephemeral',
    'zz',
  ]) {
    assert.ok(
      errors.some((e) => e.includes(fragment)),
      `no error mentions ${fragment}: ${errors.join('; ')}`,
    );
  }
});

test('the normaliser treats shorthand and spelled-out forms alike', () => {
  const short = normaliseColumn({ type: 'string' });
  const long = normaliseColumn({
    type: { key: { type: 'string' }, min: 1, max: 1 },
    mutable: true,
    ephemeral: false,
  });
  assert.deepEqual(short, long);
  const enumOne = normaliseBase({ type: 'string', enum: 'a' });
  const enumSet = normaliseBase({ type: 'string', enum: ['set', ['a']] });
  assert.deepEqual(enumOne, enumSet);
  assert.equal(normaliseBase({ type: 'uuid', refTable: 'T' }).refType, 'strong');
  assert.notDeepEqual(normaliseColumn({ type: { key: 'string', min: 0 } }), short);
  const allRootImplicit = normaliseSchema({ name: 'd', version: '1.0.0', tables: { T: { columns: {} } } });
  assert.equal(allRootImplicit.tables.T.isRoot, true);
});

test('vswitch.ovsschema is semantically equal to Open vSwitch 3.1 vswitch.ovsschema', (t) => {
  if (!requireBinaries(t, 'ovsdb-tool')) return;
  if (!existsSync(OVS_SCHEMA)) {
    t.skip(`${OVS_SCHEMA} not installed`);
    return;
  }
  assertSameSchema(readJson(VSWITCH_SCHEMA), readJson(OVS_SCHEMA));
});

test('real ovsdb-tool creates a database from vswitch.ovsschema', (t) => {
  if (!requireBinaries(t, 'ovsdb-tool')) return;
  const dir = tempDir('tsovs-schema-');
  try {
    const db = join(dir, 'conf.db');
    runOk('ovsdb-tool', ['create', db, VSWITCH_SCHEMA]);
    assert.equal(runOk('ovsdb-tool', ['db-version', db]), '8.3.1');
    assert.equal(runOk('ovsdb-tool', ['db-name', db]), 'Open_vSwitch');
    assert.equal(runOk('ovsdb-tool', ['schema-version', VSWITCH_SCHEMA]), '8.3.1');
    assert.equal(runOk('ovsdb-tool', ['schema-name', VSWITCH_SCHEMA]), 'Open_vSwitch');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real ovsdb-tool accepts _server.ovsschema', (t) => {
  if (!requireBinaries(t, 'ovsdb-tool')) return;
  const dir = tempDir('tsovs-schema-');
  try {
    const db = join(dir, 'server.db');
    runOk('ovsdb-tool', ['create', db, SERVER_SCHEMA]);
    assert.equal(runOk('ovsdb-tool', ['db-name', db]), '_Server');
    assert.equal(runOk('ovsdb-tool', ['db-version', db]), '1.2.0');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real ovsdb-tool schema-cksum runs on our schemas', (t) => {
  if (!requireBinaries(t, 'ovsdb-tool')) return;
  for (const path of [VSWITCH_SCHEMA, SERVER_SCHEMA]) {
    // schema-cksum prints the file's own "cksum" member; ours have none, so the line is empty.
    const schema = readJson(path) as JsonObject;
    const expected = typeof schema.cksum === 'string' ? schema.cksum : '';
    assert.equal(runOk('ovsdb-tool', ['schema-cksum', path]), expected);
  }
});

test('real ovsdb-server serves our vswitch schema to ovs-vsctl and its _Server schema matches ours', async (t) => {
  if (!requireBinaries(t, 'ovsdb-tool', 'ovsdb-server', 'ovsdb-client', 'ovs-vsctl')) return;
  const dir = tempDir('tsovs-schema-');
  let server: DbServer | undefined;
  try {
    runOk('ovsdb-tool', ['create', join(dir, 'conf.db'), VSWITCH_SCHEMA]);
    server = await startRealServer(dir);
    const remote = `unix:${server.sock}`;

    const served = JSON.parse(runOk('ovsdb-client', ['get-schema', remote, '_Server'])) as Json;
    assertSameSchema(readJson(SERVER_SCHEMA), served);

    const vsctl = (...args: string[]) =>
      runOk('ovs-vsctl', [`--db=${remote}`, '--no-wait', '--timeout=10', ...args]);
    vsctl('init');
    vsctl('add-br', 'br0');
    vsctl('add-port', 'br0', 'p1', '--', 'set', 'Interface', 'p1', 'type=internal', 'ofport_request=7');
    vsctl('set', 'Bridge', 'br0', 'protocols=OpenFlow13,OpenFlow15', 'fail_mode=secure');
    assert.equal(vsctl('list-br'), 'br0');
    assert.equal(vsctl('list-ports', 'br0'), 'p1');
    assert.equal(vsctl('get', 'Interface', 'p1', 'type'), 'internal');
    assert.equal(vsctl('get', 'Interface', 'p1', 'ofport_request'), '7');
    assert.equal(vsctl('get', 'Bridge', 'br0', 'fail_mode'), 'secure');
    const badVlan = run('ovs-vsctl', [
      `--db=${remote}`,
      '--no-wait',
      '--timeout=10',
      'set',
      'Port',
      'p1',
      'tag=4096',
    ]);
    assert.notEqual(badVlan.status, 0, 'tag=4096 should violate the 0..4095 constraint');
  } finally {
    await server?.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
});
