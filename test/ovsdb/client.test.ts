// The OVSDB client library (connection, replica, transactions) against both tsovs's ovsdb-server and
// Open vSwitch's real one: the same test bodies run against each.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isJsonObject, type Json } from '../../src/jsonrpc/json.js';
import { JsonSplitter } from '../../src/jsonrpc/stream.js';
import { OvsdbConnectError, OvsdbConnection, ReconnectBackoff } from '../../src/ovsdb/client/connection.js';
import { type MonitorVersion, Replica, type ReplicaChange } from '../../src/ovsdb/client/replica.js';
import { OvsdbTxnError, type Transaction, transact } from '../../src/ovsdb/client/txn.js';
import {
  type DbServer,
  QUIET_LOGGER,
  startRealServer,
  startTsovsServer,
  tempDir,
  waitFor,
} from '../helpers/daemons.js';
import { hasBinary } from '../helpers/ovs.js';

const DB = 'Open_vSwitch';

const realMissing = !hasBinary('ovsdb-server') || !hasBinary('ovsdb-tool');
const SERVERS: { name: string; start: (dir?: string) => Promise<DbServer>; skip: string | false }[] = [
  { name: 'tsovs ovsdb-server', start: (dir) => startTsovsServer(dir), skip: false },
  {
    name: 'real ovsdb-server',
    start: (dir) => startRealServer(dir),
    // Under CI the real tools must be there: no skip, so a missing install fails loudly.
    skip:
      realMissing && process.env.CI !== 'true'
        ? 'missing ovsdb-server (apt-get install openvswitch-switch)'
        : false,
  },
];

/** Runs one transaction on a plain connection (the "other client"), asserting it succeeded. */
async function otherClient(server: DbServer, ops: Json[]): Promise<Json[]> {
  const conn = await OvsdbConnection.open(`unix:${server.sock}`);
  try {
    const results = await conn.transact(DB, ops);
    const failed = results.find((r) => isJsonObject(r) && r.error !== undefined);
    assert.equal(failed, undefined, `transaction failed: ${JSON.stringify(results)}`);
    return results;
  } finally {
    conn.close();
  }
}

function uuidOf(result: Json): string {
  assert.ok(isJsonObject(result) && Array.isArray(result.uuid));
  return (result.uuid as string[])[1];
}

const byUuid = (uuid: string): Json => [['_uuid', '==', ['uuid', uuid]]];

test('ReconnectBackoff: 1 s doubling to 8 s, back to 1 s after a connection that lasted', () => {
  const b = new ReconnectBackoff();
  assert.deepEqual(
    [b.failed(0), b.failed(1000), b.failed(3000), b.failed(7000), b.failed(15000)],
    [1000, 2000, 4000, 8000, 8000],
  );
  b.connected(20000);
  assert.equal(b.failed(20500), 8000, 'a connection shorter than the backoff keeps it');
  b.connected(30000);
  assert.equal(b.failed(60000), 1000, 'a connection that lasted resets it');
});

test('connecting to a missing socket fails with a typed error', async () => {
  const dir = tempDir();
  try {
    await assert.rejects(OvsdbConnection.open(`unix:${join(dir, 'none.sock')}`), (err: unknown) => {
      assert.ok(err instanceof OvsdbConnectError);
      assert.equal(err.code, 'connection failed');
      assert.match(err.message, /No such file or directory/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const kind of SERVERS) {
  describe(`client library against ${kind.name}`, { skip: kind.skip }, () => {
    let server: DbServer;
    let ovsUuid: string;

    before(async () => {
      server = await kind.start();
      const results = await otherClient(server, [
        { op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'br'] } },
        {
          op: 'insert',
          table: 'Bridge',
          'uuid-name': 'br',
          row: { name: 'br0', external_ids: ['map', [['a', '1']]], flood_vlans: ['set', [1, 2]] },
        },
      ]);
      ovsUuid = uuidOf(results[0]);
    });
    after(async () => {
      await server?.cleanup();
    });

    for (const versions of [[3], [2], [1]] as MonitorVersion[][]) {
      test(`replica (${['', 'monitor', 'monitor_cond', 'monitor_cond_since'][versions[0]]}) sees initial rows and other clients' changes`, async () => {
        const conn = await OvsdbConnection.open(`unix:${server.sock}`);
        try {
          const replica = await Replica.open(
            conn,
            DB,
            { Open_vSwitch: 'all', Bridge: ['name', 'external_ids', 'flood_vlans'] },
            { versions },
          );
          assert.equal(replica.version, versions[0]);
          const bridges = [...replica.rows('Bridge').values()];
          const br0 = bridges.find((b) => b.string('name') === 'br0');
          assert.ok(br0, 'initial Bridge row');
          assert.deepEqual([...br0.map('external_ids')], [['a', '1']]);
          assert.deepEqual(br0.elements('flood_vlans'), [1, 2]);
          assert.equal(replica.row('Open_vSwitch', ovsUuid)?.elements('bridges')[0], br0.uuid);
          assert.equal(br0.boolean('stp_enable'), false, 'unreplicated columns read as defaults');

          const changes: ReplicaChange[] = [];
          replica.on('change', (c) => changes.push(c));
          const seqno = replica.seqno;
          await otherClient(server, [
            {
              op: 'mutate',
              table: 'Bridge',
              where: byUuid(br0.uuid),
              mutations: [
                ['external_ids', 'delete', ['set', ['a']]],
                [
                  'external_ids',
                  'insert',
                  [
                    'map',
                    [
                      ['b', '2'],
                      ['c', '3'],
                    ],
                  ],
                ],
                ['flood_vlans', 'delete', 1],
                ['flood_vlans', 'insert', ['set', [7]]],
              ],
            },
          ]);
          await replica.waitFor((r) => r.row('Bridge', br0.uuid)?.map('external_ids').get('b') === '2');
          const after = replica.row('Bridge', br0.uuid);
          assert.deepEqual(
            [...(after?.map('external_ids') ?? [])],
            [
              ['b', '2'],
              ['c', '3'],
            ],
          );
          assert.deepEqual(after?.elements('flood_vlans'), [2, 7]);
          assert.ok(replica.seqno > seqno);
          const change = changes.find((c) => c.changes.some((ch) => ch.uuid === br0.uuid));
          assert.equal(change?.resync, false);
          assert.deepEqual([...(change?.changes[0].old?.map('external_ids') ?? [])], [['a', '1']]);

          // A map value that changes under the same key, and a map emptied.
          await otherClient(server, [
            {
              op: 'update',
              table: 'Bridge',
              where: byUuid(br0.uuid),
              row: { external_ids: ['map', [['b', 'X']]] },
            },
          ]);
          await replica.waitFor((r) => r.row('Bridge', br0.uuid)?.map('external_ids').get('b') === 'X');
          assert.equal(replica.row('Bridge', br0.uuid)?.map('external_ids').size, 1);
          await otherClient(server, [
            {
              op: 'update',
              table: 'Bridge',
              where: byUuid(br0.uuid),
              row: { external_ids: ['map', [['a', '1']]] },
            },
            { op: 'update', table: 'Bridge', where: byUuid(br0.uuid), row: { flood_vlans: ['set', [1, 2]] } },
          ]);
          await replica.waitFor((r) => r.row('Bridge', br0.uuid)?.elements('flood_vlans').length === 2);
          replica.close();
        } finally {
          conn.close();
        }
      });
    }

    test('replica follows an optional (0..1) column through update2 "modify" (new value, not a diff)', async () => {
      const conn = await OvsdbConnection.open(`unix:${server.sock}`);
      try {
        const replica = await Replica.open(conn, DB, { Queue: ['dscp'] }, { versions: [2] });
        const [insert] = await otherClient(server, [{ op: 'insert', table: 'Queue', row: { dscp: 1 } }]);
        const queue = uuidOf(insert);
        await replica.waitFor((r) => r.row('Queue', queue)?.number('dscp') === 1);
        const invalid: Error[] = [];
        replica.on('invalid', (err) => invalid.push(err));
        const seqno = replica.seqno;
        await otherClient(server, [{ op: 'update', table: 'Queue', where: byUuid(queue), row: { dscp: 5 } }]);
        await replica.waitForChange(seqno);
        assert.deepEqual(invalid, []);
        assert.deepEqual(replica.row('Queue', queue)?.get('dscp').keys, [5]);
        await otherClient(server, [
          { op: 'update', table: 'Queue', where: byUuid(queue), row: { dscp: ['set', []] } },
        ]);
        await replica.waitFor((r) => r.row('Queue', queue)?.get('dscp').size === 0);
        await otherClient(server, [{ op: 'delete', table: 'Queue', where: byUuid(queue) }]);
        await replica.waitFor((r) => r.row('Queue', queue) === undefined);
        replica.close();
      } finally {
        conn.close();
      }
    });

    test('transaction: insert with references, update, mutate, delete; real UUIDs returned', async () => {
      const conn = await OvsdbConnection.open(`unix:${server.sock}`);
      try {
        const replica = await Replica.open(conn, DB, 'all');
        const { value: tempUuid, result } = await transact(
          replica,
          (txn) => {
            const ovs = txn.rows('Open_vSwitch')[0];
            const iface = txn.insert('Interface', { name: 'p1', type: 'internal' });
            const port = txn.insert('Port', { name: 'p1', interfaces: [iface.uuid] });
            const br = txn.insert('Bridge', { name: 'br1', ports: [port.uuid] });
            br.mutate('external_ids', 'insert', new Map([['made-by', 'txn']]));
            ovs.set('bridges', [...ovs.elements('bridges'), br.uuid]);
            return br.uuid;
          },
          { comment: 'client test' },
        );
        assert.equal(result.status, 'success');
        assert.equal(result.inserted.size, 3);
        const br1 = result.inserted.get(tempUuid);
        assert.ok(br1 !== undefined && br1 !== tempUuid);
        await replica.waitFor((r) => r.row('Bridge', br1)?.map('external_ids').get('made-by') === 'txn');
        const port = replica.row('Bridge', br1)?.elements('ports')[0] as string;
        assert.equal(replica.row('Port', port)?.string('name'), 'p1');

        // Update and mutate an existing row.
        const upd = await transact(replica, (txn) => {
          const row = txn.row('Bridge', br1);
          assert.ok(row);
          row.set('stp_enable', true);
          row.mutate('flood_vlans', 'insert', [10, 20]);
        });
        assert.equal(upd.result.status, 'success');
        await replica.waitFor((r) => r.row('Bridge', br1)?.elements('flood_vlans').length === 2);
        assert.equal(replica.row('Bridge', br1)?.boolean('stp_enable'), true);

        // Unlink the bridge (garbage collection deletes it) and delete a root row explicitly.
        const [q] = await otherClient(server, [{ op: 'insert', table: 'Queue', row: {} }]);
        const queue = uuidOf(q);
        await replica.waitFor((r) => r.row('Queue', queue) !== undefined);
        await transact(replica, (txn) => {
          const ovs = txn.rows('Open_vSwitch')[0];
          ovs.set(
            'bridges',
            ovs.elements('bridges').filter((b) => b !== br1),
          );
          txn.row('Queue', queue)?.delete();
        });
        await replica.waitFor(
          (r) => r.row('Bridge', br1) === undefined && r.row('Queue', queue) === undefined,
        );
        assert.equal(replica.row('Port', port), undefined);

        // Nothing written: nothing sent.
        const none = await transact(replica, (txn) => txn.rows('Bridge').map((b) => b.string('name')));
        assert.equal(none.result.status, 'unchanged');
        replica.close();
      } finally {
        conn.close();
      }
    });

    test('transaction errors are typed and carry the OVSDB error object', async () => {
      const conn = await OvsdbConnection.open(`unix:${server.sock}`);
      try {
        const replica = await Replica.open(conn, DB, { Queue: 'all' });
        await assert.rejects(
          transact(replica, (txn) => {
            txn.insert('Queue', { dscp: 100 });
          }),
          (err: unknown) => {
            assert.ok(err instanceof OvsdbTxnError);
            assert.equal(err.code, 'constraint violation');
            assert.equal(err.error.error, 'constraint violation');
            assert.equal(typeof err.error.details, 'string');
            return true;
          },
        );
        replica.close();
      } finally {
        conn.close();
      }
    });

    test('optimistic concurrency: a verified column changed by another client makes the function run again', async () => {
      const conn = await OvsdbConnection.open(`unix:${server.sock}`);
      try {
        const replica = await Replica.open(conn, DB, { Open_vSwitch: ['next_cfg', 'external_ids'] });
        const start = replica.row('Open_vSwitch', ovsUuid)?.number('next_cfg') ?? 0;
        let attempts = 0;
        const txnOps: Json[][] = [];
        const { result } = await transact(replica, async (txn: Transaction) => {
          attempts++;
          const ovs = txn.row('Open_vSwitch', ovsUuid);
          assert.ok(ovs);
          const seen = ovs.number('next_cfg') ?? 0;
          if (attempts === 1) {
            // Another client bumps next_cfg after we read it and before we commit.
            await otherClient(server, [
              {
                op: 'mutate',
                table: 'Open_vSwitch',
                where: byUuid(ovsUuid),
                mutations: [['next_cfg', '+=', 100]],
              },
            ]);
          }
          ovs.set('next_cfg', seen + 1);
          txnOps.push(txn.operations());
        });
        assert.equal(result.status, 'success');
        assert.equal(attempts, 2);
        const verify = txnOps[0][0] as Record<string, Json>;
        assert.deepEqual(
          { op: verify.op, timeout: verify.timeout, until: verify.until, columns: verify.columns },
          { op: 'wait', timeout: 0, until: '==', columns: ['next_cfg'] },
        );
        await replica.waitFor((r) => r.row('Open_vSwitch', ovsUuid)?.number('next_cfg') === start + 101);
        replica.close();
      } finally {
        conn.close();
      }
    });

    test('reconnection after a server restart re-synchronises the replica', async () => {
      const conn = await OvsdbConnection.open(`unix:${server.sock}`, {
        reconnect: true,
        minBackoffMs: 100,
        logger: QUIET_LOGGER,
      });
      try {
        const replica = await Replica.open(conn, DB, { Bridge: ['name'] });
        const changes: ReplicaChange[] = [];
        replica.on('change', (c) => changes.push(c));
        const disconnected = new Promise((resolve) => conn.once('disconnected', resolve));
        await server.stop();
        await disconnected;
        assert.equal(replica.synced, false);
        server = await kind.start(server.dir);
        await waitFor(() => replica.synced, 15000, 'replica to re-synchronise');
        assert.ok(changes.some((c) => c.resync));
        const [insert] = await otherClient(server, [
          { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name: 'after-restart' } },
          {
            op: 'mutate',
            table: 'Open_vSwitch',
            where: byUuid(ovsUuid),
            mutations: [['bridges', 'insert', ['named-uuid', 'b']]],
          },
        ]);
        assert.ok(insert);
        await replica.waitFor((r) =>
          [...r.rows('Bridge').values()].some((b) => b.string('name') === 'after-restart'),
        );
        replica.close();
      } finally {
        conn.close();
      }
    });

    test('falls back to monitor_cond, then monitor, when the server does not know a method', async () => {
      const dir = tempDir();
      const proxies: Server[] = [];
      try {
        for (const [hidden, expected] of [
          [['monitor_cond_since'], 2],
          [['monitor_cond_since', 'monitor_cond'], 1],
        ] as [string[], MonitorVersion][]) {
          const path = join(dir, `proxy${proxies.length}.sock`);
          proxies.push(await hidingProxy(server.sock, path, new Set(hidden)));
          const conn = await OvsdbConnection.open(`unix:${path}`);
          try {
            const replica = await Replica.open(conn, DB, { Bridge: ['name'] });
            assert.equal(replica.version, expected);
            assert.ok([...replica.rows('Bridge').values()].some((b) => b.string('name') === 'br0'));
            replica.close();
          } finally {
            conn.close();
          }
        }
      } finally {
        for (const p of proxies) p.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** A proxy to `target` that answers "unknown method" for the `hidden` methods and forwards all else. */
async function hidingProxy(target: string, path: string, hidden: Set<string>): Promise<Server> {
  const proxy = createServer((client) => {
    const upstream = createConnection(target);
    const splitter = new JsonSplitter();
    upstream.pipe(client);
    client.on('data', (chunk: Buffer) => {
      for (const msg of splitter.feed(chunk).values) {
        const method = isJsonObject(msg) ? msg.method : undefined;
        if (isJsonObject(msg) && typeof method === 'string' && hidden.has(method)) {
          client.write(JSON.stringify({ id: msg.id, error: 'unknown method' }));
        } else {
          upstream.write(JSON.stringify(msg));
        }
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(path, resolve));
  return proxy;
}
