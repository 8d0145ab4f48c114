// Our GRE port against real Open vSwitch 3.1's GRE port on the other host (needs root and
// openvswitch-switch). node3 runs tsovs: bridge br1 with a namespace host 192.168.60.1/24 and a GRE port
// toward 10.10.10.2. node4 runs no tsovs, only real OVS with its userspace tunneling set up as its
// documentation says (Documentation/howto/userspace-tunneling.rst; the kernel has no openvswitch module,
// so both bridges are datapath_type=netdev): br-phy with node4's eth1 as a port and the underlay address
// 10.10.10.2/24 moved from eth1 to br-phy's internal interface, and br-int with a GRE port toward
// 10.10.10.1 and a namespace host 192.168.60.2/24. The two hosts ping each other both ways; real OVS
// learnt its route and ARP entry for 10.10.10.1 by itself, its datapath pops and pushes the GRE header,
// and a capture on node3's eth1 shows GRE (protocol 0x6558, Transparent Ethernet Bridging) both ways, the
// same header from either side. Once without a key, once with options:key=7 on both sides (and then
// key=8 on theirs: nothing crosses, real OVS finds no port for our key 7).
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { waitFor } from '../helpers/daemons.js';
import { ip, pingOnce, waitForPing } from '../helpers/netns.js';
import { hasBinary, requireBinaries } from '../helpers/ovs.js';
import { REAL_OVS_BINARIES, RealOvs } from '../helpers/real-ovs.js';
import { capture, requireSwitchLab, SwitchLab } from './switch-lab.js';

type Capture = Awaited<ReturnType<typeof capture>>;

/** One captured frame: tcpdump's -v text and its bytes (from -xx). */
interface Frame {
  text: string;
  bytes: Buffer;
}

/** The frames of a `tcpdump -v -xx` output. */
function frames(out: string): Frame[] {
  const result: Frame[] = [];
  let cur: { text: string[]; hex: string[] } | null = null;
  for (const line of out.split('\n')) {
    const hex = line.match(/^\s+0x[0-9a-f]{4}:\s+((?:[0-9a-f]{2,4}\s?)+)/);
    if (hex !== null && cur !== null) cur.hex.push(hex[1].replaceAll(/\s/g, ''));
    else if (/^\d{2}:\d{2}:\d{2}\.\d+ /.test(line)) {
      if (cur !== null)
        result.push({ text: cur.text.join('\n'), bytes: Buffer.from(cur.hex.join(''), 'hex') });
      cur = { text: [line], hex: [] };
    } else if (cur !== null) cur.text.push(line);
  }
  if (cur !== null) result.push({ text: cur.text.join('\n'), bytes: Buffer.from(cur.hex.join(''), 'hex') });
  return result;
}

/** The GRE header of an Ethernet + IPv4 + GRE frame: flags/version word, protocol, key (or null). */
function greHeader(bytes: Buffer): { flags: number; proto: number; key: number | null; inner: Buffer } {
  const ihl = (bytes[14] & 0x0f) * 4;
  const at = 14 + ihl;
  const flags = bytes.readUInt16BE(at);
  const proto = bytes.readUInt16BE(at + 2);
  let off = at + 4;
  if (flags & 0x8000) off += 4; // checksum + reserved
  let key: number | null = null;
  if (flags & 0x2000) {
    key = bytes.readUInt32BE(off);
    off += 4;
  }
  if (flags & 0x1000) off += 4; // sequence number
  return { flags, proto, key, inner: bytes.subarray(off) };
}

/** The MAC address of `dev` in namespace `ns`. */
function macOf(ns: string, dev: string): string {
  return (JSON.parse(ip('-j', '-n', ns, 'link', 'show', dev)) as { address: string }[])[0].address;
}

/** The IPv4 addresses of `dev` in namespace `ns`. */
function ipv4Of(ns: string, dev: string): string[] {
  const links = JSON.parse(ip('-j', '-n', ns, 'addr', 'show', 'dev', dev)) as {
    addr_info: { family: string; local: string }[];
  }[];
  return links[0].addr_info.filter((a) => a.family === 'inet').map((a) => a.local);
}

/** The IPv4 source and destination of an Ethernet + IPv4 frame ("a.b.c.d"). */
function ipv4Addrs(bytes: Buffer, at = 14): [string, string] {
  const addr = (o: number) => [...bytes.subarray(o, o + 4)].join('.');
  return [addr(at + 12), addr(at + 16)];
}

/**
 * node3 (tsovs) and node4 (real OVS, userspace tunneling) joined by eth1, a host on each side behind a
 * GRE tunnel with `key` (none when null); pings both ways and checks both sides' view and the wire.
 */
async function greToRealOvs(t: TestContext, key: number | null): Promise<void> {
  if (!requireSwitchLab(t)) return;
  if (!requireBinaries(t, ...REAL_OVS_BINARIES)) return;
  const node3 = new SwitchLab();
  const ovs = new RealOvs();
  t.after(() => node3.cleanup());
  node3.lab.onCleanup(() => ovs.cleanup());
  await node3.start();
  // node4: a namespace of node3's lab (removed with it), running real OVS and no tsovs.
  const node4 = node3.lab.netns('node4');
  const [eth3, eth4] = node3.lab.veth('eth1', node3.sw, 'eth1', node4);
  node3.lab.address(node3.sw, eth3, '10.10.10.1/24');
  node3.lab.address(node4, eth4, '10.10.10.2/24');
  const h3 = node3.lab.netns('g3h');
  const [p3, v3] = node3.lab.veth('g3.1', node3.sw, 'g3.2', h3);
  node3.lab.address(h3, v3, '192.168.60.1/24');
  const h4 = node3.lab.netns('g4h');
  const [p4, v4] = node3.lab.veth('g4.1', node4, 'g4.2', h4);
  node3.lab.address(h4, v4, '192.168.60.2/24');
  const keyOpt = key === null ? [] : [`options:key=${key}`];

  // node3: ours.
  await node3.vsctl(
    ...['add-br', 'br1', '--', 'add-port', 'br1', p3, '--', 'add-port', 'br1', 'gre0'],
    ...['--', 'set', 'Interface', 'gre0', 'type=gre', 'options:remote_ip=10.10.10.2', ...keyOpt],
  );

  // node4: real OVS, as userspace-tunneling.rst sets it up.
  await ovs.start(node4);
  await ovs.vsctl(
    ...['--may-exist', 'add-br', 'br-int', '--', 'set', 'Bridge', 'br-int', 'datapath_type=netdev'],
    ...['--', 'br-set-external-id', 'br-int', 'bridge-id', 'br-int'],
    ...['--', 'set', 'bridge', 'br-int', 'fail-mode=standalone'],
  );
  await ovs.vsctl('add-port', 'br-int', p4);
  await ovs.vsctl(
    ...['add-port', 'br-int', 'gre0', '--', 'set', 'interface', 'gre0', 'type=gre'],
    ...['options:remote_ip=10.10.10.1', ...keyOpt],
  );
  const eth4Mac = macOf(node4, eth4);
  await ovs.vsctl(
    ...['--may-exist', 'add-br', 'br-phy', '--', 'set', 'Bridge', 'br-phy', 'datapath_type=netdev'],
    ...['--', 'br-set-external-id', 'br-phy', 'bridge-id', 'br-phy'],
    ...['--', 'set', 'bridge', 'br-phy', 'fail-mode=standalone', `other_config:hwaddr=${eth4Mac}`],
  );
  await ovs.vsctl('--timeout=10', 'add-port', 'br-phy', eth4);
  ip('-n', node4, 'addr', 'add', '10.10.10.2/24', 'dev', 'br-phy');
  ip('-n', node4, 'link', 'set', 'br-phy', 'up');
  ip('-n', node4, 'addr', 'flush', 'dev', eth4);
  ip('-n', node4, 'link', 'set', eth4, 'up');

  // Real OVS's tunnel route comes from the namespace's kernel routes (or is added as the howto says).
  let routes = '';
  await waitFor(
    async () => {
      routes = await ovs.appctl('ovs/route/show');
      return /10\.10\.10\.0\/24 dev br-phy/.test(routes);
    },
    10000,
    'real OVS to learn the route to 10.10.10.0/24',
  ).catch(async () => {
    t.diagnostic(`ovs/route/show had no route to 10.10.10.0/24, added it:\n${routes}`);
    await ovs.appctl('ovs/route/add', '10.10.10.0/24', 'br-phy');
    routes = await ovs.appctl('ovs/route/show');
  });
  assert.match(routes, /10\.10\.10\.0\/24 dev br-phy/, routes);

  const dump = hasBinary('tcpdump')
    ? await capture(node3, node3.sw, eth3, ['-xx', 'ip', 'proto', '47'])
    : null;
  const started = Date.now();
  // What both sides and the wire showed, for a failure message.
  const show = async (cmd: string) => {
    const r = await ovs.appctlRun(cmd);
    return `\n--- ${cmd}:\n${r.stdout}${r.stderr}`;
  };
  const why = async () =>
    (await show('ovs/route/show')) +
    (await show('tnl/arp/show')) +
    (await show('tnl/ports/show')) +
    (await show('dpctl/dump-flows')) +
    `\n--- real OVS log:\n${ovs.log().split('\n').slice(-40).join('\n')}` +
    `\n--- tsovs log:\n${node3.log().split('\n').slice(-20).join('\n')}` +
    `\n--- capture:\n${dump?.text().slice(0, 4000)}`;
  const explain = async (err: Error) => {
    throw new Error(`${err.message}${await why()}`);
  };
  // Ours to theirs first (ARP through the tunnel, real OVS's own ARP for 10.10.10.1), then theirs to ours.
  await waitForPing(h3, '192.168.60.2', 20000).catch(explain);
  t.diagnostic(`192.168.60.1 reached 192.168.60.2 after ${Date.now() - started} ms`);
  await waitForPing(h4, '192.168.60.1', 10000).catch(explain);
  assert.ok(await pingOnce(h3, '192.168.60.2'), 'ours reaches the real OVS side again');

  // Real OVS learnt where 10.10.10.1 is by itself (its route above, its ARP snooping here), and its
  // datapath both pops our GRE packets and pushes its own, with the header we send too.
  const arp = await ovs.appctl('tnl/arp/show');
  const eth3Mac = macOf(node3.sw, eth3);
  assert.match(arp, new RegExp(`10\\.10\\.10\\.1\\s+${eth3Mac}\\s+br-phy`), arp);
  const flows = await ovs.appctl('dpctl/dump-flows');
  assert.match(flows, /actions:.*tnl_pop\(/, flows);
  // The header real OVS pushes: to eth1's MAC and 10.10.10.1, GRE with the key flag and key when set.
  const gre =
    key === null
      ? 'gre\\(\\(flags=0x0,proto=0x6558\\)\\)'
      : `gre\\(\\(flags=0x2000,proto=0x6558\\),key=0x${key.toString(16)}\\)`;
  const pushed = new RegExp(
    `tnl_push\\(tnl_port\\(\\d+\\),header\\(size=\\d+,type=3,` +
      `eth\\(dst=${eth3Mac},src=${eth4Mac},dl_type=0x0800\\),` +
      `ipv4\\(src=10\\.10\\.10\\.2,dst=10\\.10\\.10\\.1,proto=47,[^)]*\\),${gre}\\)`,
  );
  assert.match(flows, pushed, flows);
  assert.deepEqual(ipv4Of(node4, eth4), [], "node4's eth1 has no IPv4 address");
  assert.deepEqual(ipv4Of(node4, 'br-phy'), ['10.10.10.2'], 'the underlay address is on br-phy');
  const tunnels = await node3.appctl('ofproto/list-tunnels');
  const ourKey = key === null ? '0' : `0x${key.toString(16)}`;
  assert.match(tunnels, new RegExp(`: gre0 \\(gre: ::->10\\.10\\.10\\.2, key=${ourKey}, legacy_l2`), tunnels);

  // Real OVS took every GRE packet we sent for its port (a key or header it did not match would be
  // logged as "receive tunnel port not found").
  assert.doesNotMatch(ovs.log(), /receive tunnel port not found/, ovs.log());

  if (dump === null) {
    if (process.env.CI === 'true') throw new Error('tcpdump is missing');
  } else await checkWire(dump, key);

  if (key !== null) {
    // The key is what matches: with a different key on their side, our packets find no port there.
    // (Polled: until its revalidators catch up, a cached datapath flow may still pass a ping or two.)
    await ovs.vsctl('set', 'Interface', 'gre0', `options:key=${key + 1}`);
    await waitFor(async () => !(await pingOnce(h3, '192.168.60.2')), 10000, 'no ping across different keys');
    await waitFor(
      () => new RegExp(`receive tunnel port not found \\([^)]*tun_id=0x${key.toString(16)},`).test(ovs.log()),
      5000,
      'real OVS to log our packet with the other key',
    );
  }
}

/** Checks a capture of node3's eth1: GRE both ways, each side's echo requests and replies inside, the
 * same GRE header (flags, protocol 0x6558, `key`) from ours and from real OVS. */
async function checkWire(dump: Capture, key: number | null): Promise<void> {
  const wanted = (src: string, dst: string, inner: RegExp) => (f: Frame) =>
    f.text.includes(`${src} > ${dst}: GREv0`) && inner.test(f.text);
  const request = /192\.168\.60\.1 > 192\.168\.60\.2: ICMP echo request/;
  const reply = /192\.168\.60\.2 > 192\.168\.60\.1: ICMP echo reply/;
  await waitFor(
    () => {
      const fs = frames(dump.text());
      return (
        fs.some(wanted('10.10.10.1', '10.10.10.2', request)) &&
        fs.some(wanted('10.10.10.2', '10.10.10.1', reply))
      );
    },
    5000,
    'both directions in the capture',
  ).catch(() => undefined); // the assertions below say what is missing
  const text = await dump.stop();
  const all = frames(text);
  const excerpt = text.slice(0, 6000);
  const ours = all.find(wanted('10.10.10.1', '10.10.10.2', request));
  const theirs = all.find(wanted('10.10.10.2', '10.10.10.1', reply));
  assert.ok(ours !== undefined, `our GRE packet with an echo request on eth1\n${excerpt}`);
  assert.ok(theirs !== undefined, `real OVS's GRE packet with an echo reply on eth1\n${excerpt}`);
  for (const [who, f] of [
    ['ours', ours],
    ['theirs', theirs],
  ] as const) {
    const g = greHeader(f.bytes);
    assert.equal(g.proto, 0x6558, `${who}: GRE protocol Transparent Ethernet Bridging\n${f.text}`);
    assert.equal(
      g.flags,
      key === null ? 0 : 0x2000,
      `${who}: GRE flags (key only when configured)\n${f.text}`,
    );
    assert.equal(g.key, key, `${who}: GRE key\n${f.text}`);
    assert.equal(f.bytes.readUInt16BE(12), 0x0800, `${who}: IPv4 underlay`);
    assert.equal(f.bytes[14 + 9], 47, `${who}: IP protocol 47`);
    // The inner frame is Ethernet + IPv4 between the two hosts.
    assert.equal(g.inner.readUInt16BE(12), 0x0800, `${who}: inner IPv4\n${f.text}`);
    const [src, dst] = ipv4Addrs(g.inner);
    assert.deepEqual(
      [src, dst],
      who === 'ours' ? ['192.168.60.1', '192.168.60.2'] : ['192.168.60.2', '192.168.60.1'],
      f.text,
    );
    if (key !== null) assert.match(f.text, new RegExp(`key=0x${key.toString(16)}`), f.text);
  }
  // Their side's echo requests (from 192.168.60.2) went through too.
  assert.ok(
    all.some(wanted('10.10.10.2', '10.10.10.1', /192\.168\.60\.2 > 192\.168\.60\.1: ICMP echo request/)),
    excerpt,
  );
  assert.ok(
    all.some(wanted('10.10.10.1', '10.10.10.2', /192\.168\.60\.1 > 192\.168\.60\.2: ICMP echo reply/)),
    excerpt,
  );
}

describe('GRE with real Open vSwitch 3.1 on the other host', { concurrency: false }, () => {
  it("our GRE port talks to real OVS's GRE port: pings both ways, GREv0 with protocol 0x6558 on the wire", (t) =>
    greToRealOvs(t, null));
  it('the same with options:key=7 on both sides: the key on the wire both ways', (t) => greToRealOvs(t, 7));
});
