// Spanning trees through the whole switch, without root: a tsovs ovsdb-server child and a Vswitchd in
// this process with dummy ports, configured by `tsovs vsctl` (which returns once vswitchd applied the
// change). Covers what the database shows (Bridge.status / rstp_status, Port.status / statistics /
// rstp_status / rstp_statistics), stp/show, rstp/show and rstp/tcn over unixctl, RSTP winning over STP
// when both are enabled, a malformed BPDU counted in the error counter and ignored, and a port whose
// link goes down leaving the tree.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DummyNetdev } from '../../src/netdev/dummy.js';
import { encodeRstpFrame } from '../../src/ofproto/rstp/bpdu.js';
import { encodeStpFrame } from '../../src/ofproto/stp/bpdu.js';
import { Vlog } from '../../src/vswitchd/vlog.js';
import { Vswitchd } from '../../src/vswitchd/vswitchd.js';
import { type DbServer, startTsovsServer, tempDir, unixctlOk, vsctlOk, waitFor } from '../helpers/daemons.js';

/** A Configuration BPDU from a bridge that claims to be a better root (priority 0) than ours. */
function betterRootBpdu(): Uint8Array {
  const id = 0x0000_0200_0000_0099n;
  return encodeStpFrame('02:00:00:00:00:99', {
    type: 'config',
    topologyChange: false,
    topologyChangeAck: false,
    rootId: id,
    rootPathCost: 0,
    bridgeId: id,
    portId: 0x8001,
    messageAge: 0,
    maxAge: 20 * 256,
    helloTime: 2 * 256,
    forwardDelay: 15 * 256,
  });
}

describe('spanning trees in vswitchd with dummy ports', () => {
  let dir: string;
  let db: DbServer;
  let vs: Vswitchd;
  let ctl: string;
  let now = 1_000_000;

  const vsctl = (...args: string[]) => vsctlOk(db.sock, ...args);

  const appctl = (command: string, ...args: string[]) => unixctlOk(ctl, command, ...args);

  function dummy(name: string): DummyNetdev {
    const n = vs.netdev(name);
    assert.ok(n instanceof DummyNetdev, `${name} is an open dummy port`);
    return n;
  }

  /** Moves the switch's clock on by `ms`, one housekeeping tick per second of it. */
  async function advance(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 1000) {
      now += Math.min(1000, ms - t);
      await vs.tick();
    }
  }

  /** A column (or COLUMN:KEY) of a Port row as `vsctl get` prints it; '' while the key is absent. */
  async function portColumn(port: string, column: string): Promise<string> {
    return (await vsctl('get', 'Port', port, column).catch(() => '')).trim();
  }

  before(async () => {
    dir = tempDir('tsovs-spanning-');
    ctl = join(dir, 'vswitchd.ctl');
    db = await startTsovsServer(dir);
    vs = await Vswitchd.start(`unix:${db.sock}`, {
      dummy: 'dummy',
      unixctl: ctl,
      vlog: new Vlog(undefined, { console: 'off' }),
      clock: () => now,
      minStatsIntervalMs: 100,
    });
    await vsctl(
      ...['add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=dummy'],
      ...['other_config:stp-system-id=02:00:00:00:00:10'],
      ...['--', 'add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=dummy'],
      ...['--', 'add-port', 'br0', 'p2', '--', 'set', 'interface', 'p2', 'type=dummy'],
    );
  });

  after(async () => {
    await vs?.stop();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('STP: status columns, and a malformed BPDU counted in stp_error_count and ignored', async () => {
    await vsctl('set', 'Bridge', 'br0', 'stp_enable=true');
    assert.equal((await vsctl('get', 'Bridge', 'br0', 'status:stp_bridge_id')).trim(), '"8000.020000000010"');
    await advance(1000);
    await waitFor(
      async () => (await portColumn('p1', 'status:stp_state')) === 'listening',
      10000,
      'p1 listening',
    );
    assert.equal(await portColumn('p1', 'status:stp_role'), 'designated');
    const stat = async (key: string) => Number(await portColumn('p1', `statistics:${key}`));
    await waitFor(async () => (await stat('stp_tx_count')) > 0, 10000, 'BPDUs sent and counted');
    // A BPDU cut short inside its body: counted as an error, the tree unchanged.
    const good = betterRootBpdu();
    dummy('p1').receive(good.subarray(0, 17 + 10));
    await advance(1000);
    await waitFor(async () => (await stat('stp_error_count')) === 1, 10000, 'stp_error_count = 1');
    assert.equal(await stat('stp_rx_count'), 0);
    assert.match(await appctl('stp/show', 'br0'), /This bridge is the root/);
    // A good BPDU from a better root is received, counted, and makes p1 our root port.
    dummy('p1').receive(good);
    await advance(1000);
    await waitFor(async () => (await stat('stp_rx_count')) === 1, 10000, 'stp_rx_count = 1');
    assert.equal(await stat('stp_error_count'), 1);
    assert.equal(await portColumn('p1', 'status:stp_role'), 'root');
    assert.equal(
      (await vsctl('get', 'Bridge', 'br0', 'status:stp_designated_root')).trim(),
      '"0000.020000000099"',
    );
  });

  it('RSTP wins over STP when both are enabled, as in Open vSwitch', async () => {
    await vsctl(
      ...['set', 'Bridge', 'br0', 'rstp_enable=true', 'other_config:rstp-priority=4096'],
      'other_config:rstp-address=02:00:00:00:00:20',
    );
    await assert.rejects(appctl('stp/show', 'br0'), /no such stp object/);
    assert.equal((await vsctl('get', 'Bridge', 'br0', 'status')).trim(), '{}');
    const show = await appctl('rstp/show', 'br0');
    assert.match(
      show,
      /^---- br0 ----\nRoot ID:\n {2}stp-priority {4}4096\n {2}stp-system-id {3}02:00:00:00:00:20\n/,
    );
    assert.match(show, /This bridge is the root/);
    assert.equal(
      (await vsctl('get', 'Bridge', 'br0', 'rstp_status:rstp_bridge_id')).trim(),
      '"1.000.020000000020"',
    );
    await vsctl('set', 'Bridge', 'br0', 'stp_enable=false');
  });

  it('RSTP: port status and statistics, rstp/show, rstp/tcn and a malformed BPDU', async () => {
    // Our ports hear nothing: after the migration time (3 s) they are edge ports, designated, forwarding.
    await advance(4000);
    const show = await appctl('rstp/show', 'br0');
    assert.match(show, /\n {2}p1 {9}Designated Forwarding 2000 {5}128\.1\n/, show);
    assert.match(show, /\n {2}p2 {9}Designated Forwarding 2000 {5}128\.2\n/, show);
    await waitFor(
      async () => (await portColumn('p1', 'rstp_status:rstp_port_state')) === 'Forwarding',
      10000,
      'Port.rstp_status written',
    );
    assert.equal(await portColumn('p1', 'rstp_status:rstp_port_role'), 'Designated');
    assert.equal(await portColumn('p1', 'rstp_status:rstp_port_id'), '"8001"');
    assert.equal(await portColumn('p1', 'status'), '{}');
    const stat = async (key: string) => Number(await portColumn('p1', `rstp_statistics:${key}`));
    await waitFor(async () => (await stat('rstp_tx_count')) > 0, 10000, 'RST BPDUs sent and counted');
    // A BPDU with an unknown protocol identifier is an error; the port keeps its role.
    const frame = encodeRstpFrame(0x020000000099, {
      type: 'rst',
      tc: false,
      proposal: false,
      role: 'designated',
      learning: true,
      forwarding: true,
      agreement: false,
      tca: false,
      rootId: 0n,
      rootPathCost: 0,
      bridgeId: 0n,
      portId: 0x8001,
      messageAge: 0,
      maxAge: 20,
      helloTime: 2,
      forwardDelay: 15,
    });
    const bad = Uint8Array.from(frame);
    bad[17] = 0x12;
    dummy('p1').receive(bad);
    await advance(1000);
    await waitFor(async () => (await stat('rstp_error_count')) === 1, 10000, 'rstp_error_count = 1');
    assert.equal(await stat('rstp_rx_count'), 0);
    assert.equal(await appctl('rstp/tcn', 'br0'), 'OK\n');
    await assert.rejects(appctl('rstp/tcn', 'nosuch'), /No such RSTP object/);
    await assert.rejects(appctl('rstp/show', 'nosuch'), /No such RSTP object/);
  });

  it('a port whose link goes down leaves the tree and comes back with it', async () => {
    dummy('p2').setUp(false);
    await advance(1000);
    assert.doesNotMatch(await appctl('rstp/show', 'br0'), /\n {2}p2 /);
    await waitFor(
      async () => (await portColumn('p2', 'rstp_status:rstp_port_role')) === 'Disabled',
      10000,
      'p2 disabled in Port.rstp_status',
    );
    dummy('p2').setUp(true);
    await advance(1000);
    assert.match(await appctl('rstp/show', 'br0'), /\n {2}p2 /);
    await vsctl('set', 'Bridge', 'br0', 'rstp_enable=false');
    assert.equal((await vsctl('get', 'Bridge', 'br0', 'rstp_status')).trim(), '{}');
    assert.equal(await portColumn('p1', 'rstp_status'), '{}');
  });
});
