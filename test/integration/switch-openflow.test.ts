// Forwarding driven by OpenFlow tables on real namespaces (needs root): the real ovs-ofctl 3.1 programs
// our bridge through its management socket, and traffic between namespaces obeys the tables — an ACL
// dropping one TCP port while NORMAL carries the rest, a two-table pipeline with goto_table and resubmit,
// VLAN push/pop across a trunk, MAC rewrite, learn, a select group spreading flows, idle_timeout expiry,
// counters that match the traffic, and no stale cached flow after add-flow/del-flows.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/daemons.js';
import { nsRun, nsRunOk, pingOnce, waitForPing } from '../helpers/netns.js';
import { hasBinary } from '../helpers/ovs.js';
import { requireSwitchLab, SwitchLab } from './switch-lab.js';

interface Host {
  readonly ns: string;
  readonly port: string;
  readonly dev: string;
}

async function quietIpv6(ns: string): Promise<void> {
  await nsRunOk(ns, 'sysctl', [
    '-qw',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  ]);
}

async function host(sl: SwitchLab, prefix: string, cidr: string): Promise<Host> {
  const ns = sl.lab.netns(prefix);
  await quietIpv6(ns);
  const [port, dev] = sl.lab.veth(`${prefix}s`, sl.sw, `${prefix}h`, ns);
  sl.lab.address(ns, dev, cidr);
  return { ns, port, dev };
}

async function macOf(ns: string, dev: string): Promise<string> {
  return (await nsRunOk(ns, 'cat', [`/sys/class/net/${dev}/address`])).trim();
}

async function rxPackets(ns: string, dev: string): Promise<number> {
  return Number((await nsRunOk(ns, 'cat', [`/sys/class/net/${dev}/statistics/rx_packets`])).trim());
}

/** Real `ovs-ofctl [-O VERSION] CMD BRIDGE ARGS` against our bridge's management socket. */
function ofctl(sl: SwitchLab, br: string, ...rest: string[]): Promise<string> {
  if (rest[0] === '-O') return sl.ofctlWith(rest.slice(0, 2), br, rest[2], ...rest.slice(3));
  return sl.ofctl(br, rest[0], ...rest.slice(1));
}

/** n_packets of the flows dump-flows prints for `filter`, in order. */
async function packetCounts(sl: SwitchLab, br: string, filter: string): Promise<number[]> {
  const out = await ofctl(sl, br, 'dump-flows', filter);
  return [...out.matchAll(/n_packets=(\d+)/g)].map((m) => Number(m[1]));
}

/** Whether a TCP connection from `from` to addr:port opens within a second (a node one-liner as client). */
async function tcpConnects(from: string, addr: string, port: number): Promise<boolean> {
  const script = `const s=require('net').connect(${port},'${addr}',()=>process.exit(0));s.on('error',()=>process.exit(2));setTimeout(()=>process.exit(3),1000);`;
  const r = await nsRun(from, process.execPath, ['-e', script], 5000);
  return r.status === 0;
}

/** A TCP listener on every port in `ports` inside `ns` (a node process killed by the lab's cleanup). */
async function tcpListen(sl: SwitchLab, ns: string, ports: number[]): Promise<void> {
  const script = `for(const p of [${ports.join(',')}])require('net').createServer(c=>c.end()).listen(p);console.log('up');`;
  const child = sl.lab.spawnIn(ns, process.execPath, ['-e', script]);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`listener exited ${code}`)));
  });
}

async function withLab(t: TestContext, body: (sl: SwitchLab) => Promise<void>): Promise<void> {
  if (!requireSwitchLab(t)) return;
  if (!hasBinary('ovs-ofctl')) {
    if (process.env.CI === 'true') throw new Error('ovs-ofctl is not installed');
    t.skip('ovs-ofctl is not installed');
    return;
  }
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

/** br0 with h1 (ofport 1) and h2 (ofport 2), 10.0.0.1 and .2, answering pings through NORMAL. */
async function twoHosts(sl: SwitchLab): Promise<{ h1: Host; h2: Host }> {
  const h1 = await host(sl, 'of1', '10.0.0.1/24');
  const h2 = await host(sl, 'of2', '10.0.0.2/24');
  await sl.vsctl(
    'add-br',
    'br0',
    '--',
    'add-port',
    'br0',
    h1.port,
    '--',
    'set',
    'Interface',
    h1.port,
    'ofport_request=1',
    '--',
    'add-port',
    'br0',
    h2.port,
    '--',
    'set',
    'Interface',
    h2.port,
    'ofport_request=2',
  );
  await waitForPing(h1.ns, '10.0.0.2', 20000);
  return { h1, h2 };
}

describe('OpenFlow tables on real namespaces', { concurrency: false }, () => {
  it('an ACL drops one TCP port while NORMAL carries the rest; counters match the traffic', (t) =>
    withLab(t, async (sl) => {
      const { h1, h2 } = await twoHosts(sl);
      // The veth ports and the bridge's own TAP report their link as Open vSwitch 3.1 prints it on this
      // kernel (ethtool: 10 Gb/s, full duplex, twisted pair).
      const show = await ofctl(sl, 'br0', 'show');
      for (const port of [`1(${h1.port})`, `2(${h2.port})`, 'LOCAL(br0)']) {
        const desc = show.split(`\n ${port}: `)[1]?.split(/\n (?=\S)/)[0] ?? '';
        assert.match(
          desc,
          /\n {5}current: {4}10GB-FD COPPER\n {5}speed: 10000 Mbps now, 0 Mbps max/,
          `${port} in\n${show}`,
        );
      }
      await tcpListen(sl, h2.ns, [5001, 5002]);
      assert.ok(await tcpConnects(h1.ns, '10.0.0.2', 5001));
      await ofctl(sl, 'br0', 'add-flow', 'priority=100,tcp,nw_dst=10.0.0.2,tp_dst=5001,actions=drop');
      assert.equal(await tcpConnects(h1.ns, '10.0.0.2', 5001), false, 'port 5001 is blocked at once');
      assert.ok(await tcpConnects(h1.ns, '10.0.0.2', 5002), 'port 5002 still passes');
      // Counters: exactly the pings sent match an ICMP rule (both directions through NORMAL).
      await ofctl(sl, 'br0', 'add-flow', 'priority=50,icmp,nw_src=10.0.0.1,actions=NORMAL');
      await nsRunOk(h1.ns, 'ping', ['-c', '5', '-i', '0.2', '-q', '10.0.0.2']);
      await waitFor(
        async () => (await packetCounts(sl, 'br0', 'icmp,nw_src=10.0.0.1'))[0] === 5,
        5000,
        'n_packets=5',
      );
      await ofctl(sl, 'br0', 'del-flows', 'tcp');
      assert.ok(await tcpConnects(h1.ns, '10.0.0.2', 5001), 'after del-flows port 5001 passes again');
    }));

  it('a two-table pipeline with goto_table and resubmit', (t) =>
    withLab(t, async (sl) => {
      const { h1 } = await twoHosts(sl);
      await ofctl(sl, 'br0', 'del-flows');
      assert.equal(await pingOnce(h1.ns, '10.0.0.2'), false, 'no flows: nothing passes');
      const flows = [
        'table=0,priority=10,in_port=1,actions=goto_table:1',
        'table=0,priority=10,in_port=2,actions=resubmit(,2)',
        'table=1,priority=10,actions=output:2',
        'table=2,priority=10,actions=output:1',
      ];
      for (const f of flows) await ofctl(sl, 'br0', '-O', 'OpenFlow13', 'add-flow', f);
      await waitForPing(h1.ns, '10.0.0.2', 5000);
      const counts = await packetCounts(sl, 'br0', 'table=1');
      assert.ok(counts[0] > 0, 'table 1 saw the traffic');
    }));

  it('VLAN push and pop across a trunk between two bridges; MAC rewrite', (t) =>
    withLab(t, async (sl) => {
      const h1 = await host(sl, 'vl1', '10.0.0.1/24');
      const h2 = await host(sl, 'vl2', '10.0.0.2/24');
      const [x, y] = sl.lab.veth('vtx', sl.sw, 'vty', sl.sw);
      await sl.vsctl('add-br', 'br0', '--', 'add-br', 'br1');
      await sl.vsctl(
        ...['add-port', 'br0', h1.port, '--', 'set', 'Interface', h1.port, 'ofport_request=1'],
        ...['--', 'add-port', 'br0', x, '--', 'set', 'Interface', x, 'ofport_request=2'],
        ...['--', 'add-port', 'br1', h2.port, '--', 'set', 'Interface', h2.port, 'ofport_request=1'],
        ...['--', 'add-port', 'br1', y, '--', 'set', 'Interface', y, 'ofport_request=2'],
      );
      for (const br of ['br0', 'br1']) {
        await ofctl(sl, br, 'del-flows');
        await ofctl(sl, br, 'add-flow', 'in_port=1,actions=mod_vlan_vid:42,output:2');
        await ofctl(sl, br, 'add-flow', 'in_port=2,dl_vlan=42,actions=strip_vlan,output:1');
      }
      const tcpdump = hasBinary('tcpdump')
        ? nsRun(sl.sw, 'tcpdump', ['-i', y, '-e', '-n', '-c', '2', '-l', 'vlan', '42'], 15000)
        : null;
      await waitForPing(h1.ns, '10.0.0.2', 10000);
      if (tcpdump !== null) {
        const r = await tcpdump;
        assert.match(r.stdout, /vlan 42/);
      }
      // MAC rewrite: h1 believes 10.0.0.2 is at 02:00:00:00:00:99; br0 rewrites that to h2's real MAC.
      const realMac = await macOf(h2.ns, h2.dev);
      await nsRunOk(h1.ns, 'ip', [
        'neigh',
        'replace',
        '10.0.0.2',
        'lladdr',
        '02:00:00:00:00:99',
        'dev',
        h1.dev,
      ]);
      await ofctl(
        sl,
        'br0',
        'add-flow',
        `priority=40000,in_port=1,dl_dst=02:00:00:00:00:99,actions=mod_dl_dst:${realMac},mod_vlan_vid:42,output:2`,
      );
      await waitForPing(h1.ns, '10.0.0.2', 10000);
      const counts = await packetCounts(sl, 'br0', 'dl_dst=02:00:00:00:00:99');
      assert.ok(counts[0] > 0);
    }));

  it('learn builds a MAC table in table 1; a select group spreads flows over its buckets', (t) =>
    withLab(t, async (sl) => {
      const h1 = await host(sl, 'ln1', '10.0.0.1/24');
      const h2 = await host(sl, 'ln2', '10.0.0.2/24');
      const h3 = await host(sl, 'ln3', '10.0.0.3/24');
      await sl.vsctl(
        ...[
          'add-br',
          'br0',
          '--',
          'add-port',
          'br0',
          h1.port,
          '--',
          'set',
          'Interface',
          h1.port,
          'ofport_request=1',
        ],
        ...['--', 'add-port', 'br0', h2.port, '--', 'set', 'Interface', h2.port, 'ofport_request=2'],
        ...['--', 'add-port', 'br0', h3.port, '--', 'set', 'Interface', h3.port, 'ofport_request=3'],
      );
      await ofctl(sl, 'br0', 'del-flows');
      await ofctl(
        sl,
        'br0',
        'add-flow',
        'table=0,priority=10,actions=learn(table=1,hard_timeout=60,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)',
      );
      await ofctl(sl, 'br0', 'add-flow', 'table=1,priority=0,actions=flood');
      await waitForPing(h1.ns, '10.0.0.2', 10000);
      await waitForPing(h1.ns, '10.0.0.3', 10000);
      const learned = await ofctl(sl, 'br0', 'dump-flows', 'table=1');
      for (const h of [h1, h2, h3])
        assert.ok(learned.includes(`dl_dst=${await macOf(h.ns, h.dev)}`), learned);
      // A select group: UDP from h1 to a virtual address spreads over h2 and h3 by 5-tuple.
      await ofctl(
        sl,
        'br0',
        '-O',
        'OpenFlow13',
        'add-group',
        'group_id=1,type=select,bucket=output:2,bucket=output:3',
      );
      await ofctl(
        sl,
        'br0',
        '-O',
        'OpenFlow13',
        'add-flow',
        'table=0,priority=100,udp,nw_dst=10.0.0.9,actions=group:1',
      );
      await nsRunOk(h1.ns, 'ip', [
        'neigh',
        'replace',
        '10.0.0.9',
        'lladdr',
        '02:00:00:00:00:09',
        'dev',
        h1.dev,
      ]);
      const before2 = await rxPackets(h2.ns, h2.dev);
      const before3 = await rxPackets(h3.ns, h3.dev);
      await nsRunOk(h1.ns, 'bash', [
        '-c',
        'for p in $(seq 20000 20063); do echo x > /dev/udp/10.0.0.9/$p; done',
      ]);
      await waitFor(
        async () =>
          (await rxPackets(h2.ns, h2.dev)) - before2 + (await rxPackets(h3.ns, h3.dev)) - before3 >= 64,
        5000,
        '64 datagrams delivered',
      );
      const got2 = (await rxPackets(h2.ns, h2.dev)) - before2;
      const got3 = (await rxPackets(h3.ns, h3.dev)) - before3;
      assert.ok(got2 >= 8 && got3 >= 8, `both buckets used: ${got2} / ${got3}`);
      const stats = await ofctl(sl, 'br0', '-O', 'OpenFlow13', 'dump-group-stats');
      assert.match(stats, /group_id=1/);
    }));

  it('idle_timeout expires a flow; del-flows takes effect on traffic at once', (t) =>
    withLab(t, async (sl) => {
      const { h1 } = await twoHosts(sl);
      await ofctl(sl, 'br0', 'add-flow', 'priority=100,arp,idle_timeout=2,actions=NORMAL');
      assert.equal((await packetCounts(sl, 'br0', 'arp')).length, 1);
      await waitFor(async () => (await packetCounts(sl, 'br0', 'arp')).length === 0, 10000, 'idle flow gone');
      // A ping stream: blocked the moment an ICMP drop is added, flowing the moment it is deleted.
      await ofctl(sl, 'br0', 'add-flow', 'priority=200,icmp,actions=drop');
      assert.equal(await pingOnce(h1.ns, '10.0.0.2'), false);
      await ofctl(sl, 'br0', 'del-flows', 'icmp');
      assert.ok(await pingOnce(h1.ns, '10.0.0.2'));
    }));
});
