// show.ts and cache.ts read the database the way ovs-vsctl does: the real ovs-vsctl builds a database on
// the real ovsdb-server, then our formatter (through a replica and a transaction on the same server) must
// print exactly what `ovs-vsctl show` prints, and the cache must see the same bridges, ports and warnings.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OvsdbConnection } from '../../src/ovsdb/client/connection.js';
import { Replica } from '../../src/ovsdb/client/replica.js';
import { Transaction, type TxnRow } from '../../src/ovsdb/client/txn.js';
import { VsctlCache } from '../../src/vsctl/cache.js';
import type { CommandContext } from '../../src/vsctl/command.js';
import { expectIface, reloadErrors } from '../../src/vsctl/commands-common.js';
import { formatShow } from '../../src/vsctl/show.js';
import { type DbServer, QUIET_LOGGER, startRealServer } from '../helpers/daemons.js';
import { hasBinary } from '../helpers/ovs.js';
import { normaliseVlog, realVsctl } from './compare.js';

const haveOvs = hasBinary('ovs-vsctl') && hasBinary('ovsdb-server');
const skip = !haveOvs && process.env.CI !== 'true' ? 'needs the real Open vSwitch tools' : false;

/** Runs the real ovs-vsctl and insists it succeeded. */
async function vsctl(server: DbServer, ...args: string[]): Promise<string> {
  const r = await realVsctl(server, args);
  assert.equal(r.status, 0, `ovs-vsctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Our show output and cache for the server's current contents. */
async function ourView(server: DbServer) {
  const conn = await OvsdbConnection.open(`unix:${server.sock}`, { logger: QUIET_LOGGER });
  try {
    const replica = await Replica.open(conn, 'Open_vSwitch');
    replica.close();
    const txn = new Transaction(replica);
    const show = formatShow({ rows: (t) => txn.rows(t), row: (t, u) => txn.row(t, u) });
    const warnings: string[] = [];
    const ovs = txn.rows('Open_vSwitch')[0] as TxnRow;
    const cache = VsctlCache.populate(txn, ovs, {
      warn: (m) => warnings.push(`${String(warnings.length + 1).padStart(5, '0')}|vsctl|WARN|${m}`),
      error: (m) => warnings.push(`${String(warnings.length + 1).padStart(5, '0')}|vsctl|ERR|${m}`),
    });
    return { show, cache, warnings };
  } finally {
    conn.close();
  }
}

describe('show and the bridge cache against the real ovs-vsctl', { skip }, () => {
  let server: DbServer;
  before(async () => {
    server = await startRealServer();
  });
  after(async () => {
    await server?.cleanup();
  });

  it('prints the seed lab exactly as ovs-vsctl show does', async () => {
    await vsctl(server, 'init');
    for (const br of ['br1', 'br2', 'br3']) await vsctl(server, 'add-br', br);
    const ports: [string, string][] = [
      ['br2', 'a1.1'],
      ['br3', 'b1.1'],
      ['br2', 'b23.2'],
      ['br3', 'b23.1'],
      ['br1', 'b12.2'],
      ['br1', 'b13.2'],
      ['br2', 'b12.1'],
      ['br3', 'b13.1'],
    ];
    for (const [br, port] of ports) await vsctl(server, 'add-port', br, port);
    for (const br of ['br1', 'br2', 'br3']) await vsctl(server, 'set', 'Bridge', br, 'stp_enable=true');
    await vsctl(server, 'add-port', 'br1', 'GRE');
    await vsctl(server, 'set', 'Interface', 'GRE', 'type=gre', 'options:remote_ip=10.10.10.2');
    await vsctl(server, 'add-port', 'br1', 'vxlan');
    await vsctl(server, 'set', 'Interface', 'vxlan', 'type=vxlan', 'options:remote_ip=10.10.10.2');
    const want = await vsctl(server, 'show');
    assert.equal((await ourView(server)).show, want);
  });

  it('prints managers, controllers, fail modes, tags, trunks, errors and quoted names', async () => {
    await vsctl(server, 'set-manager', 'ptcp:6640', 'tcp:1.2.3.4:6640');
    await vsctl(server, 'set-controller', 'br1', 'tcp:1.1.1.1', 'ptcp:6653');
    const ctl = await vsctl(server, '--bare', '--columns=_uuid', 'find', 'Controller', 'target="ptcp:6653"');
    await vsctl(server, 'set', 'Controller', ctl.trim(), 'is_connected=true');
    await vsctl(server, 'set-fail-mode', 'br2', 'secure');
    await vsctl(server, 'set', 'Bridge', 'br3', 'datapath_type=netdev');
    await vsctl(server, 'add-br', 'v10', 'br2', '10');
    await vsctl(server, 'add-port', 'v10', 'in v10');
    await vsctl(server, 'add-port', 'br3', 't1', 'trunks=1,2,3');
    await vsctl(server, 'set', 'Interface', 't1', 'error=oops', 'bfd_status:state=up');
    await vsctl(server, 'add-bond', 'br3', 'bond0', 'e1', 'e2', 'e3');
    await vsctl(server, 'set', 'Open_vSwitch', '.', 'ovs_version=3.1.0');
    const want = await vsctl(server, 'show');
    assert.equal((await ourView(server)).show, want);
  });

  it('builds the cache ovs-vsctl builds: fake bridges, ports on them, interfaces', async () => {
    const { cache } = await ourView(server);
    assert.deepEqual([...cache.bridges.keys()].sort(), ['br1', 'br2', 'br3', 'v10']);
    const v10 = cache.bridges.get('v10');
    assert.equal(v10?.parent?.name, 'br2');
    assert.equal(v10?.vlan, 10);
    assert.equal(cache.ports.get('in v10')?.bridge.name, 'v10');
    assert.equal(cache.ifaces.get('e2')?.port.row.string('name'), 'bond0');
    assert.equal(cache.findPort('br1'), undefined, 'a bridge local port is no port');
    assert.equal(cache.findIface('e1')?.port.bridge.name, 'br3');
  });

  it('warns about a port in two bridges as ovs-vsctl does', async () => {
    const uuid = (await vsctl(server, 'get', 'Port', 'b12.2', '_uuid')).trim();
    await vsctl(server, 'add', 'Bridge', 'br3', 'ports', uuid);
    const real = await realVsctl(server, ['list-br']);
    const { warnings, cache } = await ourView(server);
    assert.equal(warnings.map((w) => `${w}\n`).join(''), normaliseVlog(real.stderr));
    assert.ok(warnings.length > 0);
    const owner = await vsctl(server, 'port-to-br', 'b12.2');
    assert.equal(`${cache.ports.get('b12.2')?.bridge.name}\n`, owner);
  });

  it('reports new interfaces that got no OpenFlow port after the reload, as ovs-vsctl does', async () => {
    const conn = await OvsdbConnection.open(`unix:${server.sock}`, { logger: QUIET_LOGGER });
    try {
      const replica = await Replica.open(conn, 'Open_vSwitch');
      const txn = new Transaction(replica);
      const ctx = { txn } as unknown as CommandContext;
      const br = txn.rows('Bridge').find((b) => b.string('name') === 'br2') as TxnRow;
      const ifaces = ['n1', 'n2', 'n3'].map((name) => txn.insert('Interface', { name }));
      for (const iface of ifaces) expectIface(ctx, iface);
      const port = txn.insert('Port', { name: 'bondn', interfaces: ifaces.map((i) => i.uuid) });
      br.set('ports', [...br.elements('ports'), port.uuid]);
      const result = await txn.commit();
      await vsctl(server, 'set', 'Interface', 'n1', 'ofport=-1', 'error="could not open network device n1"');
      await vsctl(server, 'set', 'Interface', 'n2', 'ofport=7');
      await replica.waitFor((r) => [...r.rows('Interface').values()].some((i) => i.number('ofport') === 7));
      assert.equal(
        reloadErrors(txn, result.inserted, replica, {}),
        "ovs-vsctl: Error detected while setting up 'n1': could not open network device n1.  See ovs-vswitchd log for details.\n" +
          "ovs-vsctl: Error detected while setting up 'n3'.  See ovs-vswitchd log for details.\n" +
          'ovs-vsctl: The default log directory is "/var/log/openvswitch".\n',
      );
      await vsctl(server, 'set', 'Interface', 'n1', 'ofport=8', '--', 'set', 'Interface', 'n3', 'ofport=9');
      await replica.waitFor((r) => [...r.rows('Interface').values()].some((i) => i.number('ofport') === 9));
      assert.equal(reloadErrors(txn, result.inserted, replica, {}), '');
      replica.close();
    } finally {
      conn.close();
    }
  });
});
