// Unit tests of ovs-vsctl's value and argument syntax (src/vsctl/syntax.ts), cases and texts taken from
// the real ovs-vsctl's behaviour.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSchemaFile } from '../../src/ovsdb/schema.js';
import type { ColumnType } from '../../src/ovsdb/types.js';
import { parseCommandLine } from '../../src/vsctl/options.js';
import { idlRowOrder } from '../../src/vsctl/row-order.js';
import { loadCommands } from '../../src/vsctl/run.js';
import {
  findColumn,
  findTable,
  parseColumnKeyValue,
  parseDatum,
  parseToken,
  SymbolTable,
} from '../../src/vsctl/syntax.js';
import { VSWITCH_SCHEMA } from '../helpers/daemons.js';

const schema = readSchemaFile(VSWITCH_SCHEMA);
const STRING_MAP: ColumnType = { key: { type: 'string' }, value: { type: 'string' }, min: 0, max: Infinity };
const INT_SET: ColumnType = {
  key: { type: 'integer', minInteger: 0, maxInteger: 4095 },
  value: null,
  min: 0,
  max: 4096,
};
const BOOL: ColumnType = { key: { type: 'boolean' }, value: null, min: 1, max: 1 };

test('tokens stop at delimiters; backslashes escape; quotes are kept', () => {
  assert.deepEqual(parseToken('abc=def'), { token: 'abc', end: 3 });
  assert.deepEqual(parseToken('a\\:b:c'), { token: 'a:b', end: 4 });
  assert.deepEqual(parseToken('"a:b":c'), { token: '"a:b"', end: 5 });
  assert.throws(() => parseToken('ab\\'), { message: 'ab\\: backslash at end of argument' });
  assert.throws(() => parseToken('"ab'), { message: '"ab: quoted string extends past end of argument' });
});

test('maps, sets, ranges and quoted strings', () => {
  const m = parseDatum(STRING_MAP, '{a=1, b="x y"}');
  assert.deepEqual(
    [m.keys, m.values],
    [
      ['a', 'b'],
      ['1', 'x y'],
    ],
  );
  assert.deepEqual(parseDatum(STRING_MAP, 'k=v').keys, ['k']);
  assert.deepEqual(parseDatum(INT_SET, '[1-3, 7]').keys, [1, 2, 3, 7]);
  assert.deepEqual(parseDatum(INT_SET, '5 6').keys, [5, 6]);
  assert.equal(parseDatum(INT_SET, '[]').size, 0);
  assert.deepEqual(parseDatum(BOOL, 'yes').keys, [true]);
});

test('value errors carry ovs-vsctl texts', () => {
  assert.throws(() => parseDatum(STRING_MAP, ''), { message: 'use "{}" to specify the empty map' });
  assert.throws(() => parseDatum(INT_SET, ''), { message: 'use "[]" to specify the empty set' });
  assert.throws(() => parseDatum(BOOL, 'maybe'), {
    message: '"maybe" is not a valid boolean (use "true" or "false")',
  });
  assert.throws(() => parseDatum(INT_SET, 'x'), { message: '"x" is not a valid integer or range' });
  assert.throws(() => parseDatum(INT_SET, '5000'), {
    message: 'constraint violation: 5000 is not in the valid range 0 to 4095 (inclusive)',
  });
  assert.throws(() => parseDatum(INT_SET, '3-1'), {
    message: '"3-1" is not a valid range. Range end cannot be before start.',
  });
  assert.throws(() => parseDatum(STRING_MAP, '{a}'), { message: 'a}: syntax error at "}" expecting "="' });
  assert.throws(() => parseDatum(STRING_MAP, '{a=1'), { message: '{a=1: missing "}" at end of data' });
  assert.throws(() => parseDatum(STRING_MAP, '{a=1} x'), { message: '{a=1} x: trailing garbage after "}"' });
  assert.throws(() => parseDatum(STRING_MAP, '{a=1, a=2}'), {
    message: '{a=1, a=2}: map contains duplicate key',
  });
  assert.throws(() => parseDatum(BOOL, 'true false'), {
    message: 'true false: 2 value(s) specified but the maximum number is 1',
  });
});

test('@names become symbols that record how they are referenced', () => {
  const symbols = new SymbolTable();
  const ref: ColumnType = {
    key: { type: 'uuid', refTable: 'Mirror', refType: 'strong' },
    value: null,
    min: 0,
    max: Infinity,
  };
  const d = parseDatum(ref, '[@m]', symbols);
  const symbol = symbols.get('@m');
  assert.equal(d.keys[0], symbol?.uuid);
  assert.equal(symbol?.strongRef, true);
  assert.equal(symbols.create('@m').isNew, false);
  assert.throws(() => symbols.create('@m'), {
    message: 'row id "@m" may only be specified on one --id option',
  });
  assert.throws(() => symbols.create('m'), { message: 'row id "m" does not begin with "@"' });
});

test('tables and columns may be abbreviated', () => {
  assert.equal(findTable(schema, 'br').name, 'Bridge');
  assert.equal(findTable(schema, 'open').name, 'Open_vSwitch');
  assert.equal(findTable(schema, 'open-vswitch').name, 'Open_vSwitch');
  assert.throws(() => findTable(schema, 'xyz'), { message: 'unknown table "xyz"' });
  assert.throws(() => findTable(schema, 'f'), {
    message: '"f" matches multiple table names: Flow_Sample_Collector_Set, Flow_Table',
  });
  const bridge = findTable(schema, 'Bridge');
  assert.equal(findColumn(bridge, 'fail').name, 'fail_mode');
  assert.throws(() => findColumn(bridge, 'st'), {
    message: 'Bridge contains more than one column whose name matches "st": status, stp_enable',
  });
});

test('COLUMN[:KEY]=VALUE arguments', () => {
  const bridge = findTable(schema, 'Bridge');
  const kv = parseColumnKeyValue('external_ids:a=b=c', bridge);
  assert.deepEqual([kv.column.name, kv.key, kv.value], ['external_ids', 'a', 'b=c']);
  const rel = parseColumnKeyValue('name!=x', bridge, ['=', '!=', '{!=}']);
  assert.deepEqual([rel.operator, rel.value], ['!=', 'x']);
  assert.throws(() => parseColumnKeyValue('name', bridge), {
    message: 'name: argument does not end in "=" followed by a value.',
  });
  assert.throws(() => parseColumnKeyValue('=x', bridge), { message: '=x: missing column name' });
  assert.throws(() => parseColumnKeyValue('name:x:y', bridge, null), {
    message: 'name:x:y: trailing garbage ":y" in argument',
  });
});

test('command lines: global options, command options and "--"', async () => {
  await loadCommands();
  const line = parseCommandLine([
    '--no-w',
    '--if-exists',
    'get',
    'br',
    'x',
    '--',
    '--columns=name',
    'list',
    'br',
  ]);
  assert.equal(line.waitForReload, false);
  assert.deepEqual([...line.commands[0].options.keys()], ['--if-exists']);
  assert.deepEqual(line.commands[1].argv, ['list', 'br']);
  assert.throws(() => parseCommandLine(['--d']), {
    message: "option '--d' is ambiguous; possibilities: '--db' '--dry-run' '--data'",
  });
  assert.throws(() => parseCommandLine(['--foo']), { message: "unrecognized option '--foo'" });
  assert.throws(() => parseCommandLine(['-x']), { message: "invalid option -- 'x'" });
  assert.throws(() => parseCommandLine(['--timeout=0', 'list', 'br']), {
    message: 'value 0 on -t or --timeout is invalid',
  });
  assert.throws(() => parseCommandLine(['--id=@a', 'list', 'br']), {
    message: "'list' command has no '--id' option",
  });
  assert.throws(() => parseCommandLine(['list', 'br', '--', '--columns', 'list', 'br']), {
    message: "missing argument to '--columns' option on 'list' command",
  });
  assert.throws(() => parseCommandLine(['list']), {
    message: "'list' command requires at least 1 arguments",
  });
  assert.throws(() => parseCommandLine(['frob']), { message: "unknown command 'frob'; use --help for help" });
  assert.throws(() => parseCommandLine(['--if-exists']), {
    message: 'missing command name (use --help for help)',
  });
});

test('rows are walked in the order of OVS IDL hash map', () => {
  const uuids = ['00000002-0000-0000-0000-000000000000', '00000001-0000-0000-0000-000000000000'];
  assert.deepEqual(new Set(idlRowOrder(uuids)), new Set(uuids));
  assert.equal(idlRowOrder([uuids[0]])[0], uuids[0]);
});
