// The whole switch in-process, without root: a tsovs ovsdb-server child, a Vswitchd in this process with
// --enable-dummy (bridges with datapath_type=dummy, ports of type dummy), configured by `tsovs vsctl`
// WITHOUT --no-wait (so each command returns only once vswitchd applied it), frames injected into dummy
// ports and read back from the others. Covers the status written back, NORMAL switching (learning,
// flooding, VLANs, patch ports), the unixctl commands (also through the real ovs-appctl), statistics,
// MAC aging on a fake clock, port removal while running, and a restart restoring everything.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DummyNetdev } from '../../src/netdev/dummy.js';
import { nativeAvailable } from '../../src/netdev/native.js';
import { ethernetFrame } from '../../src/packet/builder.js';
import { Vlog } from '../../src/vswitchd/vlog.js';
import { Vswitchd } from '../../src/vswitchd/vswitchd.js';
import {
  type DbServer,
  runCommand,
  runTsovs,
  startTsovsServer,
  tempDir,
  unixctlOk,
  vsctlOk,
  waitFor,
} from '../helpers/daemons.js';
import { requireBinaries } from '../helpers/ovs.js';

const MAC = (n: number) => `00:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const BCAST = 'ff:ff:ff:ff:ff:ff';

/** A minimal IPv4-typed frame from MAC `src` to `dst`, optionally 802.1Q-tagged. */
function frame(src: number, dst: number | string, vid?: number): Uint8Array {
  const dstMac = typeof dst === 'string' ? dst : MAC(dst);
  return ethernetFrame(
    { srcMac: MAC(src), dstMac, vlans: vid === undefined ? [] : [{ vid }] },
    0x0800,
    new Uint8Array(46),
  );
}

/** The VLAN ID of a frame's 802.1Q tag, or null when untagged. */
function vidOf(f: Uint8Array): number | null {
  return f[12] === 0x81 && f[13] === 0x00 ? ((f[14] << 8) | f[15]) & 0xfff : null;
}

describe('vswitchd in-process with dummy ports', () => {
  let dir: string;
  let db: DbServer;
  let vs: Vswitchd;
  let ctl: string;
  let now = 1_000_000;

  async function startSwitch(): Promise<Vswitchd> {
    return Vswitchd.start(`unix:${db.sock}`, {
      dummy: 'dummy',
      unixctl: ctl,
      vlog: new Vlog(undefined, { console: 'off' }),
      clock: () => now,
      minStatsIntervalMs: 100,
    });
  }

  /** `tsovs vsctl ARGS` against our database, waiting for vswitchd (no --no-wait); throws on failure. */
  const vsctl = (...args: string[]) => vsctlOk(db.sock, ...args);

  const appctl = (command: string, ...args: string[]) => unixctlOk(ctl, command, ...args);

  function dummy(name: string): DummyNetdev {
    const n = vs.netdev(name);
    assert.ok(n instanceof DummyNetdev, `${name} is an open dummy port`);
    return n;
  }

  /** Clears what the named ports sent, injects `f` into `from`, returns what each named port sent. */
  function send(from: string, f: Uint8Array, watch: string[]): Record<string, Uint8Array[]> {
    for (const w of watch) dummy(w).takeSent();
    dummy(from).receive(f);
    return Object.fromEntries(watch.map((w) => [w, dummy(w).takeSent()]));
  }

  /** The replica's view of an Interface row's column. */
  function ifaceColumn(name: string, column: string) {
    const row = [...vs.replica.rows('Interface').values()].find((r) => r.string('name') === name);
    return row?.get(column);
  }

  before(async () => {
    dir = tempDir('tsovs-vswitchd-');
    ctl = join(dir, 'vswitchd.ctl');
    db = await startTsovsServer(dir);
    vs = await startSwitch();
  });

  after(async () => {
    await vs?.stop();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('add-br and add-port return once live, with ofport, mac_in_use, datapath_id and cur_cfg written', async () => {
    await vsctl('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=dummy');
    await vsctl(
      ...['add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=dummy', 'ofport_request=7'],
      ...['--', 'add-port', 'br0', 'p2', '--', 'set', 'interface', 'p2', 'type=dummy'],
      ...['--', 'add-port', 'br0', 'p3', '--', 'set', 'interface', 'p3', 'type=dummy'],
    );
    // vsctl returned, so cur_cfg has reached next_cfg and the ports exist now, not eventually.
    assert.ok(vs.netdev('p1') instanceof DummyNetdev);
    const ofports = await vsctl(
      '--columns=name,ofport,ofport_request,error',
      '--format=csv',
      'list',
      'Interface',
    );
    const rows = ofports.trim().split('\n').slice(1).sort();
    assert.deepEqual(rows, ['br0,65534,[],[]', 'p1,7,7,[]', 'p2,1,[],[]', 'p3,2,[],[]']);
    const cfg = await vsctl('get', 'Open_vSwitch', '.', 'cur_cfg', 'next_cfg');
    const [cur, next] = cfg.trim().split('\n');
    assert.equal(cur, next);
    assert.equal((await vsctl('get', 'Interface', 'p1', 'mac_in_use')).trim(), `"${dummy('p1').mac()}"`);
    assert.equal((await vsctl('get', 'Interface', 'p1', 'admin_state', 'link_state')).trim(), 'up\nup');
    const dpid = (await vsctl('get', 'Bridge', 'br0', 'datapath_id')).trim();
    assert.match(dpid, /^"0000[0-9a-f]{12}"$/);
    const types = await vsctl('get', 'Open_vSwitch', '.', 'datapath_types', 'iface_types');
    assert.equal(
      types,
      '[dummy, netdev, system]\n[dummy, dummy-internal, geneve, gre, internal, patch, system, vxlan]\n',
    );
  });

  it('honours other_config:datapath-id', async () => {
    await vsctl('set', 'Bridge', 'br0', 'other_config:datapath-id=00000000000000a1');
    assert.equal((await vsctl('get', 'Bridge', 'br0', 'datapath_id')).trim(), '"00000000000000a1"');
    await vsctl('remove', 'Bridge', 'br0', 'other_config', 'datapath-id');
  });

  it('writes the error of a missing device while the other ports keep working', async (t) => {
    if (!nativeAvailable()) {
      t.skip('the native addon is not built (npm install builds it)');
      return;
    }
    const r = await runTsovs([
      'vsctl',
      `--db=unix:${db.sock}`,
      '--timeout=30',
      'add-port',
      'br0',
      'tsnodev9',
    ]);
    assert.equal(r.status, 0);
    assert.equal(
      r.stderr,
      "ovs-vsctl: Error detected while setting up 'tsnodev9': could not open network device tsnodev9 (No such device).  See ovs-vswitchd log for details.\n" +
        'ovs-vsctl: The default log directory is "/var/log/openvswitch".\n',
    );
    assert.equal((await vsctl('get', 'Interface', 'tsnodev9', 'ofport')).trim(), '-1');
    const out = send('p1', frame(1, BCAST), ['p2', 'p3']);
    assert.equal(out.p2.length, 1);
    assert.equal(out.p3.length, 1);
    await vsctl('del-port', 'br0', 'tsnodev9');
  });

  it('switches frames: floods unknown destinations, learns, then forwards to one port', async () => {
    await appctl('fdb/flush', 'br0');
    let out = send('p1', frame(1, 2), ['p1', 'p2', 'p3']);
    assert.deepEqual([out.p1.length, out.p2.length, out.p3.length], [0, 1, 1], 'flooded, not reflected');
    out = send('p2', frame(2, 1), ['p1', 'p2', 'p3']);
    assert.deepEqual([out.p1.length, out.p2.length, out.p3.length], [1, 0, 0], 'learned: only to p1');
    out = send('p1', frame(1, 2), ['p1', 'p2', 'p3']);
    assert.deepEqual([out.p1.length, out.p2.length, out.p3.length], [0, 1, 0]);
    const fdb = await appctl('fdb/show', 'br0');
    assert.equal(
      fdb,
      ' port  VLAN  MAC                Age\n    7     0  00:00:00:00:00:01    0\n    1     0  00:00:00:00:00:02    0\n',
    );
    const flows = await appctl('dpctl/dump-flows');
    assert.match(flows, /^flow-dump from the main thread:\n/);
    assert.match(flows, /eth\(src=00:00:00:00:00:02,dst=00:00:00:00:00:01\).*actions:\d+\n/);
  });

  it('keeps access VLANs apart and carries both on a trunk', async () => {
    await vsctl(
      ...['set', 'Port', 'p1', 'tag=10', '--', 'set', 'Port', 'p2', 'tag=20'],
      ...['--', 'add-port', 'br0', 't1', 'trunks=10,20', '--', 'set', 'interface', 't1', 'type=dummy'],
    );
    await appctl('fdb/flush');
    const watch = ['p1', 'p2', 'p3', 't1'];
    let out = send('p1', frame(1, BCAST), watch);
    assert.equal(out.p2.length, 0, 'VLAN 20 does not hear VLAN 10');
    assert.deepEqual(out.p3.map(vidOf), [10], 'p3 (no tag: a trunk of all VLANs) gets it tagged');
    assert.equal(out.t1.length, 1);
    assert.equal(vidOf(out.t1[0]), 10);
    out = send('t1', frame(3, BCAST, 20), watch);
    assert.equal(out.p2.length, 1);
    assert.equal(vidOf(out.p2[0]), null, 'access port receives it untagged');
    assert.equal(out.p1.length, 0);
    out = send('t1', frame(3, BCAST, 30), watch);
    assert.equal(out.p1.length + out.p2.length, 0, 'VLAN 30 is not trunked');
    await vsctl('clear', 'Port', 'p1', 'tag', '--', 'clear', 'Port', 'p2', 'tag', '--', 'del-port', 't1');
  });

  it('joins two bridges with a patch port pair', async () => {
    await vsctl(
      ...['add-br', 'br1', '--', 'set', 'bridge', 'br1', 'datapath_type=dummy'],
      ...['--', 'add-port', 'br1', 'q1', '--', 'set', 'interface', 'q1', 'type=dummy'],
      ...['--', 'add-port', 'br0', 'pa', '--', 'set', 'interface', 'pa', 'type=patch', 'options:peer=pb'],
      ...['--', 'add-port', 'br1', 'pb', '--', 'set', 'interface', 'pb', 'type=patch', 'options:peer=pa'],
    );
    await appctl('fdb/flush');
    const out = send('p1', frame(1, BCAST), ['p2', 'q1']);
    assert.equal(out.q1.length, 1, 'crossed the patch pair');
    const back = send('q1', frame(9, 1), ['p1', 'p2', 'p3']);
    assert.deepEqual([back.p1.length, back.p2.length, back.p3.length], [1, 0, 0], 'learned across the patch');
    const show = await appctl('dpif/show');
    assert.match(show, /^netdev@ovs-netdev: hit:\d+ missed:\d+\n {2}br0:\n/);
    assert.match(show, / {4}br0 65534\/\d+: \(dummy-internal\)\n/);
    assert.match(show, / {4}p1 7\/\d+: \(dummy\)\n/);
    assert.match(show, / {4}pa \d+\/none: \(patch: peer=pb\)\n/);
    assert.match(
      show,
      / {2}br1:\n {4}br1 65534\/\d+: \(dummy-internal\)\n {4}pb \d+\/none: \(patch: peer=pa\)\n {4}q1 2\/\d+: \(dummy\)\n$/,
    );
  });

  it('answers the real ovs-appctl on its control socket', async (t) => {
    if (!requireBinaries(t, 'ovs-appctl')) return;
    const run = (...args: string[]) => runCommand('ovs-appctl', ['-t', ctl, ...args]);
    const list = await run('list-commands');
    assert.equal(list.status, 0);
    for (const c of [
      'fdb/show',
      'fdb/flush',
      'dpif/show',
      'dpctl/dump-flows',
      'memory/show',
      'coverage/show',
      'vlog/set',
    ])
      assert.match(list.stdout, new RegExp(`^  ${c} `, 'm'));
    assert.equal((await run('version')).stdout, 'ovs-vswitchd (tsovs) 0.1.0\n');
    const fdb = await run('fdb/show', 'br0');
    assert.equal(fdb.status, 0);
    assert.match(fdb.stdout, /^ port {2}VLAN {2}MAC {16}Age\n/);
    const bad = await run('fdb/show', 'nosuch');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^no such bridge\n/);
    assert.equal((await run('fdb/flush')).stdout, 'table successfully flushed\n');
    const recv = await run('netdev-dummy/receive', 'p2', Buffer.from(frame(2, BCAST)).toString('hex'));
    assert.equal(recv.status, 0);
    assert.match((await run('fdb/show', 'br0')).stdout, /\n {4}1 {5}0 {2}00:00:00:00:00:02 {4}0\n/);
    assert.match((await run('memory/show')).stdout, /^idl-cells-Open_vSwitch:\d+ ports:\d+ rules:2/);
    assert.match((await run('coverage/show')).stdout, /^bridge_reconfigure +[\d.]+\/sec/m);
  });

  it('lets the real ovs-vsctl (without --no-wait) return once the change is live', async (t) => {
    if (!requireBinaries(t, 'ovs-vsctl')) return;
    const r = await runCommand('ovs-vsctl', [
      `--db=unix:${db.sock}`,
      '--timeout=30',
      ...['add-port', 'br0', 'rv', '--', 'set', 'Interface', 'rv', 'type=dummy'],
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(vs.netdev('rv') instanceof DummyNetdev);
    const del = await runCommand('ovs-vsctl', [`--db=unix:${db.sock}`, '--timeout=30', 'del-port', 'rv']);
    assert.equal(del.status, 0, del.stderr);
    assert.equal(vs.netdev('rv'), undefined);
  });

  it('writes nothing while nothing changes (no write storms)', async () => {
    await vs.settled();
    const before = vs.coverage.read('txn_success') ?? 0;
    const unchanged = vs.coverage.read('txn_unchanged') ?? 0;
    for (let i = 0; i < 3; i++) await vs.tick();
    assert.equal(vs.coverage.read('txn_success'), before);
    assert.ok((vs.coverage.read('txn_unchanged') ?? 0) >= unchanged + 3);
  });

  it('writes Interface.statistics on the statistics timer', async () => {
    await vsctl('set', 'Open_vSwitch', '.', 'other_config:stats-update-interval=200');
    send('p3', frame(3, BCAST), ['p1']);
    await waitFor(
      () => {
        const stats = ifaceColumn('p3', 'statistics');
        const i = stats?.keys.indexOf('rx_packets') ?? -1;
        return i >= 0 && Number(stats?.values?.[i]) > 0;
      },
      10000,
      'p3 rx_packets in the database',
    );
  });

  it('ages learned MACs out after mac-aging-time', async () => {
    await vsctl('set', 'Bridge', 'br0', 'other_config:mac-aging-time=15');
    send('p2', frame(0x42, BCAST), ['p1']);
    // The tick's revalidator sweep sees the flow's use (refreshing the entry) before time moves on.
    await vs.tick();
    assert.match(await appctl('fdb/show', 'br0'), /00:00:00:00:00:42/);
    await appctl('fdb/flush');
    send('p2', frame(0x43, BCAST), ['p1']);
    await vs.tick();
    assert.match(await appctl('fdb/show', 'br0'), /\n {4}1 {5}0 {2}00:00:00:00:00:43 {4}0\n/);
    now += 14_000;
    await vs.tick();
    assert.match(await appctl('fdb/show', 'br0'), /00:00:00:00:00:43 {3}14\n/);
    now += 2_000;
    await vs.tick();
    assert.equal(await appctl('fdb/show', 'br0'), ' port  VLAN  MAC                Age\n');
  });

  it('removes a port while running: its device closes and floods no longer reach it', async () => {
    const p3 = dummy('p3');
    await vsctl('del-port', 'br0', 'p3');
    assert.equal(vs.netdev('p3'), undefined);
    p3.takeSent();
    send('p1', frame(1, BCAST), ['p2']);
    assert.equal(p3.takeSent().length, 0);
    await vsctl('add-port', 'br0', 'p3', '--', 'set', 'interface', 'p3', 'type=dummy');
    assert.equal(send('p1', frame(1, BCAST), ['p3']).p3.length, 1);
  });

  it('restores the switch from the database after a restart', async () => {
    const before = (await vsctl('--columns=name,ofport', '--format=csv', 'list', 'Interface'))
      .split('\n')
      .sort();
    await vs.stop();
    vs = await startSwitch();
    const afterRestart = (await vsctl('--columns=name,ofport', '--format=csv', 'list', 'Interface'))
      .split('\n')
      .sort();
    assert.deepEqual(afterRestart, before, 'same ofports');
    const out = send('p1', frame(1, BCAST), ['p2', 'q1']);
    assert.equal(out.p2.length, 1);
    assert.equal(out.q1.length, 1);
  });

  it('reconnects to a restarted database server and goes on applying changes', async () => {
    await db.stop();
    db = await startTsovsServer(dir);
    await vsctl('add-port', 'br0', 'late', '--', 'set', 'interface', 'late', 'type=dummy');
    assert.ok(vs.netdev('late') instanceof DummyNetdev);
  });

  it('deletes a bridge with its ports', async () => {
    await vsctl('del-br', 'br1');
    assert.equal(vs.netdev('q1'), undefined);
    assert.doesNotMatch(await appctl('dpif/show'), /br1/);
    await assert.rejects(appctl('fdb/show', 'br1'), /no such bridge/);
  });
});
