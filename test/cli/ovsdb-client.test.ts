// `tsovs ovsdb-client` against Open vSwitch's real `ovsdb-client`: both run against the same server (tsovs's
// and the real ovsdb-server in turn) and their stdout must be identical, UUIDs normalised.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { Json } from '../../src/jsonrpc/json.js';
import { OvsdbConnection } from '../../src/ovsdb/client/connection.js';
import {
  type DbServer,
  type RunResult,
  runCommand,
  runTsovs,
  startRealServer,
  startTsovsServer,
  tsovsArgv,
  waitFor,
} from '../helpers/daemons.js';
import { skipUnlessBinaries } from '../helpers/ovs.js';
import { normaliseUuids } from '../vsctl/compare.js';

// Under CI the real tools must be installed: no skip there, so a broken install fails.
const skip = skipUnlessBinaries('ovsdb-client', 'ovsdb-server', 'ovsdb-tool');

const SERVERS: { name: string; start: () => Promise<DbServer> }[] = [
  { name: 'tsovs ovsdb-server', start: () => startTsovsServer() },
  { name: 'real ovsdb-server', start: () => startRealServer() },
];

/** Runs the real tool and ours with the same arguments. */
async function both(args: string[]): Promise<{ real: RunResult; ours: RunResult }> {
  const [real, ours] = await Promise.all([
    runCommand('ovsdb-client', args),
    runTsovs(['ovsdb-client', ...args]),
  ]);
  return { real, ours };
}

/** Asserts that both tools exited alike and printed the same stdout (UUIDs normalised). */
async function assertSame(args: string[]): Promise<string> {
  const { real, ours } = await both(args);
  assert.equal(ours.status, real.status, `exit status of ${args.join(' ')}; our stderr: ${ours.stderr}`);
  assert.equal(normaliseUuids(ours.stdout), normaliseUuids(real.stdout), `stdout of ${args.join(' ')}`);
  return real.stdout;
}

/** A long-running child whose stdout is collected; stop() kills it and waits for it to exit. */
function spawnCollecting(cmd: string, args: string[]): { out: () => string; stop: () => Promise<void> } {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    out: () => stdout,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

for (const kind of SERVERS) {
  describe(`tsovs ovsdb-client matches ovsdb-client against ${kind.name}`, { skip }, () => {
    let server: DbServer;
    let remote: string;

    /** Runs one transaction through our client library (not through either tool under test). */
    async function transactOk(ops: Json[]): Promise<Json[]> {
      const conn = await OvsdbConnection.open(remote);
      try {
        const results = await conn.transact('Open_vSwitch', ops);
        assert.ok(!JSON.stringify(results).includes('"error"'), `setup failed: ${JSON.stringify(results)}`);
        return results;
      } finally {
        conn.close();
      }
    }

    before(async () => {
      server = await kind.start();
      remote = `unix:${server.sock}`;
      const bridge = (name: string, extra: Record<string, Json>) => ({
        op: 'insert',
        table: 'Bridge',
        'uuid-name': name.replace('-', '_'),
        row: { name, ...extra },
      });
      await transactOk([
        {
          op: 'insert',
          table: 'Open_vSwitch',
          row: {
            bridges: [
              'set',
              [
                ['named-uuid', 'br0'],
                ['named-uuid', 'br_x'],
              ],
            ],
          },
        },
        bridge('br0', {
          external_ids: [
            'map',
            [
              ['k', 'a "q" é'],
              ['true', 'x,y'],
              ['', '\n\t'],
            ],
          ],
          stp_enable: true,
        }),
        bridge('br-x', { flood_vlans: ['set', [3, 1, 2]], fail_mode: 'secure', datapath_type: 'netdev' }),
        { op: 'insert', table: 'Queue', row: { dscp: 3, other_config: ['map', [['a', 'b']]] } },
        { op: 'insert', table: 'Queue', row: { dscp: 1 } },
        {
          op: 'insert',
          table: 'Queue',
          row: { external_ids: ['map', [['z', '00000000-0000-0000-0000-000000000000']]] },
        },
      ]);
    });
    after(async () => {
      await server?.cleanup();
    });

    test('list-dbs', async () => {
      assert.equal(await assertSame(['list-dbs', remote]), 'Open_vSwitch\n_Server\n');
    });

    test('get-schema (and its version and checksum)', async () => {
      const { real, ours } = await both(['get-schema', remote]);
      assert.equal(ours.status, 0);
      assert.deepEqual(JSON.parse(ours.stdout), JSON.parse(real.stdout));
      assert.equal(ours.stdout, real.stdout);
      await assertSame(['get-schema', remote, 'Open_vSwitch']);
      await assertSame(['get-schema-version', remote]);
      await assertSame(['--pretty', 'get-schema', remote, '_Server']);
    });

    test('list-tables and list-columns (hash order, as the real client prints them)', async () => {
      await assertSame(['list-tables', remote]);
      await assertSame(['list-columns', remote, 'Open_vSwitch', 'Bridge']);
      await assertSame(['list-columns', remote]);
      await assertSame(['--format=csv', 'list-columns', remote, 'Open_vSwitch', 'Port']);
    });

    test('transact and query', async () => {
      const select = JSON.stringify([
        'Open_vSwitch',
        {
          op: 'select',
          table: 'Bridge',
          where: [['name', '==', 'br0']],
          columns: ['name', 'external_ids', 'stp_enable'],
        },
      ]);
      await assertSame(['transact', remote, select]);
      await assertSame(['--pretty', 'transact', remote, select]);
      await assertSame(['query', remote, select]);
      const insert = JSON.stringify(['Open_vSwitch', { op: 'insert', table: 'Queue', row: { dscp: 63 } }]);
      await assertSame(['transact', remote, insert]);
      const failing = JSON.stringify(['Open_vSwitch', { op: 'insert', table: 'Queue', row: { dscp: 64 } }]);
      await assertSame(['transact', remote, failing]);
      const { real, ours } = await both(['transact', remote, '["Nope",{"op":"comment","comment":"x"}]']);
      assert.equal(real.status, 1);
      assert.equal(ours.status, 1);
      assert.match(ours.stderr, /transaction returned error: .*"unknown database"/);
    });

    test('dump: tables, columns, row order and value syntax in every format', async () => {
      const all = await assertSame(['dump', remote]);
      assert.match(all, /^AutoAttach table\n/);
      assert.match(all, /\nBridge table\n_uuid {32}/);
      await assertSame(['dump', remote, 'Bridge']);
      await assertSame(['dump', remote, 'Open_vSwitch', 'Queue']);
      await assertSame(['dump', remote, 'Bridge', 'name', 'external_ids', 'flood_vlans', '_uuid']);
      for (const format of ['list', 'csv', 'json', 'html'])
        await assertSame([`--format=${format}`, 'dump', remote, 'Queue']);
      await assertSame(['--bare', 'dump', remote, 'Bridge', 'name', 'flood_vlans']);
      await assertSame(['-d', 'json', 'dump', remote, 'Bridge', 'external_ids']);
      await assertSame(['--no-headings', 'dump', remote, 'Queue']);
      await assertSame(['dump', remote, 'Nope']);
    });

    test('monitor prints initial rows, then inserts, modifies (old/new) and deletes as they happen', async () => {
      for (const args of [
        ['monitor', remote, 'Queue', 'dscp,other_config'],
        ['monitor', remote, 'Open_vSwitch', 'Queue'],
        ['--format=json', 'monitor', remote, 'Queue', 'dscp'],
      ]) {
        const [cmd, ...pre] = tsovsArgv();
        const real = spawnCollecting('ovsdb-client', args);
        const ours = spawnCollecting(cmd, [...pre, 'ovsdb-client', ...args]);
        try {
          const printed = (marker: string) => () =>
            real.out().includes(marker) && ours.out().includes(marker);
          await waitFor(
            printed(args[0] === '--format=json' ? '"initial"' : 'initial'),
            15000,
            'initial rows',
          );
          const [inserted] = await transactOk([
            { op: 'insert', table: 'Queue', row: { dscp: 7, other_config: ['map', [['m', '1']]] } },
          ]);
          const uuid = (inserted as { uuid: [string, string] }).uuid[1];
          await waitFor(printed('insert'), 10000, 'the insert');
          const where = [['_uuid', '==', ['uuid', uuid]]];
          await transactOk([
            { op: 'update', table: 'Queue', where, row: { dscp: 8, other_config: ['map', [['n', '2']]] } },
          ]);
          await waitFor(printed('new'), 10000, 'the modify');
          await transactOk([{ op: 'delete', table: 'Queue', where }]);
          await waitFor(printed('delete'), 10000, 'the delete');
        } finally {
          await Promise.all([real.stop(), ours.stop()]);
        }
        assert.equal(normaliseUuids(ours.out()), normaliseUuids(real.out()), `output of ${args.join(' ')}`);
      }
    });

    test('errors: unknown command, bad syntax, unknown table', async () => {
      for (const args of [
        ['frobnicate', remote],
        ['list-dbs', remote, 'extra'],
        ['monitor', remote, 'Nope'],
      ]) {
        const { real, ours } = await both(args);
        assert.equal(ours.status, real.status, `exit status of ${args.join(' ')}`);
        assert.equal(ours.stdout, real.stdout);
        assert.notEqual(ours.stderr, '');
      }
    });
  });
}
