// Unit tests of the transaction engine without a server: results and commit-time errors, garbage
// collection and reference counts (checked against a recount after random transactions), weak references,
// unique indexes (including a swap), waits, locks and reserved databases.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Json, JsonObject } from '../../src/jsonrpc/json.js';
import { Database, forEachStrongRef, indexKey } from '../../src/ovsdb/database.js';
import { parseSchema } from '../../src/ovsdb/schema.js';
import { executeTransaction, type TxnOutcome, type TxnSession } from '../../src/ovsdb/transaction.js';
import { CONFORMANCE_SCHEMA } from './conformance-cases.js';

const NO_LOCKS: TxnSession = { ownsLock: () => false };

const U = {
  a: '5f000000-0000-4000-8000-00000000000a',
  b: '5f000000-0000-4000-8000-00000000000b',
  k1: '7b000000-0000-4000-8000-000000000001',
  k2: '7b000000-0000-4000-8000-000000000002',
  t1: '6a000000-0000-4000-8000-000000000001',
  t2: '6a000000-0000-4000-8000-000000000002',
  missing: '9d000000-0000-4000-8000-000000000099',
};

function freshDb(schema: JsonObject = CONFORMANCE_SCHEMA): Database {
  return new Database(parseSchema(schema));
}

/** Executes a transaction and commits what it changed, as the server does. */
function run(db: Database, ops: Json[], session = NO_LOCKS, elapsedMs = 0): TxnOutcome {
  const outcome = executeTransaction(db, ops, session, { elapsedMs });
  if (outcome.kind === 'done' && outcome.changes !== null) {
    db.commit(outcome.changes, outcome.comment, outcome.durable);
  }
  return outcome;
}

/** The results of a transaction that must not block. */
function results(db: Database, ops: Json[], session = NO_LOCKS, elapsedMs = 0): Json[] {
  const outcome = run(db, ops, session, elapsedMs);
  assert.equal(outcome.kind, 'done');
  return outcome.kind === 'done' ? outcome.results : [];
}

/** The error object a transaction ends with. */
function lastError(db: Database, ops: Json[]): JsonObject {
  const r = results(db, ops);
  const last = r.filter((x) => x !== null).at(-1) as JsonObject;
  assert.ok(last !== undefined && 'error' in last, `expected an error: ${JSON.stringify(r)}`);
  return last;
}

function names(db: Database, table: string): string[] {
  const t = db.table(table);
  const col = t.schema.column('name');
  assert.ok(col);
  return [...t.rows.values()].map((r) => r.data[col.index].keys[0] as string).sort();
}

/** Strong reference counts recomputed from every row (self-references excluded). */
function recount(db: Database): Map<string, number> {
  const counts = new Map<string, number>();
  for (const table of db.tables.values()) {
    for (const row of table.rows.values()) {
      forEachStrongRef(table.schema, row, (uuid) => counts.set(uuid, (counts.get(uuid) ?? 0) + 1));
    }
  }
  return counts;
}

const insert = (table: string, row: JsonObject, extra: JsonObject = {}): JsonObject => ({
  op: 'insert',
  table,
  row,
  ...extra,
});
const uuid = (u: string): Json => ['uuid', u];
const set = (...e: Json[]): Json => ['set', e];

describe('results', () => {
  test('a failed operation is followed by nulls and nothing is committed', () => {
    const db = freshDb();
    const r = results(db, [insert('Target', { name: 't' }), { op: 'bogus' }, insert('Target', {})]);
    assert.equal(r.length, 3);
    assert.deepEqual(r[1], {
      error: 'syntax error',
      details: 'Parsing ovsdb operation 2 of 3 failed: No operation "bogus"',
      syntax: '{"op":"bogus"}',
    });
    assert.equal(r[2], null);
    assert.equal(db.table('Target').rows.size, 0);
  });

  test('a commit-time error is appended after the operations', () => {
    const db = freshDb();
    const r = results(db, [
      insert('Limited', { x: 1 }),
      insert('Limited', { x: 2 }),
      insert('Limited', { x: 3 }),
    ]);
    assert.equal(r.length, 4);
    assert.deepEqual(r[3], {
      error: 'constraint violation',
      details:
        'transaction causes "Limited" table to contain 3 rows, greater than the schema-defined limit of 2 row(s)',
    });
    assert.equal(db.table('Limited').rows.size, 0);
  });

  test('an update to the same values changes nothing', () => {
    const db = freshDb();
    results(db, [insert('Target', { name: 't' })]);
    const outcome = run(db, [{ op: 'update', table: 'Target', where: [], row: { name: 't' } }]);
    assert.equal(outcome.kind === 'done' && outcome.changes, null);
  });

  test('comments are joined and durability is remembered', () => {
    const db = freshDb();
    const outcome = run(db, [
      { op: 'comment', comment: 'one' },
      insert('Target', {}),
      { op: 'comment', comment: 'two' },
      { op: 'commit', durable: true },
    ]);
    assert.ok(outcome.kind === 'done');
    assert.equal(outcome.comment, 'one\ntwo');
    assert.equal(outcome.durable, true);
  });
});

describe('garbage collection and reference counts', () => {
  test('unreferenced rows of non-root tables are deleted, in cascade, ignoring self-references', () => {
    const db = freshDb();
    results(db, [
      insert('Child', { name: 'k2', kids: uuid(U.k2) }, { uuid: U.k2 }),
      insert('Child', { name: 'k1', kids: set(uuid(U.k1), uuid(U.k2)) }, { uuid: U.k1 }),
      insert('Root', { name: 'a', children: uuid(U.k1) }, { uuid: U.a }),
    ]);
    assert.deepEqual(names(db, 'Child'), ['k1', 'k2']);
    assert.deepEqual([...db.refCounts].sort(), [
      [U.k1, 1],
      [U.k2, 1],
    ]);
    results(db, [{ op: 'update', table: 'Root', where: [], row: { children: set() } }]);
    assert.deepEqual(names(db, 'Child'), []);
    assert.equal(db.refCounts.size, 0);
  });

  test('an inserted row nothing refers to is collected at commit but visible before', () => {
    const db = freshDb();
    const r = results(db, [
      insert('Child', { name: 'orphan' }),
      { op: 'select', table: 'Child', where: [], columns: ['name'] },
    ]);
    assert.deepEqual(r[1], { rows: [{ name: 'orphan' }] });
    assert.equal(db.table('Child').rows.size, 0);
  });

  test('reference counts match a recount after random transactions', () => {
    const db = freshDb();
    let seed = 1;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pickRow = (table: string) => {
      const rows = [...db.table(table).rows.keys()];
      return rows.length === 0 ? undefined : rows[Math.floor(random() * rows.length)];
    };
    for (let i = 0; i < 300; i++) {
      const root = pickRow('Root');
      const child = pickRow('Child');
      const choice = Math.floor(random() * 5);
      let ops: Json[];
      if (choice === 0 || root === undefined) {
        ops = [
          insert('Child', { name: `c${i}` }, { 'uuid-name': 'c' }),
          insert('Root', { name: `r${i}`, children: ['named-uuid', 'c'] }),
        ];
      } else if (choice === 1 && child !== undefined) {
        ops = [
          {
            op: 'mutate',
            table: 'Root',
            where: [['_uuid', '==', uuid(root)]],
            mutations: [['children', 'insert', uuid(child)]],
          },
        ];
      } else if (choice === 2) {
        ops = [
          { op: 'update', table: 'Root', where: [['_uuid', '==', uuid(root)]], row: { children: set() } },
        ];
      } else if (choice === 3 && child !== undefined) {
        ops = [
          insert('Child', { name: `k${i}`, kids: uuid(child) }, { 'uuid-name': 'k' }),
          {
            op: 'mutate',
            table: 'Root',
            where: [['_uuid', '==', uuid(root)]],
            mutations: [['children', 'insert', ['named-uuid', 'k']]],
          },
        ];
      } else {
        ops = [{ op: 'delete', table: 'Root', where: [['_uuid', '==', uuid(root)]] }];
      }
      const outcome = run(db, ops);
      assert.ok(outcome.kind === 'done');
      assert.ok(
        !outcome.results.some((r) => r !== null && typeof r === 'object' && 'error' in r),
        JSON.stringify(outcome.results),
      );
      assert.deepEqual([...db.refCounts].sort(), [...recount(db)].sort());
      for (const uuid of db.table('Child').rows.keys())
        assert.ok(db.refCount(uuid) > 0, 'no garbage is left');
    }
  });

  test('a deleted row must not stay referenced; a reference must point at a row', () => {
    const db = freshDb();
    results(db, [
      insert('Child', { name: 'k1' }, { uuid: U.k1 }),
      insert('Root', { name: 'a', children: uuid(U.k1) }),
    ]);
    assert.deepEqual(lastError(db, [{ op: 'delete', table: 'Child', where: [] }]), {
      error: 'referential integrity violation',
      details: `cannot delete Child row ${U.k1} because of 1 remaining reference(s)`,
    });
    const root = [...db.table('Root').rows.keys()][0];
    assert.deepEqual(
      lastError(db, [
        { op: 'mutate', table: 'Root', where: [], mutations: [['children', 'insert', uuid(U.missing)]] },
      ]),
      {
        error: 'referential integrity violation',
        details: `Table Root column children row ${root} references nonexistent row ${U.missing} in table Child.`,
      },
    );
  });
});

describe('weak references', () => {
  test('references to a deleted row are removed from sets and maps, and the row gets a new version', () => {
    const db = freshDb();
    results(db, [
      insert('Target', { name: 't1' }, { uuid: U.t1 }),
      insert('Target', { name: 't2' }, { uuid: U.t2 }),
      insert(
        'Root',
        {
          name: 'a',
          weak: set(uuid(U.t1), uuid(U.t2)),
          weakmap: [
            'map',
            [
              ['x', uuid(U.t1)],
              ['y', uuid(U.t2)],
            ],
          ],
        },
        { uuid: U.a },
      ),
    ]);
    const before = db.table('Root').rows.get(U.a);
    results(db, [{ op: 'delete', table: 'Target', where: [['name', '==', 't1']] }]);
    const after = db.table('Root').rows.get(U.a);
    assert.ok(before && after);
    const weak = db.table('Root').schema.column('weak');
    const weakmap = db.table('Root').schema.column('weakmap');
    assert.ok(weak && weakmap);
    assert.deepEqual(after.data[weak.index].keys, [U.t2]);
    assert.deepEqual([after.data[weakmap.index].keys, after.data[weakmap.index].values], [['y'], [U.t2]]);
    assert.notEqual(after.version, before.version);
  });

  test('a weak reference to a missing row is dropped on insert', () => {
    const db = freshDb();
    results(db, [insert('Root', { name: 'a', weak: set(uuid(U.missing)) }, { uuid: U.a })]);
    const weak = db.table('Root').schema.column('weak');
    assert.ok(weak);
    assert.equal(db.table('Root').rows.get(U.a)?.data[weak.index].size, 0);
  });

  test('a weak reference column that may not become empty', () => {
    const db = freshDb();
    results(db, [insert('Target', { name: 't1' }, { uuid: U.t1 })]);
    const zero = lastError(db, [insert('WeakHolder', {}, { uuid: U.a })]);
    assert.match(
      String(zero.details),
      /^Weak reference column "ref" in "WeakHolder" row .* contained all-zeros UUID/,
    );
    assert.deepEqual(lastError(db, [insert('WeakHolder', { ref: uuid(U.missing) }, { uuid: U.a })]), {
      error: 'constraint violation',
      details: `Deletion of 1 weak reference(s) to deleted (or never-existing) rows from column "ref" in "WeakHolder" row ${U.a} (inserted within this transaction) caused this column to become empty, but constraints on this column disallow an empty column.`,
    });
    results(db, [insert('WeakHolder', { ref: uuid(U.t1) }, { uuid: U.a })]);
    assert.deepEqual(lastError(db, [{ op: 'delete', table: 'Target', where: [] }]), {
      error: 'constraint violation',
      details: `Deletion of 1 weak reference(s) to deleted (or never-existing) rows from column "ref" in "WeakHolder" row ${U.a} caused this column to become empty, but constraints on this column disallow an empty column.`,
    });
    results(db, [
      { op: 'delete', table: 'Target', where: [] },
      { op: 'delete', table: 'WeakHolder', where: [] },
    ]);
    assert.equal(db.table('Target').rows.size, 0);
  });
});

describe('unique indexes', () => {
  test('swapping names between two rows in one transaction succeeds and the index follows', () => {
    const db = freshDb();
    results(db, [insert('Root', { name: 'a' }, { uuid: U.a }), insert('Root', { name: 'b' }, { uuid: U.b })]);
    const update = (from: string, to: string): JsonObject => ({
      op: 'update',
      table: 'Root',
      where: [['name', '==', from]],
      row: { name: to },
    });
    const r = results(db, [update('a', 'tmp'), update('b', 'a'), update('tmp', 'b')]);
    assert.deepEqual(r, [{ count: 1 }, { count: 1 }, { count: 1 }]);
    const table = db.table('Root');
    assert.deepEqual(names(db, 'Root'), ['a', 'b']);
    const byName = new Map(
      [...table.rows.values()].map((row) => [indexKey(row, table.schema.indexes[0]), row.uuid]),
    );
    assert.deepEqual([...table.indexes[0]].sort(), [...byName].sort(), 'the index maps each name to its row');
    const nameOf = (u: string) => table.rows.get(u)?.data[table.schema.indexes[0][0]].keys[0];
    assert.deepEqual([nameOf(U.a), nameOf(U.b)], ['b', 'a']);
  });

  test('a new row may not repeat an existing value; two new rows may not share one', () => {
    const db = freshDb();
    results(db, [insert('Root', { name: 'a' }, { uuid: U.a })]);
    assert.deepEqual(lastError(db, [insert('Root', { name: 'a' }, { uuid: U.b })]), {
      error: 'constraint violation',
      details: `Transaction causes multiple rows in "Root" table to have identical values (a) for index on column "name".  First row, with UUID ${U.b}, was inserted by this transaction.  Second row, with UUID ${U.a}, existed in the database before this transaction and was not modified by the transaction.`,
    });
    const both = lastError(db, [
      insert('Root', { name: 'x' }, { uuid: U.k1 }),
      insert('Root', { name: 'x' }, { uuid: U.k2 }),
    ]);
    assert.equal(
      both.details,
      `Transaction causes multiple rows in "Root" table to have identical values (x) for index on column "name".  First row, with UUID ${U.k2}, was inserted by this transaction.  Second row, with UUID ${U.k1}, was inserted by this transaction.`,
    );
  });

  test('deleting a row frees its value within the transaction', () => {
    const db = freshDb();
    results(db, [insert('Root', { name: 'a' }, { uuid: U.a })]);
    results(db, [{ op: 'delete', table: 'Root', where: [] }, insert('Root', { name: 'a' }, { uuid: U.b })]);
    assert.deepEqual([...db.table('Root').rows.keys()], [U.b]);
  });
});

describe('wait, assert and reserved databases', () => {
  const waitOp = (extra: JsonObject): JsonObject => ({
    op: 'wait',
    table: 'Target',
    where: [],
    columns: ['name'],
    until: '==',
    rows: [{ name: 'x' }],
    ...extra,
  });

  test('an unsatisfied wait blocks until its timeout, then fails', () => {
    const db = freshDb();
    assert.deepEqual(executeTransaction(db, [waitOp({ timeout: 100 })], NO_LOCKS, { elapsedMs: 30 }), {
      kind: 'blocked',
      timeoutMs: 70,
    });
    assert.deepEqual(executeTransaction(db, [waitOp({})], NO_LOCKS, { elapsedMs: 30 }), {
      kind: 'blocked',
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    assert.deepEqual(results(db, [waitOp({ timeout: 100 })], NO_LOCKS, 101), [
      { error: 'timed out', details: '"wait" timed out after 101 ms' },
    ]);
    assert.deepEqual(results(db, [waitOp({ timeout: 0 })]), [
      { error: 'timed out', details: '"where" clause test failed' },
    ]);
    results(db, [insert('Target', { name: 'x' })]);
    assert.deepEqual(results(db, [waitOp({})]), [{}]);
  });

  test('assert succeeds only for the lock holder', () => {
    const db = freshDb();
    const holder: TxnSession = { ownsLock: (name) => name === 'mine' };
    assert.deepEqual(results(db, [{ op: 'assert', lock: 'mine' }], holder), [{}]);
    assert.deepEqual(results(db, [{ op: 'assert', lock: 'mine' }]), [
      { error: 'not owner', details: 'Asserted lock mine not held.' },
    ]);
  });

  test('a database whose name starts with "_" takes only read-only operations', () => {
    const db = freshDb({
      name: '_Private',
      version: '1.0.0',
      tables: { T: { columns: { x: { type: 'integer' } } } },
    });
    assert.deepEqual(results(db, [{ op: 'select', table: 'T', where: [] }, insert('T', {})]), [
      { rows: [] },
      {
        error: 'not allowed',
        details: 'insert operation not allowed on table in reserved database _Private',
      },
    ]);
  });
});
