// The switch on real namespaces (needs root), each case in its own lab: VLAN isolation and a trunk,
// MAC learning and aging, a patch-port pair, an internal port with an IP address, a missing device
// (its error column says so while the other ports forward; it recovers once the device appears), ports
// added and removed while traffic runs, and a restart that restores forwarding and removes the TAPs.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/daemons.js';
import { ip, nsRun, nsRunOk, pingOnce, uniqueName, waitForPing } from '../helpers/netns.js';
import { hasBinary } from '../helpers/ovs.js';
import { requireSwitchLab, SwitchLab } from './switch-lab.js';

/** A namespace on the switch: its name, the switch-side port name and the namespace-side device. */
interface Host {
  readonly ns: string;
  readonly port: string;
  readonly dev: string;
}

/** Makes a namespace with a veth into the switch namespace and gives it `cidrs` (IPv6 off, so it stays quiet). */
async function host(sl: SwitchLab, prefix: string, cidrs: string[]): Promise<Host> {
  const ns = sl.lab.netns(prefix);
  await quietIpv6(ns);
  const [port, dev] = sl.lab.veth(`${prefix}s`, sl.sw, `${prefix}h`, ns);
  for (const c of cidrs) sl.lab.address(ns, dev, c);
  return { ns, port, dev };
}

/** Turns IPv6 off in `ns` (existing and future devices), so no router solicitations or MLD refresh MACs. */
async function quietIpv6(ns: string): Promise<void> {
  await nsRunOk(ns, 'sysctl', [
    '-qw',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
}

/** Runs `body` on a fresh lab, cleaning up whatever happens. */
async function withLab(t: TestContext, body: (sl: SwitchLab) => Promise<void>): Promise<void> {
  if (!requireSwitchLab(t)) return;
  const sl = new SwitchLab();
  try {
    await sl.start();
    await quietIpv6(sl.sw);
    await body(sl);
  } catch (err) {
    t.diagnostic(`vswitchd log:\n${sl.log()}`);
    throw err;
  } finally {
    await sl.cleanup();
  }
}

/** The MAC of `dev` in `ns`. */
async function macOf(ns: string, dev: string): Promise<string> {
  const out = await nsRunOk(ns, 'cat', [`/sys/class/net/${dev}/address`]);
  return out.trim();
}

describe('the switch on real namespaces', { concurrency: false }, () => {
  it('keeps two access VLANs apart and carries both on a trunk', (t) =>
    withLab(t, async (sl) => {
      // br0: n1 on VLAN 10, n2 on VLAN 20, all in one subnet; br1 likewise with n3 and n4; the bridges are
      // joined by a veth pair whose ends are trunks. (This kernel has no 802.1Q devices or Linux bridge,
      // so the far end of the trunk is our own br1; tcpdump checks the tags on the wire.)
      const n1 = await host(sl, 'v1', ['10.0.0.1/24']);
      const n2 = await host(sl, 'v2', ['10.0.0.2/24']);
      const n3 = await host(sl, 'v3', ['10.0.0.3/24']);
      const n4 = await host(sl, 'v4', ['10.0.0.4/24']);
      const [x, y] = sl.lab.veth('trx', sl.sw, 'try', sl.sw);
      await sl.vsctl('add-br', 'br0', '--', 'add-br', 'br1');
      await sl.vsctl(
        ...['add-port', 'br0', n1.port, 'tag=10', '--', 'add-port', 'br0', n2.port, 'tag=20'],
        ...['--', 'add-port', 'br1', n3.port, 'tag=10', '--', 'add-port', 'br1', n4.port, 'tag=20'],
        ...['--', 'add-port', 'br0', x, 'trunks=10,20', '--', 'add-port', 'br1', y, 'trunks=10,20'],
      );
      const capture = hasBinary('tcpdump')
        ? nsRun(sl.sw, 'tcpdump', ['-i', y, '-e', '-n', '-c', '20', '-l', 'vlan'], 15000)
        : null;
      await waitForPing(n1.ns, '10.0.0.3', 20000);
      await waitForPing(n2.ns, '10.0.0.4', 20000);
      assert.equal(await pingOnce(n1.ns, '10.0.0.2'), false, 'VLAN 10 cannot reach VLAN 20 on one bridge');
      assert.equal(await pingOnce(n1.ns, '10.0.0.4'), false, 'nor across the trunk');
      assert.equal(await pingOnce(n2.ns, '10.0.0.3'), false);
      if (capture !== null) {
        await nsRun(n1.ns, 'ping', ['-c', '10', '-i', '0.1', '10.0.0.3']);
        await nsRun(n2.ns, 'ping', ['-c', '10', '-i', '0.1', '10.0.0.4']);
        const seen = (await capture).stdout;
        assert.match(seen, /vlan 10, p 0, ethertype IPv4/);
        assert.match(seen, /vlan 20, p 0, ethertype IPv4/);
      }
      await sl.vsctl('set', 'Port', x, 'trunks=10');
      assert.equal(await pingOnce(n2.ns, '10.0.0.4'), false, 'VLAN 20 no longer trunked');
      assert.ok(await pingOnce(n1.ns, '10.0.0.3'));
    }));

  it('learns MACs (fdb/show) and ages them out after mac-aging-time', (t) =>
    withLab(t, async (sl) => {
      const a = await host(sl, 'm1', ['10.0.0.1/24']);
      const b = await host(sl, 'm2', ['10.0.0.2/24']);
      await sl.vsctl('add-br', 'br0', '--', 'set', 'Bridge', 'br0', 'other_config:mac-aging-time=15');
      await sl.vsctl('add-port', 'br0', a.port, '--', 'add-port', 'br0', b.port);
      const ofA = (await sl.vsctl('get', 'Interface', a.port, 'ofport')).trim();
      const ofB = (await sl.vsctl('get', 'Interface', b.port, 'ofport')).trim();
      await waitForPing(a.ns, '10.0.0.2', 20000);
      const macA = await macOf(a.ns, a.dev);
      const macB = await macOf(b.ns, b.dev);
      const fdb = await sl.appctl('fdb/show', 'br0');
      assert.match(fdb, /^ port {2}VLAN {2}MAC {16}Age\n/);
      assert.match(fdb, new RegExp(`^ {1,5}${ofA} {5}0 {2}${macA} +\\d+$`, 'm'));
      assert.match(fdb, new RegExp(`^ {1,5}${ofB} {5}0 {2}${macB} +\\d+$`, 'm'));
      const flows = await sl.appctl('dpctl/dump-flows');
      assert.match(flows, new RegExp(`eth\\(src=${macA},dst=${macB}\\)`));
      // No traffic now (IPv6 is off): the entries must go within mac-aging-time (15 s) plus a sweep.
      await waitFor(
        async () => !(await sl.appctl('fdb/show', 'br0')).includes(macA),
        40000,
        'the learned MAC to age out',
      );
    }));

  it('joins two bridges with a patch-port pair', (t) =>
    withLab(t, async (sl) => {
      const a = await host(sl, 'p1', ['10.0.0.1/24']);
      const b = await host(sl, 'p2', ['10.0.0.2/24']);
      await sl.vsctl('add-br', 'br0', '--', 'add-br', 'br1');
      await sl.vsctl(
        ...['add-port', 'br0', a.port, '--', 'add-port', 'br1', b.port],
        ...[
          '--',
          'add-port',
          'br0',
          'patch-a',
          '--',
          'set',
          'Interface',
          'patch-a',
          'type=patch',
          'options:peer=patch-b',
        ],
        ...[
          '--',
          'add-port',
          'br1',
          'patch-b',
          '--',
          'set',
          'Interface',
          'patch-b',
          'type=patch',
          'options:peer=patch-a',
        ],
      );
      await waitForPing(a.ns, '10.0.0.2', 20000);
      assert.match(await sl.appctl('dpif/show'), / {4}patch-a \d+\/none: \(patch: peer=patch-b\)\n/);
      await sl.vsctl('del-port', 'br1', 'patch-b');
      assert.equal(await pingOnce(a.ns, '10.0.0.2'), false, 'no path without the peer');
    }));

  it('gives the bridge an internal port that holds an IP address', (t) =>
    withLab(t, async (sl) => {
      const a = await host(sl, 'i1', ['10.0.0.1/24']);
      await sl.vsctl('add-br', 'br0', '--', 'add-port', 'br0', a.port);
      assert.equal((await sl.vsctl('get', 'Interface', 'br0', 'ofport', 'type')).trim(), '65534\ninternal');
      await nsRunOk(sl.sw, 'ip', ['addr', 'add', '10.0.0.254/24', 'dev', 'br0']);
      await nsRunOk(sl.sw, 'ip', ['link', 'set', 'br0', 'up']);
      await waitForPing(a.ns, '10.0.0.254', 20000);
      assert.ok(await pingOnce(sl.sw, '10.0.0.1'), 'the host side reaches the namespace');
      const mac = (await sl.vsctl('get', 'Interface', 'br0', 'mac_in_use')).trim();
      assert.equal(mac, `"${await macOf(sl.sw, 'br0')}"`);
      // As in OVS, the bridge's own port carries the bridge's MAC, the one its datapath ID is made from.
      const dpid = (await sl.vsctl('get', 'Bridge', 'br0', 'datapath_id')).trim();
      assert.equal(dpid, `"0000${mac.slice(1, -1).replaceAll(':', '')}"`);
    }));

  it('reports a missing device in its error column while the others forward, and recovers when it appears', (t) =>
    withLab(t, async (sl) => {
      const a = await host(sl, 'e1', ['10.0.0.1/24']);
      const b = await host(sl, 'e2', ['10.0.0.2/24']);
      const missing = uniqueName('miss');
      await sl.vsctl('add-br', 'br0', '--', 'add-port', 'br0', a.port, '--', 'add-port', 'br0', b.port);
      const r = await sl.vsctlRun('add-port', 'br0', missing);
      assert.equal(r.status, 0);
      assert.match(
        r.stderr,
        new RegExp(
          `^ovs-vsctl: Error detected while setting up '${missing}': could not open network device ${missing} \\(No such device\\)\\.`,
        ),
      );
      assert.equal(
        (await sl.vsctl('get', 'Interface', missing, 'error')).trim(),
        `"could not open network device ${missing} (No such device)"`,
      );
      assert.equal((await sl.vsctl('get', 'Interface', missing, 'ofport')).trim(), '-1');
      await waitForPing(a.ns, '10.0.0.2', 20000);
      // Status of a working port: what the kernel says about the veth.
      const status = await sl.vsctl(
        'get',
        'Interface',
        a.port,
        'admin_state',
        'link_state',
        'mac_in_use',
        'mtu',
      );
      assert.equal(status, `up\nup\n"${await macOf(sl.sw, a.port)}"\n1500\n`);
      // The device appears: vswitchd notices within a few seconds and the error clears.
      // (This kernel has no dummy devices: a veth pair made in the switch namespace serves.)
      const peer = uniqueName('missp');
      await nsRunOk(sl.sw, 'ip', ['link', 'add', missing, 'type', 'veth', 'peer', 'name', peer]);
      await nsRunOk(sl.sw, 'ip', ['link', 'set', missing, 'up']);
      await nsRunOk(sl.sw, 'ip', ['link', 'set', peer, 'up']);
      await waitFor(
        async () => (await sl.vsctl('get', 'Interface', missing, 'error')).trim() === '[]',
        20000,
        'the error to clear',
      );
      assert.notEqual((await sl.vsctl('get', 'Interface', missing, 'ofport')).trim(), '-1');
      // Deleted again: the port reports it once more, and the others still forward.
      await nsRunOk(sl.sw, 'ip', ['link', 'del', missing]);
      await waitFor(
        async () =>
          (await sl.vsctl('get', 'Interface', missing, 'error')).trim() ===
          `"could not open network device ${missing} (No such device)"`,
        20000,
        'the error to come back',
      );
      assert.ok(await pingOnce(a.ns, '10.0.0.2'));
    }));

  it('adds and removes ports while traffic runs', (t) =>
    withLab(t, async (sl) => {
      const a = await host(sl, 'r1', ['10.0.0.1/24']);
      const b = await host(sl, 'r2', ['10.0.0.2/24']);
      const c = await host(sl, 'r3', ['10.0.0.3/24']);
      await sl.vsctl('add-br', 'br0', '--', 'add-port', 'br0', a.port, '--', 'add-port', 'br0', b.port);
      await waitForPing(a.ns, '10.0.0.2', 20000);
      const pinger = nsRun(a.ns, 'ping', ['-c', '60', '-i', '0.1', '-W', '1', '10.0.0.2'], 30000);
      await sl.vsctl('add-port', 'br0', c.port);
      await waitForPing(c.ns, '10.0.0.2', 20000);
      await sl.vsctl('del-port', 'br0', c.port);
      assert.equal(await pingOnce(c.ns, '10.0.0.2'), false, 'removed port carries nothing');
      await sl.vsctl('add-port', 'br0', c.port);
      await waitForPing(c.ns, '10.0.0.1', 20000);
      const result = await pinger;
      const received = Number(/(\d+) received/.exec(result.stdout)?.[1] ?? 0);
      assert.ok(received >= 55, `A→B kept flowing while ports changed (${received}/60 answered)`);
      await sl.vsctl('del-port', 'br0', b.port);
      assert.equal(await pingOnce(a.ns, '10.0.0.2'), false);
      await sl.vsctl('add-port', 'br0', b.port);
      await waitForPing(a.ns, '10.0.0.2', 20000);
    }));

  it('restores forwarding after a restart, and removes its TAPs when stopped', (t) =>
    withLab(t, async (sl) => {
      const a = await host(sl, 's1', ['10.0.0.1/24']);
      const b = await host(sl, 's2', ['10.0.0.2/24']);
      await sl.vsctl('add-br', 'br0', '--', 'add-port', 'br0', a.port, '--', 'add-port', 'br0', b.port);
      await waitForPing(a.ns, '10.0.0.2', 20000);
      const before = await sl.vsctl('--columns=name,ofport', '--format=csv', 'list', 'Interface');
      assert.equal(await sl.stopSwitch(), 0);
      assert.throws(() => ip('-n', sl.sw, 'link', 'show', 'br0'), 'the TAP is gone');
      assert.equal(await pingOnce(a.ns, '10.0.0.2'), false, 'no switch, no path');
      await sl.startSwitch();
      await waitForPing(a.ns, '10.0.0.2', 20000);
      assert.equal(await sl.vsctl('--columns=name,ofport', '--format=csv', 'list', 'Interface'), before);
      ip('-n', sl.sw, 'link', 'show', 'br0');
    }));
});
