// The transact conformance corpus: each case is a few steps (transactions, locks, raw requests) that are
// run on a fresh connection against Open vSwitch's ovsdb-server and tsovs's, on the Open_vSwitch database
// and on a small "Conformance" database whose schema has what vswitch's lacks (reals, string lengths, a
// weak reference that may not become empty, a composite index, a constrained default).
// Every case starts from empty databases (the test deletes all root rows after each case).
import type { Json, JsonObject } from '../../src/jsonrpc/json.js';
import type { ConformanceCase, Step } from './conformance-harness.js';

/** The schema of the Conformance database. */
export const CONFORMANCE_SCHEMA: JsonObject = {
  name: 'Conformance',
  version: '1.0.0',
  tables: {
    Root: {
      isRoot: true,
      indexes: [['name']],
      columns: {
        name: { type: 'string' },
        i: { type: 'integer' },
        r: { type: 'real' },
        b: { type: 'boolean' },
        s: { type: 'string' },
        u: { type: 'uuid' },
        iset: { type: { key: 'integer', min: 0, max: 'unlimited' } },
        rset: { type: { key: 'real', min: 0, max: 'unlimited' } },
        sset: { type: { key: 'string', min: 0, max: 3 } },
        imap: { type: { key: 'string', value: 'integer', min: 0, max: 'unlimited' } },
        rr: { type: { key: { type: 'real', minReal: -1.5, maxReal: 2.5 }, min: 0, max: 1 } },
        rmin: { type: { key: { type: 'real', minReal: 0.5 }, min: 0, max: 1 } },
        rmax: { type: { key: { type: 'real', maxReal: 10 }, min: 0, max: 1 } },
        short: { type: { key: { type: 'string', minLength: 2, maxLength: 4 }, min: 0, max: 1 } },
        imm: { type: 'integer', mutable: false },
        children: { type: { key: { type: 'uuid', refTable: 'Child' }, min: 0, max: 'unlimited' } },
        weak: {
          type: { key: { type: 'uuid', refTable: 'Target', refType: 'weak' }, min: 0, max: 'unlimited' },
        },
        weakmap: {
          type: {
            key: 'string',
            value: { type: 'uuid', refTable: 'Target', refType: 'weak' },
            min: 0,
            max: 'unlimited',
          },
        },
      },
    },
    Child: {
      columns: {
        name: { type: 'string' },
        kids: { type: { key: { type: 'uuid', refTable: 'Child' }, min: 0, max: 'unlimited' } },
      },
    },
    Target: { isRoot: true, columns: { name: { type: 'string' } } },
    WeakHolder: {
      isRoot: true,
      columns: {
        ref: { type: { key: { type: 'uuid', refTable: 'Target', refType: 'weak' }, min: 1, max: 2 } },
      },
    },
    Limited: { isRoot: true, maxRows: 2, columns: { x: { type: 'integer' } } },
    Pair: {
      isRoot: true,
      indexes: [['i', 's']],
      columns: { i: { type: 'integer' }, s: { type: 'string' }, v: { type: 'integer' } },
    },
    Defaults: { isRoot: true, columns: { n: { type: { key: { type: 'integer', minInteger: 1 } } } } },
  },
};

/** The root tables of each database: deleting their rows empties the database. */
export const ROOT_TABLES: Record<string, string[]> = {
  Open_vSwitch: ['Open_vSwitch', 'QoS', 'Queue', 'Flow_Sample_Collector_Set'],
  Conformance: ['Root', 'Target', 'WeakHolder', 'Limited', 'Pair', 'Defaults'],
};

/** Fixed UUIDs, so that cases can refer to rows and UUID order is the same on both servers. */
const U = {
  ovs: '0a000000-0000-4000-8000-000000000001',
  br0: '1b000000-0000-4000-8000-000000000001',
  br1: '1b000000-0000-4000-8000-000000000002',
  p0: '2c000000-0000-4000-8000-000000000001',
  p1: '2c000000-0000-4000-8000-000000000002',
  i0: '3d000000-0000-4000-8000-000000000001',
  i1: '3d000000-0000-4000-8000-000000000002',
  m0: '4e000000-0000-4000-8000-000000000001',
  a: '5f000000-0000-4000-8000-00000000000a',
  b: '5f000000-0000-4000-8000-00000000000b',
  c: '5f000000-0000-4000-8000-00000000000c',
  t1: '6a000000-0000-4000-8000-000000000001',
  t2: '6a000000-0000-4000-8000-000000000002',
  k1: '7b000000-0000-4000-8000-000000000001',
  k2: '7b000000-0000-4000-8000-000000000002',
  x1: '8c000000-0000-4000-8000-000000000001',
  x2: '8c000000-0000-4000-8000-000000000002',
  missing: '9d000000-0000-4000-8000-000000000099',
  zero: '00000000-0000-0000-0000-000000000000',
};

const TWO_62 = 2 ** 62;

type Op = JsonObject;

/** A transaction on Open_vSwitch. */
function vs(...ops: Json[]): Step {
  return { transact: ['Open_vSwitch', ...ops] };
}

/** A transaction on Conformance. */
function cf(...ops: Json[]): Step {
  return { transact: ['Conformance', ...ops] };
}

function uuid(u: string): Json {
  return ['uuid', u];
}

function set(...elems: Json[]): Json {
  return ['set', elems];
}

function map(...pairs: [Json, Json][]): Json {
  return ['map', pairs];
}

function insert(table: string, row: JsonObject, extra: JsonObject = {}): Op {
  return { op: 'insert', table, row, ...extra };
}

function select(table: string, where: Json[] = [], columns?: string[], extra: JsonObject = {}): Op {
  return columns === undefined
    ? { op: 'select', table, where, ...extra }
    : { op: 'select', table, where, columns, ...extra };
}

function update(table: string, where: Json[], row: JsonObject): Op {
  return { op: 'update', table, where, row };
}

function mutate(table: string, where: Json[], mutations: Json[]): Op {
  return { op: 'mutate', table, where, mutations };
}

function del(table: string, where: Json[] = []): Op {
  return { op: 'delete', table, where };
}

function wait(table: string, where: Json[], until: string, rows: Json[], extra: JsonObject = {}): Op {
  return { op: 'wait', table, where, until, rows, ...extra };
}

function byUuid(u: string): Json[] {
  return [['_uuid', '==', uuid(u)]];
}

function byName(name: string): Json[] {
  return [['name', '==', name]];
}

/** Open_vSwitch root with bridge br0, port p0 and interface i0 (fixed UUIDs, leaves inserted first). */
const BRIDGE: Step = vs(
  insert('Interface', { name: 'i0' }, { uuid: U.i0 }),
  insert('Port', { name: 'p0', interfaces: uuid(U.i0) }, { uuid: U.p0 }),
  insert('Bridge', { name: 'br0', ports: uuid(U.p0) }, { uuid: U.br0 }),
  insert('Open_vSwitch', { bridges: uuid(U.br0) }, { uuid: U.ovs }),
);

/** BRIDGE plus a second port p1/i1 on br0. */
const TWO_PORTS: Step[] = [
  BRIDGE,
  vs(
    insert('Interface', { name: 'i1' }, { uuid: U.i1 }),
    insert('Port', { name: 'p1', interfaces: uuid(U.i1) }, { uuid: U.p1 }),
    mutate('Bridge', byUuid(U.br0), [['ports', 'insert', uuid(U.p1)]]),
  ),
];

/** Three Root rows with distinct values of every type (a, b, c). */
const ROOTS: Step = cf(
  insert(
    'Root',
    {
      name: 'a',
      i: 1,
      r: 1.5,
      b: false,
      s: 'x',
      u: uuid(U.t1),
      iset: set(1, 2),
      rset: set(0.5),
      sset: set('p'),
      imap: map(['k', 1]),
      rr: 0.5,
    },
    { uuid: U.a },
  ),
  insert(
    'Root',
    {
      name: 'b',
      i: 2,
      r: -2.25,
      b: true,
      s: 'y',
      u: uuid(U.t2),
      iset: set(),
      rset: set(0.5, 1),
      sset: set('p', 'q'),
      imap: map(['j', 3], ['k', 2]),
    },
    { uuid: U.b },
  ),
  insert(
    'Root',
    {
      name: 'c',
      i: 3,
      r: 10,
      b: false,
      s: 'z',
      iset: set(3),
      sset: set('q', 'r', 's'),
      imap: map(['k', 1], ['l', 4]),
    },
    { uuid: U.c },
  ),
);

/** A select of Root names under one condition. */
function rootsWhere(...where: Json[]): Op {
  return select('Root', where, ['name']);
}

const insertCases: ConformanceCase[] = [
  {
    name: 'empty transaction (database name only)',
    steps: [vs()],
  },
  {
    name: 'insert root row, select shows every column at its default',
    steps: [vs(insert('Open_vSwitch', {}), select('Open_vSwitch'))],
  },
  {
    name: 'insert chain with forward named-uuid references',
    steps: [
      vs(
        insert('Open_vSwitch', { bridges: set(['named-uuid', 'b']) }, { 'uuid-name': 'o' }),
        insert('Bridge', { name: 'br0', ports: ['named-uuid', 'p'] }, { 'uuid-name': 'b' }),
        insert('Port', { name: 'p0', interfaces: ['named-uuid', 'i'] }, { 'uuid-name': 'p' }),
        insert('Interface', { name: 'i0', type: 'internal' }, { 'uuid-name': 'i' }),
        select('Bridge', [['_uuid', '==', ['named-uuid', 'b']]], ['name', 'ports']),
      ),
      vs(select('Port', [], ['name', 'interfaces']), select('Interface', [], ['name', 'type'])),
    ],
  },
  {
    name: 'insert with explicit uuid member, select by it',
    steps: [BRIDGE, vs(select('Bridge', byUuid(U.br0), ['_uuid', 'name']))],
  },
  {
    name: 'insert with explicit uuid in upper case',
    steps: [vs(insert('Queue', {}, { uuid: U.a.toUpperCase() }), select('Queue', [], ['_uuid']))],
  },
  {
    name: 'insert with malformed uuid member',
    steps: [vs(insert('Queue', {}, { uuid: 'not-a-uuid' }))],
  },
  {
    name: 'insert with uuid member that is not a string',
    steps: [vs(insert('Queue', {}, { uuid: uuid(U.a) }))],
  },
  {
    name: 'insert with uuid of an existing row',
    steps: [vs(insert('Queue', {}, { uuid: U.a })), vs(insert('Queue', {}, { uuid: U.a }))],
  },
  {
    name: 'insert with uuid of a row deleted in the same transaction',
    steps: [vs(insert('Queue', {}, { uuid: U.a })), vs(del('Queue'), insert('Queue', {}, { uuid: U.a }))],
  },
  {
    name: 'duplicate uuid-name in one transaction',
    steps: [vs(insert('Queue', {}, { 'uuid-name': 'q' }), insert('Queue', {}, { 'uuid-name': 'q' }))],
  },
  {
    name: 'uuid-name that is not an id',
    steps: [vs(insert('Queue', {}, { 'uuid-name': '9q' }))],
  },
  {
    name: 'uuid-name reused in a later transaction is a new row',
    steps: [
      vs(insert('Queue', { dscp: 1 }, { 'uuid-name': 'q' })),
      vs(insert('Queue', { dscp: 2 }, { 'uuid-name': 'q' }), select('Queue', [], ['dscp'])),
    ],
  },
  {
    name: 'strong reference to a named-uuid that is never inserted',
    steps: [vs(insert('Open_vSwitch', { bridges: ['named-uuid', 'nope'] }))],
  },
  {
    name: 'named-uuid referenced before an insert that gives an explicit uuid',
    steps: [
      vs(
        insert('Open_vSwitch', { bridges: ['named-uuid', 'b'] }),
        insert('Bridge', { name: 'br0' }, { 'uuid-name': 'b', uuid: U.br0 }),
      ),
    ],
  },
  {
    name: 'named-uuid that is not an id',
    steps: [vs(insert('Open_vSwitch', { bridges: ['named-uuid', '1bad'] }))],
  },
  {
    name: '_uuid and _version in an insert row are parsed but ignored',
    steps: [
      vs(
        insert('Queue', { _uuid: uuid(U.a), _version: uuid(U.b), dscp: 1 }),
        select('Queue', byUuid(U.a)),
        select('Queue', [], ['dscp']),
      ),
    ],
  },
  {
    name: '_uuid in an insert row must still be a uuid',
    steps: [vs(insert('Queue', { _uuid: 'x' }))],
  },
  {
    name: 'insert with unknown column',
    steps: [vs(insert('Queue', { nosuch: 1 }))],
  },
  {
    name: 'insert row that is not an object',
    steps: [vs({ op: 'insert', table: 'Queue', row: [] })],
  },
  {
    name: 'insert whose default value violates a constraint',
    steps: [cf(insert('Defaults', {})), cf(insert('Defaults', { n: 1 }), select('Defaults', [], ['n']))],
  },
];

const selectCases: ConformanceCase[] = [
  {
    name: 'select with columns, empty columns, and _uuid/_version',
    steps: [
      BRIDGE,
      vs(
        select('Bridge', [], ['name', 'ports', 'stp_enable']),
        select('Bridge', [], []),
        select('Bridge', [], ['_version', '_uuid', 'name']),
      ),
    ],
  },
  {
    name: 'select without columns returns every column',
    steps: [BRIDGE, vs(select('Port')), vs(select('Interface', [], undefined))],
  },
  {
    name: 'select drops duplicate rows when _uuid is not selected',
    steps: [
      vs(insert('Queue', { dscp: 1 }), insert('Queue', { dscp: 1 }), insert('Queue', { dscp: 2 })),
      vs(select('Queue', [], ['dscp']), select('Queue', [], ['_uuid', 'dscp'])),
    ],
  },
  {
    name: 'select with sort',
    steps: [
      ROOTS,
      cf(
        select('Root', [], ['name', 'i'], { sort: ['i'] }),
        select('Root', [], ['name', 'r'], { sort: ['r'] }),
        select('Root', [], ['name'], { sort: ['s', 'name'] }),
      ),
    ],
  },
  {
    name: 'select with unknown column',
    steps: [vs(select('Queue', [], ['dscp', 'nosuch']))],
  },
  {
    name: 'select with duplicate columns',
    steps: [vs(select('Queue', [], ['dscp', 'dscp']))],
  },
  {
    name: 'select with a non-string column name',
    steps: [vs({ op: 'select', table: 'Queue', where: [], columns: ['dscp', 7] })],
  },
  {
    name: 'select with bad sort columns',
    steps: [vs(select('Queue', [], ['dscp'], { sort: ['nosuch'] }))],
  },
  {
    name: 'select sees rows inserted earlier in the same transaction, not deleted ones',
    steps: [
      vs(insert('Queue', { dscp: 1 })),
      vs(insert('Queue', { dscp: 2 }), del('Queue', [['dscp', '==', 1]]), select('Queue', [], ['dscp'])),
    ],
  },
];

const updateCases: ConformanceCase[] = [
  {
    name: 'update counts matching rows and changes them',
    steps: [
      vs(insert('Queue', { dscp: 1 }), insert('Queue', { dscp: 2 }), insert('Queue', { dscp: 3 })),
      vs(update('Queue', [['dscp', '<', 3]], { external_ids: map(['a', 'b']) })),
      vs(update('Queue', [['dscp', '==', 9]], { dscp: 4 })),
      vs(select('Queue', [], ['dscp', 'external_ids'])),
    ],
  },
  {
    name: 'update to the same value keeps _version; a real change gives a new one',
    steps: [
      vs(insert('Queue', { dscp: 1 }, { uuid: U.a })),
      vs(select('Queue', [], ['_version'])),
      vs(update('Queue', [], { dscp: 1 }), select('Queue', [], ['_version'])),
      vs(select('Queue', [], ['_version'])),
      vs(update('Queue', [], { dscp: 2 }), select('Queue', [], ['_version'])),
      vs(select('Queue', [], ['_version', 'dscp'])),
    ],
  },
  {
    name: 'update of an immutable column',
    steps: [BRIDGE, vs(update('Bridge', [], { name: 'br9' })), vs(update('Bridge', [], { name: 'br0' }))],
  },
  {
    name: 'update of _uuid and _version',
    steps: [
      vs(insert('Queue', {})),
      vs(update('Queue', [], { _uuid: uuid(U.a) })),
      vs(update('Queue', [], { _version: uuid(U.a) })),
    ],
  },
  {
    name: 'update with unknown column and with bad value',
    steps: [vs(update('Queue', [], { nosuch: 1 })), vs(update('Queue', [], { dscp: 'x' }))],
  },
  {
    name: 'update row is parsed before where',
    steps: [vs(update('Queue', [['nosuch', '==', 1]], { dscp: 'x' }))],
  },
];

const mutateCases: ConformanceCase[] = [
  {
    name: 'mutate integer scalar with every arithmetic mutator',
    steps: [
      vs(insert('Open_vSwitch', { next_cfg: 100 })),
      vs(
        mutate('Open_vSwitch', [], [['next_cfg', '+=', 7]]),
        mutate('Open_vSwitch', [], [['next_cfg', '-=', 3]]),
        mutate('Open_vSwitch', [], [['next_cfg', '*=', -2]]),
        mutate('Open_vSwitch', [], [['next_cfg', '/=', 5]]),
        select('Open_vSwitch', [], ['next_cfg']),
        mutate('Open_vSwitch', [], [['next_cfg', '%=', 7]]),
        select('Open_vSwitch', [], ['next_cfg']),
      ),
    ],
  },
  {
    name: 'mutate set of integers applies to every element',
    steps: [
      BRIDGE,
      vs(mutate('Bridge', [], [['flood_vlans', 'insert', set(1, 2, 3)]])),
      vs(mutate('Bridge', [], [['flood_vlans', '+=', 10]]), select('Bridge', [], ['flood_vlans'])),
      vs(mutate('Bridge', [], [['flood_vlans', '*=', 0]])),
      vs(mutate('Bridge', [], [['flood_vlans', '*=', 400]])),
    ],
  },
  {
    name: 'mutate reals and sets of reals',
    steps: [
      ROOTS,
      cf(
        mutate('Root', byName('a'), [
          ['r', '+=', 0.25],
          ['rset', '*=', 3],
        ]),
        mutate('Root', byName('b'), [['r', '/=', 4]]),
        mutate('Root', byName('c'), [['r', '-=', 0.1]]),
        select('Root', [], ['name', 'r', 'rset']),
      ),
    ],
  },
  {
    name: 'real mutation results: division by zero, overflow, constraint',
    steps: [
      ROOTS,
      cf(mutate('Root', byName('a'), [['r', '/=', 0]])),
      cf(mutate('Root', byName('a'), [['r', '*=', 1e308]]), select('Root', byName('a'), ['r'])),
      cf(mutate('Root', byName('a'), [['r', '*=', 1e308]])),
      cf(mutate('Root', byName('a'), [['rr', '+=', 2.5]])),
    ],
  },
  {
    name: 'real %= is a type mismatch',
    steps: [cf(mutate('Root', [], [['r', '%=', 2]]))],
  },
  {
    name: 'integer division and modulo by zero, with and without matching rows',
    steps: [
      vs(insert('Open_vSwitch', { next_cfg: 5 })),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '/=', 0]])),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '%=', 0]])),
      vs(mutate('Open_vSwitch', [['next_cfg', '==', 6]], [['next_cfg', '/=', 0]])),
    ],
  },
  {
    // Integers beyond 2^53 are not exact in JavaScript, so the results stay well clear of the int64 limits.
    name: 'integer overflow in +=, -= and *=',
    steps: [
      vs(insert('Open_vSwitch', { next_cfg: TWO_62 })),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '+=', TWO_62]])),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '*=', 2]])),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '*=', -3]])),
      vs(update('Open_vSwitch', [], { next_cfg: -TWO_62 })),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '-=', TWO_62 + 2 ** 30]])),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '-=', 2 ** 61]]), select('Open_vSwitch', [], ['next_cfg'])),
    ],
  },
  {
    name: "integer *= uses Open vSwitch's overflow test, false alarms included",
    steps: [
      vs(insert('Open_vSwitch', { next_cfg: -5 })),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '*=', -3]]), select('Open_vSwitch', [], ['next_cfg'])),
      vs(update('Open_vSwitch', [], { next_cfg: -1 })),
      vs(mutate('Open_vSwitch', [], [['next_cfg', '*=', -4000000000]])),
      // ("-1 *= 0" would crash the real server: its test divides by zero.)
      vs(mutate('Open_vSwitch', [], [['next_cfg', '*=', 3]]), select('Open_vSwitch', [], ['next_cfg'])),
    ],
  },
  {
    name: 'mutate result violating the column constraint',
    steps: [
      BRIDGE,
      vs(update('Port', [], { tag: 1 })),
      vs(mutate('Port', [], [['tag', '+=', 5000]])),
      vs(mutate('Port', [], [['tag', '-=', 2]])),
    ],
  },
  {
    name: 'mutate an empty optional integer leaves it empty',
    steps: [BRIDGE, vs(mutate('Port', [], [['tag', '+=', 5]]), select('Port', [], ['tag']))],
  },
  {
    name: 'mutate set insert and delete',
    steps: [
      BRIDGE,
      vs(
        mutate('Bridge', [], [['protocols', 'insert', set('OpenFlow10', 'OpenFlow13')]]),
        mutate('Bridge', [], [['protocols', 'insert', 'OpenFlow13']]),
        mutate('Bridge', [], [['protocols', 'delete', set('OpenFlow10', 'OpenFlow15')]]),
        select('Bridge', [], ['protocols']),
      ),
    ],
  },
  {
    name: 'mutate set insert beyond max and delete below min',
    steps: [
      BRIDGE,
      vs(update('Bridge', [], { fail_mode: 'secure' })),
      vs(mutate('Bridge', [], [['fail_mode', 'insert', 'standalone']])),
      vs(mutate('Port', [], [['interfaces', 'delete', uuid(U.i0)]])),
    ],
  },
  {
    name: 'mutate insert argument larger than the column allows',
    steps: [ROOTS, cf(mutate('Root', byName('a'), [['sset', 'insert', set('1', '2', '3', '4')]]))],
  },
  {
    name: 'mutate delete argument may be larger than the column allows',
    steps: [
      ROOTS,
      cf(
        mutate('Root', byName('c'), [['sset', 'delete', set('q', 'x', 'y', 'z')]]),
        select('Root', byName('c'), ['sset']),
      ),
    ],
  },
  {
    name: 'mutate map insert keeps existing keys; delete by keys and by pairs',
    steps: [
      BRIDGE,
      vs(
        update('Bridge', [], {
          external_ids: map(['a', '1'], ['b', '2']),
          other_config: map(['x', '1'], ['y', '2'], ['z', '3']),
        }),
      ),
      vs(
        mutate('Bridge', [], [['external_ids', 'insert', map(['a', 'NEW'], ['c', '3'])]]),
        mutate(
          'Bridge',
          [],
          [
            ['other_config', 'delete', set('x')],
            ['other_config', 'delete', map(['y', 'WRONG'], ['z', '3'])],
          ],
        ),
        select('Bridge', [], ['external_ids', 'other_config']),
      ),
    ],
  },
  {
    name: 'mutate map delete with a bad argument reports the set-of-keys error',
    steps: [BRIDGE, vs(mutate('Bridge', [], [['external_ids', 'delete', map(['a', 1])]]))],
  },
  {
    name: 'mutate map insert with a bad value',
    steps: [BRIDGE, vs(mutate('Bridge', [], [['external_ids', 'insert', map(['a', 1])]]))],
  },
  {
    name: 'mutate of an immutable column and of _uuid',
    steps: [
      BRIDGE,
      vs(mutate('Bridge', [], [['name', 'insert', 'x']])),
      vs(mutate('Bridge', [], [['_uuid', '+=', 1]])),
      cf(mutate('Root', [], [['imm', '+=', 1]])),
    ],
  },
  {
    name: 'mutate unknown column, unknown mutator, malformed mutation',
    steps: [
      vs(mutate('Queue', [], [['nosuch', '+=', 1]])),
      vs(mutate('Queue', [], [['dscp', '^=', 1]])),
      vs(mutate('Queue', [], [['dscp', '+=']])),
      vs(mutate('Queue', [], [[1, '+=', 1]])),
    ],
  },
  {
    name: 'mutate type mismatches',
    steps: [
      vs(mutate('Open_vSwitch', [], [['next_cfg', 'insert', 1]])),
      vs(mutate('Bridge', [], [['datapath_type', '+=', 'x']])),
      vs(mutate('Bridge', [], [['external_ids', '+=', 1]])),
      vs(mutate('Open_vSwitch', [], [['dpdk_initialized', '+=', 1]])),
    ],
  },
  {
    name: 'mutate arithmetic argument must be one atom without constraints',
    steps: [
      BRIDGE,
      vs(mutate('Bridge', [], [['flood_vlans', '+=', set(1, 2)]])),
      vs(mutate('Bridge', [], [['flood_vlans', '+=', set()]])),
      vs(mutate('Bridge', [], [['flood_vlans', '+=', 9999]]), select('Bridge', [], ['flood_vlans'])),
      vs(mutate('Bridge', [], [['flood_vlans', '+=', 1.5]])),
    ],
  },
  {
    name: 'mutate insert argument violating an enum',
    steps: [BRIDGE, vs(mutate('Bridge', [], [['protocols', 'insert', 'OpenFlow99']]))],
  },
  {
    name: 'mutate inserting a strong reference to a missing row',
    steps: [BRIDGE, vs(mutate('Bridge', [], [['ports', 'insert', uuid(U.missing)]]))],
  },
  {
    name: 'mutate is checked per row: an error in one row fails the operation',
    steps: [
      vs(insert('Queue', { dscp: 1 }), insert('Queue', { dscp: 60 })),
      vs(mutate('Queue', [], [['dscp', '+=', 2]])),
      vs(mutate('Queue', [['dscp', '<', 10]], [['dscp', '+=', 2]]), select('Queue', [], ['dscp'])),
    ],
  },
];

const deleteCases: ConformanceCase[] = [
  {
    name: 'delete counts rows',
    steps: [
      vs(insert('Queue', { dscp: 1 }), insert('Queue', { dscp: 2 })),
      vs(del('Queue', [['dscp', '==', 9]])),
      vs(del('Queue', [['dscp', '==', 1]])),
      vs(del('Queue'), select('Queue')),
    ],
  },
  {
    name: 'delete of a strongly referenced row',
    steps: [BRIDGE, vs(del('Port'))],
  },
  {
    name: 'delete of a referenced row together with the reference',
    steps: [
      ...TWO_PORTS,
      vs(del('Port', byName('p1')), mutate('Bridge', [], [['ports', 'delete', uuid(U.p1)]])),
      vs(select('Port', [], ['name']), select('Interface', [], ['name'])),
    ],
  },
  {
    name: 'reference to a row deleted in the same transaction',
    steps: [
      ...TWO_PORTS,
      vs(del('Port', byName('p1')), update('Bridge', [], { ports: set(uuid(U.p0), uuid(U.p1)) })),
    ],
  },
  {
    name: 'delete of the root row collects all garbage',
    steps: [...TWO_PORTS, vs(del('Open_vSwitch')), vs(select('Bridge'), select('Port'), select('Interface'))],
  },
  {
    name: 'insert then delete in one transaction leaves nothing',
    steps: [
      vs(insert('Queue', { dscp: 5 }, { 'uuid-name': 'q' }), del('Queue'), select('Queue')),
      vs(select('Queue')),
    ],
  },
  {
    name: 'delete: where is read before table',
    steps: [
      vs({ op: 'delete' }),
      vs({ op: 'delete', table: 'nosuch' }),
      vs({ op: 'delete', where: [], table: 5 }),
    ],
  },
];

const waitCases: ConformanceCase[] = [
  {
    name: 'wait == and != succeed',
    steps: [
      BRIDGE,
      vs(
        wait('Bridge', byName('br0'), '==', [{ name: 'br0' }], { timeout: 0, columns: ['name'] }),
        wait('Bridge', [], '!=', [{ name: 'other' }], { timeout: 0, columns: ['name'] }),
        wait('Open_vSwitch', [['next_cfg', '==', 1]], '==', [], { timeout: 0 }),
      ),
    ],
  },
  {
    name: 'wait with timeout 0 fails at once',
    steps: [
      BRIDGE,
      vs(wait('Bridge', [], '==', [{ name: 'other' }], { timeout: 0, columns: ['name'] })),
      vs(wait('Bridge', [], '!=', [{ name: 'br0' }], { timeout: 0, columns: ['name'] })),
    ],
  },
  {
    name: 'wait without columns compares every column',
    steps: [
      BRIDGE,
      vs(wait('Bridge', [], '==', [{ name: 'br0' }], { timeout: 0 })),
      vs(wait('Bridge', [], '==', [{ _uuid: uuid(U.br0) }], { timeout: 0, columns: ['_uuid'] })),
    ],
  },
  {
    name: 'wait compares sets of distinct rows',
    steps: [
      vs(insert('Queue', { dscp: 1 }), insert('Queue', { dscp: 1 })),
      vs(wait('Queue', [], '==', [{ dscp: 1 }], { timeout: 0, columns: ['dscp'] })),
      vs(wait('Queue', [], '==', [{ dscp: 1 }, { dscp: 1 }], { timeout: 0, columns: ['dscp'] })),
      vs(wait('Queue', [], '==', [{ dscp: 1 }, { dscp: 2 }], { timeout: 0, columns: ['dscp'] })),
    ],
  },
  {
    name: 'wait times out after its timeout',
    steps: [BRIDGE, vs(wait('Bridge', [], '==', [{ name: 'x' }], { timeout: 50, columns: ['name'] }))],
  },
  {
    name: 'wait blocks until another client commits',
    steps: [
      vs(insert('Queue', { dscp: 1 })),
      {
        transact: [
          'Open_vSwitch',
          wait('Queue', [], '==', [{ dscp: 2 }], { columns: ['dscp'] }),
          select('Queue', [], ['dscp']),
        ],
        conn: 1,
        background: 'w',
      },
      vs(update('Queue', [], { dscp: 2 })),
      { await: 'w' },
    ],
  },
  {
    name: 'wait parse errors',
    steps: [
      vs(wait('Queue', [], '<', [], { timeout: 0 })),
      vs(wait('Queue', [], '==', [], { timeout: -1 })),
      vs(wait('Queue', [], '==', [], { timeout: 1.5 })),
      vs({ op: 'wait', table: 'Queue', where: [], rows: [] }),
      vs({ op: 'wait', table: 'Queue', where: [], until: '==' }),
      vs(wait('Queue', [], '==', [{ nosuch: 1 }], { timeout: 0 })),
      vs(wait('Queue', [], '==', [5], { timeout: 0 })),
      vs(wait('Queue', [], '==', [], { timeout: 0, columns: ['nosuch'] })),
    ],
  },
];

const miscOpCases: ConformanceCase[] = [
  {
    name: 'commit durable true and false',
    steps: [
      vs({ op: 'commit', durable: true }),
      vs(insert('Queue', {}), { op: 'commit', durable: false }),
      vs({ op: 'commit', durable: true }, { op: 'commit', durable: false }),
    ],
  },
  {
    name: 'commit without durable or with a non-boolean',
    steps: [vs({ op: 'commit' }), vs({ op: 'commit', durable: 'yes' })],
  },
  {
    name: 'comment',
    steps: [
      vs({ op: 'comment', comment: 'hello' }, insert('Queue', {}), { op: 'comment', comment: 'again' }),
    ],
  },
  {
    name: 'comment missing or not a string',
    steps: [vs({ op: 'comment' }), vs({ op: 'comment', comment: 5 })],
  },
  {
    name: 'abort',
    steps: [
      vs({ op: 'abort' }),
      vs(insert('Queue', {}), { op: 'abort' }, insert('Queue', {})),
      vs(select('Queue')),
      vs({ op: 'abort', why: 'x' }),
    ],
  },
  {
    name: 'assert without holding the lock',
    steps: [
      vs({ op: 'assert', lock: 'mylock' }),
      vs({ op: 'assert', lock: 'not an id' }),
      vs({ op: 'assert' }),
    ],
  },
  {
    name: 'assert with the lock held, and by another client',
    steps: [
      { method: 'lock', params: ['mylock'] },
      vs({ op: 'assert', lock: 'mylock' }, insert('Queue', {})),
      { transact: ['Open_vSwitch', { op: 'assert', lock: 'mylock' }], conn: 1 },
      { method: 'unlock', params: ['mylock'] },
      vs({ op: 'assert', lock: 'mylock' }),
    ],
  },
];

const conditionCases: ConformanceCase[] = [
  {
    name: 'conditions on integers',
    steps: [
      ROOTS,
      cf(
        rootsWhere(['i', '<', 2]),
        rootsWhere(['i', '<=', 2]),
        rootsWhere(['i', '==', 2]),
        rootsWhere(['i', '!=', 2]),
        rootsWhere(['i', '>=', 2]),
        rootsWhere(['i', '>', 2]),
        rootsWhere(['i', 'includes', 2]),
        rootsWhere(['i', 'excludes', 2]),
      ),
    ],
  },
  {
    name: 'conditions on reals',
    steps: [
      ROOTS,
      cf(
        rootsWhere(['r', '<', 1.5]),
        rootsWhere(['r', '<=', 1.5]),
        rootsWhere(['r', '==', 1.5]),
        rootsWhere(['r', '!=', 1.5]),
        rootsWhere(['r', '>=', -2.25]),
        rootsWhere(['r', '>', 2]),
        rootsWhere(['r', 'includes', 10]),
        rootsWhere(['r', 'excludes', 10]),
      ),
    ],
  },
  {
    name: 'conditions on strings',
    steps: [
      ROOTS,
      cf(
        rootsWhere(['s', '==', 'y']),
        rootsWhere(['s', '!=', 'y']),
        rootsWhere(['s', 'includes', 'z']),
        rootsWhere(['s', 'excludes', 'z']),
      ),
      cf(rootsWhere(['s', '<', 'y'])),
    ],
  },
  {
    name: 'conditions on booleans',
    steps: [
      ROOTS,
      cf(rootsWhere(['b', '==', true]), rootsWhere(['b', '!=', true]), rootsWhere(['b', 'includes', false])),
      cf(rootsWhere(['b', 'excludes', false])),
      cf(rootsWhere(['b', '>', false])),
    ],
  },
  {
    name: 'conditions on uuids',
    steps: [
      ROOTS,
      cf(
        rootsWhere(['u', '==', uuid(U.t1)]),
        rootsWhere(['u', '!=', uuid(U.t1)]),
        rootsWhere(['u', 'includes', uuid(U.zero)]),
        rootsWhere(['u', 'excludes', uuid(U.zero)]),
        rootsWhere(['_uuid', '==', uuid(U.b)]),
        rootsWhere(['_uuid', '!=', uuid(U.b)]),
      ),
      cf(rootsWhere(['_uuid', '<', uuid(U.b)])),
      cf(rootsWhere(['u', '>=', uuid(U.b)])),
    ],
  },
  {
    name: 'conditions on sets',
    steps: [
      ROOTS,
      cf(
        rootsWhere(['iset', '==', set(1, 2)]),
        rootsWhere(['iset', '==', set()]),
        rootsWhere(['iset', '!=', 3]),
        rootsWhere(['iset', 'includes', 1]),
        rootsWhere(['iset', 'includes', set()]),
        rootsWhere(['iset', 'excludes', set(2, 3)]),
        rootsWhere(['sset', 'includes', set('p', 'q')]),
        rootsWhere(['sset', 'excludes', set('p', 'q', 'r', 's')]),
      ),
      cf(rootsWhere(['iset', '<', 1])),
      cf(rootsWhere(['sset', '==', set('p', 'q', 'r', 's')])),
      cf(rootsWhere(['sset', 'includes', set('p', 'q', 'r', 's')])),
    ],
  },
  {
    name: 'conditions on maps',
    steps: [
      ROOTS,
      cf(
        rootsWhere(['imap', '==', map(['k', 1])]),
        rootsWhere(['imap', '!=', map(['k', 1])]),
        rootsWhere(['imap', 'includes', map(['k', 1])]),
        rootsWhere(['imap', 'excludes', map(['k', 1])]),
        rootsWhere(['imap', 'includes', map(['k', 2], ['j', 3])]),
        rootsWhere(['imap', 'excludes', map(['k', 5])]),
      ),
      cf(rootsWhere(['imap', 'includes', set('k')])),
      cf(rootsWhere(['imap', '>', map(['k', 1])])),
    ],
  },
  {
    name: 'conditions on an optional real',
    steps: [
      ROOTS,
      cf(
        rootsWhere(['rr', '<', 1]),
        rootsWhere(['rr', '>=', 0]),
        rootsWhere(['rr', '==', set()]),
        rootsWhere(['rr', '!=', 0.5]),
        rootsWhere(['rr', 'includes', set()]),
        rootsWhere(['rr', 'excludes', 0.5]),
      ),
      cf(rootsWhere(['rr', '<', set()])),
    ],
  },
  {
    name: 'several clauses and literal conditions',
    steps: [
      ROOTS,
      cf(
        rootsWhere(['i', '>', 1], ['b', '==', false]),
        rootsWhere(true),
        rootsWhere(false),
        rootsWhere(true, ['name', '==', 'a']),
        select('Root', [], ['name']),
      ),
    ],
  },
  {
    name: 'condition argument of the wrong type',
    steps: [
      ROOTS,
      cf(rootsWhere(['i', '==', 'x'])),
      cf(rootsWhere(['i', '==', 1.5])),
      cf(rootsWhere(['r', '==', 'x'])),
      cf(rootsWhere(['u', '==', 'x'])),
      cf(rootsWhere(['imap', '==', set('k')])),
    ],
  },
  {
    name: 'condition argument must satisfy the column constraints',
    steps: [
      BRIDGE,
      vs(select('Port', [['tag', '==', 5000]], ['name'])),
      vs(select('Bridge', [['fail_mode', '==', 'bogus']], ['name'])),
      vs(select('Bridge', [['flood_vlans', 'includes', set(1, 5000)]], ['name'])),
    ],
  },
  {
    name: 'condition parse errors',
    steps: [
      vs(select('Bridge', [['name', '==']])),
      vs(select('Bridge', [[1, '==', 'x']])),
      vs(select('Bridge', ['name'])),
      vs(select('Bridge', [['nosuch', '==', 'x']])),
      vs(select('Bridge', [['name', '~=', 'x']])),
      vs({ op: 'select', table: 'Bridge', where: { name: 'x' } }),
    ],
  },
];

const constraintCases: ConformanceCase[] = [
  {
    name: 'enum violations',
    steps: [
      BRIDGE,
      vs(update('Bridge', [], { fail_mode: 'bogus' })),
      vs(update('Bridge', [], { fail_mode: 'not valid' })),
      vs(update('Bridge', [], { protocols: set('OpenFlow10', 'OpenFlow99') })),
      vs(
        update('Bridge', [], { fail_mode: 'secure', protocols: set('OpenFlow15', 'OpenFlow10') }),
        select('Bridge', [], ['fail_mode', 'protocols']),
      ),
    ],
  },
  {
    name: 'integer range violations',
    steps: [
      BRIDGE,
      vs(update('Port', [], { tag: 4096 })),
      vs(update('Port', [], { tag: -1 })),
      vs(update('Interface', [], { ofport_request: 0 })),
      vs(insert('Controller', { target: 'tcp:1.2.3.4', max_backoff: 999 })),
      vs(
        update('Interface', [], { ofport_request: 65279, mtu_request: 1 }),
        select('Interface', [], ['ofport_request']),
      ),
    ],
  },
  {
    name: 'real range violations',
    steps: [
      ROOTS,
      cf(update('Root', byName('a'), { rr: 3 })),
      cf(update('Root', byName('a'), { rr: -1.75 })),
      cf(update('Root', byName('a'), { rmin: 0.25 })),
      cf(update('Root', byName('a'), { rmax: 10.5 })),
      cf(
        update('Root', byName('a'), { rr: 2.5, rmin: 0.5, rmax: -1e300 }),
        select('Root', byName('a'), ['rr', 'rmin', 'rmax']),
      ),
    ],
  },
  {
    name: 'string length violations (counted in characters)',
    steps: [
      ROOTS,
      cf(update('Root', byName('a'), { short: 'a' })),
      cf(update('Root', byName('a'), { short: 'abcde' })),
      cf(update('Root', byName('a'), { short: 'ééééé' })),
      cf(update('Root', byName('a'), { short: 'éééé' }), select('Root', byName('a'), ['short'])),
    ],
  },
  {
    name: 'set size violations',
    steps: [
      BRIDGE,
      vs(update('Bridge', [], { fail_mode: set('secure', 'standalone') })),
      vs(update('Port', [], { interfaces: set() })),
      vs(update('Port', [], { interfaces: ['set', [uuid(U.i0), uuid(U.i0)]] })),
    ],
  },
  {
    name: 'map key and value constraints',
    steps: [
      vs(insert('AutoAttach', { mappings: map([16777216, 1]) })),
      vs(insert('AutoAttach', { mappings: map([1, 4096]) })),
      vs(insert('CT_Timeout_Policy', { timeouts: map(['tcp_bogus', 1]) })),
      vs(insert('CT_Timeout_Policy', { timeouts: map(['tcp_close', -1]) })),
    ],
  },
  {
    name: 'maxRows on Open_vSwitch',
    steps: [
      vs(insert('Open_vSwitch', {})),
      vs(insert('Open_vSwitch', {})),
      vs(insert('Open_vSwitch', {}), del('Open_vSwitch', [['next_cfg', '==', 0]])),
    ],
  },
  {
    name: 'maxRows 2, and replacing a row within the limit',
    steps: [
      cf(insert('Limited', { x: 1 }), insert('Limited', { x: 2 }), insert('Limited', { x: 3 })),
      cf(insert('Limited', { x: 1 }), insert('Limited', { x: 2 })),
      cf(del('Limited', [['x', '==', 1]]), insert('Limited', { x: 3 }), select('Limited', [], ['x'])),
      cf(insert('Limited', { x: 4 })),
    ],
  },
];

const jsonTypeCases: ConformanceCase[] = [
  {
    name: 'atoms of the wrong JSON type',
    steps: [
      vs(insert('Queue', { dscp: 'x' })),
      vs(insert('Queue', { dscp: 1.5 })),
      vs(insert('Queue', { dscp: true })),
      vs(insert('Queue', { external_ids: map(['a', 1]) })),
      vs(insert('Open_vSwitch', { dpdk_initialized: 'true' })),
      cf(insert('Root', { r: 'x' })),
    ],
  },
  {
    name: 'a real column takes integers',
    steps: [cf(insert('Root', { name: 'a', r: 3, rset: set(1, 2.5) }), select('Root', [], ['r', 'rset']))],
  },
  {
    name: 'integers beyond 64 bits are reals',
    steps: [
      vs(insert('Open_vSwitch', { next_cfg: 2 ** 63 })),
      vs(insert('Open_vSwitch', { next_cfg: 1e20 })),
      vs(insert('Open_vSwitch', { next_cfg: 1.5e23 })),
      vs(insert('Open_vSwitch', { next_cfg: 2 ** 53 }), select('Open_vSwitch', [], ['next_cfg'])),
    ],
  },
  {
    name: 'uuids of the wrong form',
    steps: [
      BRIDGE,
      vs(update('Bridge', [], { ports: 'x' })),
      vs(update('Bridge', [], { ports: ['uuid', 'not-a-uuid'] })),
      vs(update('Bridge', [], { ports: ['uuid', 5] })),
      vs(update('Bridge', [], { ports: ['uuid'] })),
      vs(update('Bridge', [], { ports: ['named', 'x'] })),
    ],
  },
  {
    name: 'sets and maps of the wrong form',
    steps: [
      BRIDGE,
      vs(update('Bridge', [], { external_ids: set('a') })),
      vs(update('Bridge', [], { external_ids: ['map', [['a']]] })),
      vs(update('Bridge', [], { external_ids: ['map', ['a', 'b']] })),
      vs(update('Bridge', [], { external_ids: 'a' })),
      vs(update('Bridge', [], { flood_vlans: ['set'] })),
      vs(update('Bridge', [], { flood_vlans: ['set', 1] })),
      vs(update('Bridge', [], { flood_vlans: ['set', [1, 'x']] })),
    ],
  },
  {
    name: 'duplicates in sets and maps',
    steps: [
      BRIDGE,
      vs(update('Bridge', [], { flood_vlans: set(1, 2, 1) })),
      vs(update('Bridge', [], { external_ids: map(['a', '1'], ['a', '2']) })),
    ],
  },
  {
    name: 'a scalar column given a set',
    steps: [
      vs(insert('Open_vSwitch', { next_cfg: set(1, 2) })),
      vs(insert('Open_vSwitch', { next_cfg: set() })),
      vs(insert('Open_vSwitch', { next_cfg: set(7) }), select('Open_vSwitch', [], ['next_cfg'])),
    ],
  },
  {
    name: 'strings are ordered by their UTF-8 bytes',
    steps: [
      cf(
        insert('Root', {
          name: 'u',
          imap: map(['z', 1], ['é', 2], ['\uffff', 3], ['😀', 4], ['A', 5], ['', 6]),
          sset: set('b', 'B', 'é'),
        }),
        select('Root', [], ['imap', 'sset']),
      ),
    ],
  },
  {
    name: 'reals are written with 15 significant digits but kept whole',
    steps: [
      cf(
        insert('Root', { name: 'a', r: 0.1 }),
        mutate('Root', [], [['r', '+=', 0.2]]),
        select('Root', [], ['r']),
      ),
      cf(rootsWhere(['r', '==', 0.3]), rootsWhere(['r', '==', 0.30000000000000004])),
      cf(
        update('Root', [], { r: 1e300, rset: set(1e-7, 123456.789, 2 ** -22) }),
        select('Root', [], ['r', 'rset']),
      ),
    ],
  },
  {
    name: 'the syntax member is written with sorted keys and OVS number formats',
    steps: [
      vs({ op: 'select', table: 'Queue', where: [], zzz: { b: [1.5, 1e300, -0.001], a: null, c: 'é\n' } }),
    ],
  },
];

const malformedCases: ConformanceCase[] = [
  {
    name: 'operation that is not an object',
    steps: [vs('insert'), vs(['insert']), vs(null), vs(insert('Queue', {}), 7)],
  },
  {
    name: 'op member missing, not a string, unknown',
    steps: [
      vs({ table: 'Queue', row: {} }),
      vs({ op: 5, table: 'Queue' }),
      vs({ op: 'frob-nicate' }),
      vs({ op: 'frobnicate', table: 'Queue' }),
    ],
  },
  {
    name: 'table member missing, unknown, not an id',
    steps: [
      vs({ op: 'insert', row: {} }),
      vs(insert('NoSuch', {})),
      vs(insert('Que ue', {})),
      vs({ op: 'select', table: 5, where: [] }),
    ],
  },
  {
    name: 'required members missing',
    steps: [
      vs({ op: 'insert', table: 'Queue' }),
      vs({ op: 'select', table: 'Queue' }),
      vs({ op: 'update', table: 'Queue', row: {} }),
      vs({ op: 'update', table: 'Queue', where: [] }),
      vs({ op: 'mutate', table: 'Queue', where: [] }),
      vs({ op: 'mutate', table: 'Queue', where: [], mutations: {} }),
    ],
  },
  {
    name: 'members that are not allowed',
    steps: [
      vs(select('Queue', [], undefined, { bogus: 1 })),
      vs(select('Queue', [], undefined, { bogus: 1, zz: 2, aa: 3 })),
      vs(select('Queue', [], undefined, { row: {}, mutations: [] })),
      vs(insert('Queue', { nosuch: 1 }, { extra: true })),
    ],
  },
  {
    name: 'an error stops the transaction; later results are null',
    steps: [
      vs(insert('Queue', {}), { op: 'bogus' }, insert('Queue', {}), { op: 'comment', comment: 'x' }),
      vs(insert('Queue', {}), insert('Queue', { dscp: 64 }), insert('Queue', {})),
      vs(select('Queue')),
    ],
  },
];

const integrityCases: ConformanceCase[] = [
  {
    name: 'strong reference to a missing row',
    steps: [BRIDGE, vs(update('Bridge', [], { ports: set(uuid(U.p0), uuid(U.missing)) }))],
  },
  {
    name: 'min-1 reference column left at its default references the zero uuid',
    steps: [
      BRIDGE,
      vs(
        insert('Port', { name: 'p9' }, { 'uuid-name': 'p' }),
        mutate('Bridge', [], [['ports', 'insert', ['named-uuid', 'p']]]),
      ),
    ],
  },
  {
    name: 'unreferenced rows of non-root tables are collected at commit',
    steps: [
      vs(
        insert('Port', { name: 'gc', interfaces: ['named-uuid', 'i'] }, { 'uuid-name': 'p' }),
        insert('Interface', { name: 'gc' }, { 'uuid-name': 'i' }),
        select('Port', [], ['name']),
      ),
      vs(select('Port'), select('Interface')),
    ],
  },
  {
    name: 'garbage collection cascades and ignores self-references',
    steps: [
      cf(
        insert('Child', { name: 'k2', kids: uuid(U.k2) }, { uuid: U.k2 }),
        insert('Child', { name: 'k1', kids: set(uuid(U.k1), uuid(U.k2)) }, { uuid: U.k1 }),
        insert('Root', { name: 'a', children: uuid(U.k1) }),
      ),
      cf(select('Child', [], ['name', 'kids'])),
      cf(update('Root', [], { children: set() })),
      cf(select('Child')),
    ],
  },
  {
    name: 'removing one of two references keeps the row',
    steps: [
      cf(
        insert('Child', { name: 'k1' }, { uuid: U.k1 }),
        insert('Root', { name: 'a', children: uuid(U.k1) }),
        insert('Root', { name: 'b', children: uuid(U.k1) }),
      ),
      cf(update('Root', byName('a'), { children: set() }), select('Child', [], ['name'])),
      cf(del('Root', byName('b')), select('Child', [], ['name'])),
      cf(select('Child', [], ['name'])),
    ],
  },
  {
    name: 'a root row is not collected',
    steps: [vs(insert('Queue', {})), vs(select('Queue', [], ['dscp']))],
  },
  {
    name: 'weak reference removed when the referenced row goes away',
    steps: [
      ...TWO_PORTS,
      vs(
        insert(
          'Mirror',
          { name: 'm0', select_src_port: set(uuid(U.p0), uuid(U.p1)), output_port: uuid(U.p1) },
          { uuid: U.m0 },
        ),
        mutate('Bridge', [], [['mirrors', 'insert', uuid(U.m0)]]),
      ),
      vs(select('Mirror', [], ['name', 'select_src_port', 'output_port', '_version'])),
      vs(mutate('Bridge', [], [['ports', 'delete', uuid(U.p1)]])),
      vs(select('Mirror', [], ['name', 'select_src_port', 'output_port', '_version'])),
    ],
  },
  {
    name: 'weak reference to a missing row is dropped silently',
    steps: [
      BRIDGE,
      vs(
        insert(
          'Mirror',
          { name: 'm0', select_dst_port: set(uuid(U.missing), uuid(U.p0)) },
          { 'uuid-name': 'm' },
        ),
        mutate('Bridge', [], [['mirrors', 'insert', ['named-uuid', 'm']]]),
        select('Mirror', [], ['select_dst_port']),
      ),
      vs(select('Mirror', [], ['select_dst_port'])),
    ],
  },
  {
    name: 'weak references in map values',
    steps: [
      cf(insert('Target', { name: 't1' }, { uuid: U.t1 }), insert('Target', { name: 't2' }, { uuid: U.t2 })),
      cf(
        insert('Root', {
          name: 'a',
          weakmap: map(['x', uuid(U.t1)], ['y', uuid(U.t2)], ['z', uuid(U.missing)]),
          weak: set(uuid(U.t1), uuid(U.t2)),
        }),
      ),
      cf(del('Target', byName('t1'))),
      cf(select('Root', [], ['weakmap', 'weak'])),
    ],
  },
  {
    name: 'weak reference that may not become empty',
    steps: [
      cf(insert('Target', { name: 't1' }, { uuid: U.t1 })),
      cf(insert('WeakHolder', {})),
      cf(insert('WeakHolder', { ref: uuid(U.missing) })),
      cf(insert('WeakHolder', { ref: uuid(U.t1) })),
      cf(del('Target')),
      cf(del('Target'), del('WeakHolder')),
    ],
  },
  {
    name: 'weak reference to a row inserted in the same transaction',
    steps: [
      cf(
        insert('Target', { name: 't1' }, { 'uuid-name': 't' }),
        insert('WeakHolder', { ref: ['named-uuid', 't'] }),
      ),
      cf(select('WeakHolder', [], ['ref']), select('Target', [], ['name'])),
    ],
  },
];

const indexCases: ConformanceCase[] = [
  {
    name: 'index: new row duplicating an existing one',
    steps: [
      BRIDGE,
      vs(
        insert('Bridge', { name: 'br0' }, { uuid: U.br1 }),
        mutate('Open_vSwitch', [], [['bridges', 'insert', uuid(U.br1)]]),
      ),
      vs(
        insert('Bridge', { name: 'br0' }, { uuid: U.a }),
        mutate('Open_vSwitch', [], [['bridges', 'insert', uuid(U.a)]]),
      ),
    ],
  },
  {
    name: 'index: two new rows with one value',
    steps: [
      vs(
        insert('Bridge', { name: 'dup' }, { uuid: U.br0 }),
        insert('Bridge', { name: 'dup' }, { uuid: U.br1 }),
        insert('Open_vSwitch', { bridges: set(uuid(U.br0), uuid(U.br1)) }),
      ),
    ],
  },
  {
    name: 'index: the first differing column decides which row is named first',
    steps: [
      BRIDGE,
      vs(
        insert('Bridge', { name: 'br0', stp_enable: true }, { uuid: U.a }),
        mutate('Open_vSwitch', [], [['bridges', 'insert', uuid(U.a)]]),
      ),
      vs(
        insert('Bridge', { name: 'br0', flood_vlans: 7 }, { uuid: U.a }),
        mutate('Open_vSwitch', [], [['bridges', 'insert', uuid(U.a)]]),
      ),
    ],
  },
  {
    name: 'index: modified rows are described by what changed',
    steps: [
      ROOTS,
      cf(update('Root', byName('b'), { name: 'a' })),
      cf(update('Root', byName('a'), { i: 7 }), insert('Root', { name: 'a' }, { uuid: U.x1 })),
      cf(update('Root', byName('c'), { name: 'z' }), insert('Root', { name: 'z' }, { uuid: U.x1 })),
    ],
  },
  {
    name: 'index: swapping values between two rows succeeds',
    steps: [
      ROOTS,
      cf(
        update('Root', byName('a'), { name: 'tmp' }),
        update('Root', byName('b'), { name: 'a' }),
        update('Root', byName('tmp'), { name: 'b' }),
      ),
      cf(select('Root', [], ['_uuid', 'name'])),
    ],
  },
  {
    name: 'index: deleting a row frees its value in the same transaction',
    steps: [
      ROOTS,
      cf(del('Root', byName('a')), insert('Root', { name: 'a', i: 9 })),
      cf(select('Root', byName('a'), ['i'])),
    ],
  },
  {
    // Conflicting rows are named in the order of the first column (in OVS's hash order) that differs:
    // in Pair that is "v", before _version, whose values are random.
    name: 'index on two columns',
    steps: [
      cf(
        insert('Pair', { i: 1, s: 'x', v: 1 }, { uuid: U.x1 }),
        insert('Pair', { i: 1, s: 'y', v: 2 }),
        insert('Pair', { i: 2, s: 'x', v: 3 }),
      ),
      cf(insert('Pair', { i: 1, s: 'x', v: 4 }, { uuid: U.x2 })),
      cf(update('Pair', [['s', '==', 'y']], { s: 'x' })),
    ],
  },
];

const requestCases: ConformanceCase[] = [
  {
    name: 'transact to an unknown database',
    steps: [{ transact: ['NoSuchDb', select('Queue')] }],
  },
  {
    name: 'transact with no params',
    steps: [{ transact: [] }],
  },
  {
    name: 'transact whose first param is not a string',
    steps: [{ transact: [5, select('Queue')] }],
  },
  {
    name: 'transact whose params are not an array',
    steps: [{ raw: '{"id":1,"method":"transact","params":{"db":"Open_vSwitch"}}' }],
  },
  {
    name: '_Server database: select works, changes are not allowed',
    steps: [
      {
        transact: [
          '_Server',
          select('Database', [], ['name', 'model', 'connected', 'leader', 'cid', 'index']),
        ],
      },
      { transact: ['_Server', insert('Database', { name: 'x' })] },
      { transact: ['_Server', { op: 'comment', comment: 'x' }, { op: 'commit', durable: false }] },
      { transact: ['_Server', del('NoSuch')] },
    ],
  },
];

const moreCases: ConformanceCase[] = [
  {
    name: 'arithmetic on a set of integers with -=, /= and %=',
    steps: [
      BRIDGE,
      vs(
        mutate('Bridge', [], [['flood_vlans', 'insert', set(10, 25, 40)]]),
        mutate('Bridge', [], [['flood_vlans', '-=', 4]]),
        select('Bridge', [], ['flood_vlans']),
        mutate('Bridge', [], [['flood_vlans', '/=', 3]]),
        select('Bridge', [], ['flood_vlans']),
        mutate('Bridge', [], [['flood_vlans', '%=', 4]]),
        select('Bridge', [], ['flood_vlans']),
      ),
      vs(mutate('Bridge', [], [['flood_vlans', '%=', 7]])),
    ],
  },
  {
    name: 'uuid-name with an explicit uuid, referenced later in the transaction',
    steps: [
      vs(
        insert('Bridge', { name: 'br0' }, { 'uuid-name': 'b', uuid: U.br0 }),
        insert('Open_vSwitch', { bridges: ['named-uuid', 'b'] }),
        update('Bridge', [['_uuid', '==', ['named-uuid', 'b']]], { stp_enable: true }),
        select('Bridge', [], ['_uuid', 'stp_enable']),
      ),
    ],
  },
  {
    name: 'conditions on _version, and includes with an empty set on a scalar',
    steps: [
      ROOTS,
      cf(rootsWhere(['_version', '!=', uuid(U.zero)]), rootsWhere(['_version', 'excludes', uuid(U.zero)])),
      cf(rootsWhere(['i', 'includes', set(2)])),
      cf(rootsWhere(['i', 'includes', set()])),
    ],
  },
  {
    name: 'enum message quotes values with special characters',
    steps: [BRIDGE, vs(update('Bridge', [], { fail_mode: 'a"b\\c\u0001é' }))],
  },
  {
    name: 'members of the wrong type in select, update, mutate and delete',
    steps: [
      vs({ op: 'select', table: 'Queue', where: [], columns: 'dscp' }),
      vs({ op: 'select', table: 'Queue', where: [], sort: {} }),
      vs({ op: 'update', table: 'Queue', where: 'x', row: {} }),
      vs({ op: 'mutate', table: 'Queue', where: null, mutations: [] }),
      vs({ op: 'delete', table: 'Queue', where: 7 }),
      vs({ op: 'insert', table: 'Queue', row: {}, 'uuid-name': 5 }),
    ],
  },
  {
    name: 'update adding a weak reference to a missing row drops it',
    steps: [
      cf(insert('Target', { name: 't1' }, { uuid: U.t1 }), insert('Root', { name: 'a', weak: uuid(U.t1) })),
      cf(update('Root', [], { weak: set(uuid(U.t1), uuid(U.missing)) }), select('Root', [], ['weak'])),
      cf(select('Root', [], ['weak'])),
    ],
  },
  {
    name: 'a wait in the middle of a transaction, and a later failure',
    steps: [
      vs(insert('Queue', { dscp: 1 })),
      vs(
        insert('Queue', { dscp: 2 }),
        wait('Queue', [], '==', [{ dscp: 1 }, { dscp: 2 }], { timeout: 0, columns: ['dscp'] }),
        select('Queue', [], ['dscp']),
        wait('Queue', [['dscp', '==', 2]], '!=', [{ dscp: 2 }], { timeout: 0, columns: ['dscp'] }),
        insert('Queue', { dscp: 3 }),
      ),
      vs(select('Queue', [], ['dscp'])),
    ],
  },
  {
    name: 'strong reference to a row of the wrong table',
    steps: [BRIDGE, vs(update('Bridge', [], { ports: uuid(U.i0) }))],
  },
  {
    name: 'mutate an optional integer with a constraint into and out of range',
    steps: [
      BRIDGE,
      vs(update('Interface', [], { ofport_request: 1 })),
      vs(mutate('Interface', [], [['ofport_request', '-=', 1]])),
      vs(
        mutate('Interface', [], [['ofport_request', '*=', 65279]]),
        select('Interface', [], ['ofport_request']),
      ),
    ],
  },
];

/** Every case, in the order they run. */
export const CASES: readonly ConformanceCase[] = [
  ...insertCases,
  ...selectCases,
  ...updateCases,
  ...mutateCases,
  ...deleteCases,
  ...waitCases,
  ...miscOpCases,
  ...conditionCases,
  ...constraintCases,
  ...jsonTypeCases,
  ...malformedCases,
  ...integrityCases,
  ...indexCases,
  ...moreCases,
  ...requestCases,
];
