// NORMAL and fdb/show side by side with a real ovs-vswitchd (3.1, dummy datapath and ports, no kernel
// devices): the same topology in both, the same frames injected (netdev-dummy/receive) and translated,
// and the datapath actions and fdb/show text compared. Skips when Open vSwitch is not installed. As root,
// ovs-vswitchd runs in a network namespace of its own (test/helpers/private-netns.ts).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatActions } from '../../src/datapath/actions.js';
import { OFPP_LOCAL, type PortSettings } from '../../src/ofproto/ofproto.js';
import { runCommand, tempDir, waitFor } from '../helpers/daemons.js';
import { skipUnlessBinaries } from '../helpers/ovs.js';
import { addPrivateNetnsIfRoot, deletePrivateNetns, inNetns } from '../helpers/private-netns.js';
import { bridgeSettings, makeKey, makeOfproto, portSettings, type TestVlan } from './helpers.js';

const BINS = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-appctl'];
const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** Port name → [bridge, ofport, vsctl settings, our settings]. */
const PORTS: [string, string, number, string[], Partial<PortSettings>][] = [
  ['a1', 'br0', 1, ['tag=10'], { tag: 10 }],
  ['a2', 'br0', 2, ['tag=10'], { tag: 10 }],
  ['a3', 'br0', 3, ['tag=20'], { tag: 20 }],
  ['t1', 'br0', 4, [], {}],
  ['t2', 'br0', 5, ['trunks=10'], { trunks: [10] }],
  [
    'nu',
    'br0',
    6,
    ['tag=30', 'vlan_mode=native-untagged', 'trunks=10'],
    {
      tag: 30,
      vlanMode: 'native-untagged',
      trunks: [10],
    },
  ],
  ['pa', 'br0', 7, ['tag=20'], { tag: 20, patchPeer: 'pb' }],
  ['q1', 'br1', 1, [], {}],
  ['pb', 'br1', 2, [], { patchPeer: 'pa' }],
];

/** One frame: input port, MACs, optional VLAN header. */
interface Frame {
  port: string;
  src: string;
  dst: string;
  vlan?: TestVlan;
}

const M = (n: number) => `00:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const BCAST = 'ff:ff:ff:ff:ff:ff';
const FRAMES: Frame[] = [
  { port: 'a1', src: M(1), dst: BCAST },
  { port: 'a3', src: M(3), dst: BCAST },
  { port: 't1', src: M(0x11), dst: BCAST, vlan: { vid: 10, pcp: 3 } },
  { port: 't1', src: M(0x12), dst: M(1), vlan: { vid: 30 } },
  { port: 'a2', src: M(2), dst: M(1) },
  { port: 'nu', src: M(0x31), dst: BCAST },
  { port: 'q1', src: M(0x41), dst: M(3) },
  { port: 't2', src: M(0x51), dst: BCAST, vlan: { vid: 20 } },
  { port: 'a1', src: M(0x61), dst: BCAST, vlan: { vid: 10 } },
  { port: 'a1', src: M(5), dst: M(0x11), vlan: { vid: 0, pcp: 5 } },
  { port: 'a2', src: M(6), dst: '01:80:c2:00:00:00' },
  { port: 't1', src: '01:00:00:00:00:09', dst: M(0x31) },
  { port: 'br0', src: M(0x71), dst: BCAST, vlan: { vid: 30 } },
];

function odpFlow(f: Frame, dp: number): string {
  const l3 = 'ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)';
  const eth = `in_port(${dp}),eth(src=${f.src},dst=${f.dst})`;
  if (f.vlan === undefined) return `${eth},eth_type(0x0800),${l3}`;
  return `${eth},eth_type(0x8100),vlan(vid=${f.vlan.vid},pcp=${f.vlan.pcp ?? 0}),encap(eth_type(0x0800),${l3})`;
}

const maskAges = (text: string) => text.replace(/ +\d+\n/g, ' N\n');

describe('NORMAL against a real ovs-vswitchd', { skip: skipUnlessBinaries(...BINS) }, () => {
  const dir = tempDir('tsovs-ofproto-ovs-');
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
  const dpPorts = new Map<string, number>();
  let netns: string | null = null;

  async function ovs(cmd: string, ...args: string[]): Promise<string> {
    const r = await runCommand(cmd, args, env, 20_000);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
  const vsctl = (...a: string[]) => ovs('ovs-vsctl', `--db=unix:${join(dir, 'db.sock')}`, ...a);
  const appctl = (...a: string[]) => ovs('ovs-appctl', '-t', join(dir, 'vsd.ctl'), ...a);

  before(async () => {
    await ovs('ovsdb-tool', 'create', join(dir, 'conf.db'), SCHEMA);
    await ovs(
      'ovsdb-server',
      join(dir, 'conf.db'),
      `--remote=punix:${join(dir, 'db.sock')}`,
      ...daemonArgs('db'),
    );
    netns = await addPrivateNetnsIfRoot('tsovs-ovsi');
    const [cmd, args] = inNetns(netns, 'ovs-vswitchd', [
      `unix:${join(dir, 'db.sock')}`,
      '--enable-dummy=override',
      ...daemonArgs('vsd'),
    ]);
    await ovs(cmd, ...args);
    for (const br of ['br0', 'br1'])
      await vsctl('add-br', br, '--', 'set', 'bridge', br, 'datapath_type=netdev');
    for (const [name, br, ofport, cols, ours] of PORTS) {
      const type = ours.patchPeer ? ['type=patch', `options:peer=${ours.patchPeer}`] : ['type=dummy'];
      const portCols = cols.length === 0 ? [] : ['--', 'set', 'port', name, ...cols];
      await vsctl(
        'add-port',
        br,
        name,
        '--',
        'set',
        'interface',
        name,
        ...type,
        `ofport_request=${ofport}`,
        ...portCols,
      );
    }
    for (const m of (await appctl('dpif/show')).matchAll(/^\s+(\S+) \d+\/(\d+):/gm))
      dpPorts.set(m[1], Number(m[2]));
  });

  function daemonArgs(name: string): string[] {
    const pid = join(dir, `${name}.pid`);
    return [
      `--pidfile=${pid}`,
      '--detach',
      `--log-file=${join(dir, `${name}.log`)}`,
      `--unixctl=${join(dir, `${name}.ctl`)}`,
    ];
  }

  after(async () => {
    for (const name of ['vsd', 'db']) {
      const file = join(dir, `${name}.pid`);
      if (!existsSync(file)) continue;
      const pid = Number(readFileSync(file, 'utf8').trim());
      try {
        process.kill(pid, 'SIGTERM');
        await waitFor(() => !alive(pid), 10_000, `${name} to exit`);
      } catch {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
    await deletePrivateNetns(netns);
    rmSync(dir, { recursive: true, force: true });
  });

  function ours() {
    const { ofp } = makeOfproto();
    for (const br of ['br0', 'br1']) {
      ofp.setBridge(bridgeSettings(br));
      ofp.setPort(br, portSettings(br, OFPP_LOCAL, dpPorts.get(br) ?? null));
    }
    for (const [name, br, ofport, , over] of PORTS) {
      ofp.setPort(br, portSettings(name, ofport, over.patchPeer ? null : (dpPorts.get(name) ?? null), over));
    }
    return ofp;
  }

  async function installedActions(f: Frame, dp: number): Promise<string> {
    let found: string | undefined;
    await waitFor(
      async () => {
        const want = `in_port(${dp}),packet_type(ns=0,id=0),eth(src=${f.src},dst=${f.dst})`;
        const line = (await appctl('dpctl/dump-flows')).split('\n').find((l) => l.includes(want));
        found = line?.slice(line.indexOf('actions:') + 'actions:'.length);
        return found !== undefined;
      },
      10_000,
      `a datapath flow for ${JSON.stringify(f)}`,
    );
    return found ?? '';
  }

  test('same datapath actions for every frame, same MAC tables', async () => {
    const ofp = ours();
    for (const f of FRAMES) {
      const dp = dpPorts.get(f.port) ?? -1;
      await appctl('netdev-dummy/receive', f.port, odpFlow(f, dp));
      const theirs = await installedActions(f, dp);
      const mine = formatActions(ofp.translate(makeKey({ inPort: dp, ...f }), 0).actions);
      assert.equal(mine, theirs, `actions for ${JSON.stringify(f)}`);
    }
    for (const br of ['br0', 'br1']) {
      assert.equal(maskAges(ofp.fdbShow(br, 0)), maskAges(await appctl('fdb/show', br)), `fdb/show ${br}`);
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
