// Unit tests of the output formats shared by tsovs ovsdb-client and vsctl (src/ovsdb/client/format.ts) and of
// the shash-order model; the end-to-end comparison with the real tools is in test/cli/ovsdb-client.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Cell,
  DEFAULT_TABLE_STYLE,
  datumToBare,
  type Table,
  TablePrinter,
} from '../../src/ovsdb/client/format.js';
import { atomToString, compareDatums, datumToString, makeDatum } from '../../src/ovsdb/datum.js';
import { formatReal, ovsJsonToString } from '../../src/ovsdb/ovs-json.js';
import { ovsHashString, shashOrder } from '../../src/ovsdb/shash-order.js';
import { columnTypeToJson, parseColumnType } from '../../src/ovsdb/types.js';

const stringMap = parseColumnType({ key: 'string', value: 'string', min: 0, max: 'unlimited' });
const intSet = parseColumnType({ key: 'integer', min: 0, max: 'unlimited' });
const optionalInt = parseColumnType({ key: 'integer', min: 0, max: 1 });

test('reals print as printf("%.15g")', () => {
  assert.deepEqual(
    [0, -0, 1, 1.5, 0.1, 1 / 3, 1e15, 1e21, 1.2345678901234568e17, 1e-5, 0.0001, -2.5e-7].map(formatReal),
    [
      '0',
      '-0',
      '1',
      '1.5',
      '0.1',
      '0.333333333333333',
      '1e+15',
      '1e+21',
      '1.23456789012346e+17',
      '1e-05',
      '0.0001',
      '-2.5e-07',
    ],
  );
});

test('atoms and datums in OVS text syntax: quoting only where needed', () => {
  assert.equal(atomToString('string', 'br0'), 'br0');
  assert.equal(atomToString('string', 'a-b.c_d'), 'a-b.c_d');
  assert.equal(atomToString('integer', 2 ** 60), '1152921504606846976');
  for (const [s, quoted] of [
    ['', '""'],
    ['x y', '"x y"'],
    ['true', '"true"'],
    ['12', '"12"'],
    ['é', '"é"'],
    ['a"b\n', '"a\\"b\\n"'],
    ['00000000-0000-0000-0000-000000000000', '"00000000-0000-0000-0000-000000000000"'],
  ]) {
    assert.equal(atomToString('string', s), quoted, s);
  }
  const map = makeDatum(['k', 'true'], ['v', 'x,y']);
  assert.equal(datumToString(stringMap, map), '{k=v, "true"="x,y"}');
  assert.equal(datumToBare(stringMap, map), 'k=v true=x,y');
  assert.equal(datumToString(intSet, makeDatum([3, 1], null)), '[1, 3]');
  assert.equal(datumToString(optionalInt, makeDatum([], null)), '[]');
  assert.equal(datumToString(optionalInt, makeDatum([5], null)), '5');
});

test('datums compare as OVS sorts dump rows: fewer elements first, then element by element', () => {
  const d = (...k: number[]) => makeDatum(k, null);
  assert.ok(compareDatums(d(9), d(1, 2)) < 0);
  assert.ok(compareDatums(d(1, 3), d(1, 2)) > 0);
  assert.equal(compareDatums(d(1, 2), d(2, 1)), 0);
});

test('column types in normalised schema JSON: strong refType dropped, weak kept', () => {
  const OVS_STYLE = { strongRefType: false };
  const strong = parseColumnType({
    key: { type: 'uuid', refTable: 'Port', refType: 'strong' },
    min: 0,
    max: 'unlimited',
  });
  assert.equal(
    ovsJsonToString(columnTypeToJson(strong, OVS_STYLE), { sort: true }),
    '{"key":{"refTable":"Port","type":"uuid"},"max":"unlimited","min":0}',
  );
  const weak = parseColumnType({ key: { type: 'uuid', refTable: 'Port', refType: 'weak' }, min: 0 });
  assert.equal(
    ovsJsonToString(columnTypeToJson(weak, OVS_STYLE), { sort: true }),
    '{"key":{"refTable":"Port","refType":"weak","type":"uuid"},"min":0}',
  );
  assert.equal(ovsJsonToString(columnTypeToJson(parseColumnType('string'), OVS_STYLE)), '"string"');
  assert.equal(
    ovsJsonToString(columnTypeToJson(strong), { sort: true }),
    '{"key":{"refTable":"Port","refType":"strong","type":"uuid"},"max":"unlimited","min":0}',
  );
});

test('JSON as OVS writes it: sorted or pretty, only control characters escaped', () => {
  const json = { b: [1, 'é\u0001'], a: {} };
  assert.equal(ovsJsonToString(json, { sort: true }), '{"a":{},"b":[1,"é\\u0001"]}');
  assert.equal(
    ovsJsonToString(json, { sort: true, pretty: true }),
    '{\n  "a": {\n    },\n  "b": [\n    1,\n    "é\\u0001"]}',
  );
  assert.equal(ovsJsonToString(['x', []]), '["x",[]]');
  // An int64 beyond 2^53 in full, as the real ovsdb-client prints it; reals as %.15g.
  assert.equal(ovsJsonToString([2 ** 60, 0.1 + 0.2]), '[1152921504606846976,0.3]');
});

const table: Table = {
  caption: 'Queue table',
  headings: ['_uuid', 'dscp', 'other_config'],
  rows: [
    [{ text: 'u1' }, { json: 3, type: optionalInt }, { json: ['map', [['a', 'x y']]], type: stringMap }],
    [{ text: 'u2' }, { json: ['set', []], type: optionalInt }, null],
  ],
};

test('table format: padded columns, dashes under headings, trailing spaces cut, blank line between tables', () => {
  const printer = new TablePrinter();
  const expected = [
    'Queue table',
    '_uuid dscp other_config',
    '----- ---- ------------',
    'u1    3    {a="x y"}',
    'u2    []',
    '',
  ].join('\n');
  assert.equal(printer.format(table), expected);
  assert.equal(printer.format(table), `\n${expected}`);
});

test('list, csv, json and bare formats', () => {
  const list = new TablePrinter({ ...DEFAULT_TABLE_STYLE, format: 'list' }).format(table);
  assert.equal(list.split('\n')[1], `${'_uuid'.padEnd(20)}: u1`);
  const csv = new TablePrinter({ ...DEFAULT_TABLE_STYLE, format: 'csv' }).format(table);
  assert.equal(csv, 'Queue table\n_uuid,dscp,other_config\nu1,3,"{a=""x y""}"\nu2,[],\n');
  const json = new TablePrinter({ ...DEFAULT_TABLE_STYLE, format: 'json' }).format(table);
  assert.deepEqual(JSON.parse(json), {
    caption: 'Queue table',
    data: [
      ['u1', 3, ['map', [['a', 'x y']]]],
      ['u2', ['set', []], null],
    ],
    headings: ['_uuid', 'dscp', 'other_config'],
  });
  const bare = new TablePrinter({
    ...DEFAULT_TABLE_STYLE,
    format: 'list',
    cellFormat: 'bare',
    headings: false,
  });
  assert.equal(bare.format(table), 'Queue table\nu1\n3\na=x y\n\nu2\n\n\n');
});

test('a value that does not fit its column type is shown as its JSON', () => {
  const cell: Cell = { json: ['set', [1, 5]], type: optionalInt };
  const out = new TablePrinter().format({ headings: ['dscp'], rows: [[cell]] });
  assert.equal(out, 'dscp\n-------------\n["set",[1,5]]\n');
});

test('timestamps: UTC with milliseconds before the table', () => {
  const printer = new TablePrinter(DEFAULT_TABLE_STYLE, () => new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)));
  assert.match(printer.format({ ...table, timestamp: true }), /^2024-01-02 03:04:05\.006\nQueue table\n/);
});

test('shash order: a pure function of the names and their insertion order', () => {
  assert.equal(ovsHashString('a'), ovsHashString('a'));
  assert.notEqual(ovsHashString('a'), ovsHashString('b'));
  const names = Array.from({ length: 40 }, (_, i) => `name${i}`);
  const order = shashOrder(names);
  assert.deepEqual([...order].sort(), [...names].sort());
  assert.deepEqual(shashOrder([...names, 'name3']), order, 'a repeated name keeps its place');
  assert.deepEqual(shashOrder(['x']), ['x']);
});
