// The seed's two-host experiment (SEED-EN.md, "node3 and node4") on real namespaces (needs root): two
// hosts, each a network namespace running its own tsovs daemons, joined by a veth "eth1" (10.10.10.1 and
// 10.10.10.2); on each the seed's namespaces (A1/B1 on node3, A2/B2 on node4), three bridges in a loop
// with STP, and a tunnel port on br1 toward the other host — GRE, VXLAN or Geneve. Every namespace pings
// every other across the hosts, a capture on node3's eth1 shows the tunnel carrying STP BPDUs and the ICMP
// echoes, and TCP crosses the tunnel with the veths' default offloads on. Also: two tunnels with different
// keys keep two networks apart, a frame too big for the underlay is dropped and logged with the MTU that
// would fit, and our VXLAN port talks to a Linux kernel vxlan device.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/daemons.js';
import { ip, nsRun, nsRunOk, pingOnce, waitForPing } from '../helpers/netns.js';
import { hasBinary } from '../helpers/ovs.js';
import { capture, requireSwitchLab, SwitchLab, seedLoop } from './switch-lab.js';

const NODE3 = { a: 'A1', b: 'B1', aAddr: '192.168.10.1/24', bAddr: '192.168.10.2/24' };
const NODE4 = { a: 'A2', b: 'B2', aAddr: '192.168.10.10/24', bAddr: '192.168.10.20/24' };

/** Two hosts (node3, node4) with their daemons, joined by eth1; removed after the test. */
async function twoHosts(t: TestContext, underlayMtu = 1600) {
  const node3 = new SwitchLab();
  const node4 = new SwitchLab();
  t.after(async () => {
    await node4.cleanup();
    await node3.cleanup();
  });
  await node3.start();
  await node4.start();
  const [eth3, eth4] = node3.lab.veth('eth1', node3.sw, 'eth1', node4.sw);
  // A jumbo underlay, so that full-size inner frames fit once encapsulated (the MTU test lowers it).
  ip('-n', node3.sw, 'link', 'set', eth3, 'mtu', String(underlayMtu));
  ip('-n', node4.sw, 'link', 'set', eth4, 'mtu', String(underlayMtu));
  node3.lab.address(node3.sw, eth3, '10.10.10.1/24');
  node4.lab.address(node4.sw, eth4, '10.10.10.2/24');
  return { node3, node4, eth3, eth4 };
}

const TUNNELS = [
  { kind: 'gre', name: 'GRE', wire: /GREv0/, stp: /GREv0[^\n]*\n?[^\n]*STP 802\.1d, Config/ },
  {
    kind: 'vxlan',
    name: 'vxlan',
    wire: /10\.10\.10\.\d\.\d+ > 10\.10\.10\.\d\.4789: VXLAN/,
    stp: /STP 802\.1d, Config/,
  },
  {
    kind: 'geneve',
    name: 'geneve',
    wire: /10\.10\.10\.\d\.\d+ > 10\.10\.10\.\d\.6081: Geneve/,
    stp: /STP 802\.1d, Config/,
  },
] as const;

describe('the seed across two hosts', { concurrency: false }, () => {
  for (const tunnel of TUNNELS) {
    it(`${tunnel.kind}: every namespace reaches every other, the capture shows the tunnel, TCP crosses it`, async (t) => {
      if (!requireSwitchLab(t)) return;
      const { node3, node4, eth3 } = await twoHosts(t);
      const h3 = await seedLoop(node3, 'stp', NODE3);
      const h4 = await seedLoop(node4, 'stp', NODE4);
      for (const [sl, remote] of [
        [node3, '10.10.10.2'],
        [node4, '10.10.10.1'],
      ] as const) {
        await sl.vsctl(
          ...['add-port', 'br1', tunnel.name, '--', 'set', 'Interface', tunnel.name, `type=${tunnel.kind}`],
          `options:remote_ip=${remote}`,
        );
      }
      const dump = hasBinary('tcpdump') ? await capture(node3, node3.sw, eth3, []) : null;
      const pairs: [string, string][] = [
        [h3.a1, '192.168.10.10'],
        [h3.a1, '192.168.10.20'],
        [h3.b1, '192.168.10.10'],
        [h3.b1, '192.168.10.20'],
        [h4.a1, '192.168.10.1'],
        [h4.a1, '192.168.10.2'],
        [h4.b1, '192.168.10.1'],
        [h4.b1, '192.168.10.2'],
      ];
      // The six bridges form one spanning tree across the tunnel first (STP's timers), then all pings work.
      await waitForPing(pairs[0][0], pairs[0][1], 60000).catch((err: Error) => {
        throw new Error(`${err.message}\n${node3.log()}`);
      });
      for (const [ns, addr] of pairs) assert.ok(await pingOnce(ns, addr), `${ns} reaches ${addr}`);

      const list = await node3.appctl('ofproto/list-tunnels');
      assert.match(
        list,
        new RegExp(`: ${tunnel.name} \\(${tunnel.kind}: ::->10\\.10\\.10\\.2, key=0, legacy_l2`),
      );
      const status = await node3.vsctl('get', 'Interface', tunnel.name, 'status');
      assert.match(status, new RegExp(`tunnel_egress_iface="?${eth3.replace('.', '\\.')}"?`), status);
      assert.match(status, /tunnel_egress_iface_carrier=up/, status);
      assert.match(status, /tunnel_remote_ip="10\.10\.10\.2"/, status);

      // TCP across the tunnel with the veths' offloads on (GSO super-frames cut before encapsulation).
      if (hasBinary('iperf3')) {
        const server = node4.lab.spawnIn(h4.a1, 'iperf3', ['-s', '-1', '-B', '192.168.10.10']);
        await waitFor(
          async () => (await nsRun(h4.a1, 'ss', ['-ltn'])).stdout.includes(':5201'),
          10000,
          'iperf3',
        );
        const r = await nsRunOk(h3.a1, 'iperf3', ['-c', '192.168.10.10', '-t', '2', '-J'], 30000);
        server.kill();
        const bps = (JSON.parse(r) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
          .bits_per_second;
        t.diagnostic(`TCP over ${tunnel.kind}: ${(bps / 1e9).toFixed(2)} Gbit/s`);
        assert.ok(bps > 10e6, `TCP crossed the tunnel at ${bps} bit/s`);
      } else if (process.env.CI === 'true') throw new Error('iperf3 is missing');

      if (dump === null) {
        if (process.env.CI === 'true') throw new Error('tcpdump is missing');
        return;
      }
      await waitFor(() => tunnel.stp.test(dump.text()), 15000, 'a BPDU through the tunnel').catch(
        () => undefined,
      );
      const text = await dump.stop();
      assert.match(text, tunnel.wire, text.slice(0, 3000));
      assert.match(text, tunnel.stp, text.slice(0, 3000));
      assert.match(text, /192\.168\.10\.\d+ > 192\.168\.10\.\d+: ICMP echo request/, text.slice(0, 3000));
    });
  }

  it('two GRE tunnels with different keys keep two networks apart', async (t) => {
    if (!requireSwitchLab(t)) return;
    const { node3, node4 } = await twoHosts(t);
    const hosts = new Map<string, string>();
    for (const [sl, remote, base] of [
      [node3, '10.10.10.2', 1],
      [node4, '10.10.10.1', 2],
    ] as const) {
      for (const key of [1, 2]) {
        const ns = sl.lab.netns(`k${key}h${base}`);
        const [sw, host] = sl.lab.veth(`k${key}.1`, sl.sw, `k${key}.2`, ns);
        // Network `key`: host `base` has address 10.20.0.(key*10 + base).
        sl.lab.address(ns, host, `10.20.0.${key * 10 + base}/24`);
        hosts.set(`${key}/${base}`, ns);
        await sl.vsctl(
          ...['add-br', `bk${key}`, '--', 'add-port', `bk${key}`, sw],
          ...['--', 'add-port', `bk${key}`, `gre${key}`, '--', 'set', 'Interface', `gre${key}`, 'type=gre'],
          `options:remote_ip=${remote}`,
          `options:key=${key}`,
        );
      }
    }
    const ns = (key: number, host: number) => hosts.get(`${key}/${host}`) ?? '';
    await waitForPing(ns(1, 1), '10.20.0.12', 20000);
    await waitForPing(ns(2, 1), '10.20.0.22', 20000);
    // Same subnet, but the other key's hosts are out of reach.
    assert.equal(await pingOnce(ns(1, 1), '10.20.0.22'), false, 'key 1 does not reach key 2');
    assert.equal(await pingOnce(ns(2, 2), '10.20.0.11'), false, 'key 2 does not reach key 1');
    const list = await node3.appctl('ofproto/list-tunnels');
    assert.match(list, /: gre1 \(gre: ::->10\.10\.10\.2, key=0x1, legacy_l2/);
    assert.match(list, /: gre2 \(gre: ::->10\.10\.10\.2, key=0x2, legacy_l2/);
  });

  it('drops a frame too big for the underlay, counts it and logs the MTU that would fit', async (t) => {
    if (!requireSwitchLab(t)) return;
    const { node3, node4 } = await twoHosts(t, 1500);
    const hosts: string[] = [];
    for (const [sl, remote, addr] of [
      [node3, '10.10.10.2', '10.30.0.1/24'],
      [node4, '10.10.10.1', '10.30.0.2/24'],
    ] as const) {
      const ns = sl.lab.netns('mtu');
      const [sw, host] = sl.lab.veth('m.1', sl.sw, 'm.2', ns);
      sl.lab.address(ns, host, addr);
      hosts.push(ns);
      await sl.vsctl(
        ...['add-br', 'brm', '--', 'add-port', 'brm', sw, '--', 'add-port', 'brm', 'vx'],
        ...['--', 'set', 'Interface', 'vx', 'type=vxlan', `options:remote_ip=${remote}`],
      );
    }
    await waitForPing(hosts[0], '10.30.0.2', 20000);
    // 1400 bytes of ICMP data: a 1442-byte frame, 1478 bytes once in VXLAN over IPv4 — fits 1500.
    const fits = await nsRun(hosts[0], 'ping', ['-c', '1', '-W', '2', '-s', '1400', '-M', 'do', '10.30.0.2']);
    assert.equal(fits.status, 0, fits.stdout + fits.stderr);
    // 1472 bytes: a 1514-byte frame, 1550 bytes encapsulated — too big: dropped, counted, logged.
    const big = await nsRun(hosts[0], 'ping', ['-c', '2', '-W', '1', '-s', '1472', '-M', 'do', '10.30.0.2']);
    assert.notEqual(big.status, 0, 'the big ping is dropped');
    await waitFor(() => /vx: dropped a 1514-byte frame/.test(node3.log()), 10000, 'the log line').catch(
      () => undefined,
    );
    assert.match(
      node3.log(),
      /vx: dropped a 1514-byte frame: encapsulated in VXLAN it needs 1550 bytes, more than the MTU 1500 of \S+; an MTU of 1450 on the inner interfaces would fit/,
    );
    await waitFor(
      async () => /tx_dropped=[1-9]/.test(await node3.vsctl('get', 'Interface', 'vx', 'statistics')),
      15000,
      'tx_dropped counted',
    );
  });

  it('our VXLAN port talks to a Linux kernel vxlan device on the other host', async (t) => {
    if (!requireSwitchLab(t)) return;
    const { node3, node4, eth4 } = await twoHosts(t);
    const ns = node3.lab.netns('kvx');
    const [sw, host] = node3.lab.veth('kv.1', node3.sw, 'kv.2', ns);
    node3.lab.address(ns, host, '192.168.50.1/24');
    await node3.vsctl(
      ...['add-br', 'brv', '--', 'add-port', 'brv', sw, '--', 'add-port', 'brv', 'vx'],
      ...['--', 'set', 'Interface', 'vx', 'type=vxlan', 'options:remote_ip=10.10.10.2', 'options:key=100'],
    );
    // node4 runs no switch here: the kernel's own VXLAN device, VNI 100, with the far address on it.
    ip(
      '-n',
      node4.sw,
      'link',
      'add',
      'kvx0',
      'type',
      'vxlan',
      'id',
      '100',
      'remote',
      '10.10.10.1',
      'dstport',
      '4789',
      'dev',
      eth4,
    );
    ip('-n', node4.sw, 'link', 'set', 'kvx0', 'up');
    node4.lab.address(node4.sw, 'kvx0', '192.168.50.2/24');
    await waitForPing(ns, '192.168.50.2', 20000);
    assert.ok(await pingOnce(node4.sw, '192.168.50.1'), 'the kernel side reaches ours');
  });
});
