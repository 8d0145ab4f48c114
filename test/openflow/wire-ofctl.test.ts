// The OpenFlow codec against the real thing: Open vSwitch 3.1's ovs-vswitchd (dummy datapath, private run
// directory, no root or namespaces needed) and ovs-ofctl talking through a recording proxy. Every message
// either side sends must decode (no unknown type) and encode back to the same bytes. Then our own client
// collects the switch's asynchronous messages (packet-in, flow-removed, port-status), and malformed
// requests get the same OpenFlow error from ovs-vswitchd as our decoder names. As root, ovs-vswitchd runs in
// a network namespace of its own (test/helpers/private-netns.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OfConnection, OfpRemoteError } from '../../src/openflow/conn.js';
import {
  decodeMessage,
  encodeMessage,
  helloFailed,
  helloFor,
  OFPT_FLOW_MOD,
  type OfMessage,
  tryDecodeMessage,
} from '../../src/openflow/messages.js';
import { OFPP_CONTROLLER } from '../../src/openflow/messages-actions.js';
import { buildMessage, hex, OfpFramer, unhex } from '../../src/openflow/wire.js';
import { OfpError } from '../../src/openflow/wire-errors.js';
import { OVS_SCHEMA, runCommand, tempDir, waitFor } from '../helpers/daemons.js';
import { addPrivateNetnsIfRoot, deletePrivateNetnsSync, inNetns } from '../helpers/private-netns.js';

const NEEDED = ['ovs-ofctl', 'ovs-vswitchd', 'ovsdb-server', 'ovsdb-tool', 'ovs-vsctl', 'ovs-appctl'];
const missing = NEEDED.filter(
  (b) => spawnSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' }).status !== 0,
);
const SKIP = missing.length > 0 ? `needs Open vSwitch (${missing.join(', ')} missing)` : false;

/** ovsdb-server + ovs-vswitchd with one dummy bridge br0 (ports p1, p2), all in a temp directory. */
class DummyOvs {
  readonly dir = tempDir('ofwire-ovs-');
  private netns: string | null = null;
  get db(): string {
    return join(this.dir, 'db.sock');
  }
  get mgmt(): string {
    return join(this.dir, 'br0.mgmt');
  }
  get ctl(): string {
    return join(this.dir, 'vswitchd.ctl');
  }

  private async ok(cmd: string, args: string[]): Promise<string> {
    const r = await runCommand(
      cmd,
      args,
      { OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir },
      30000,
    );
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  async start(): Promise<void> {
    const d = this.dir;
    await this.ok('ovsdb-tool', ['create', join(d, 'conf.db'), OVS_SCHEMA]);
    await this.ok('ovsdb-server', [
      join(d, 'conf.db'),
      `--remote=punix:${this.db}`,
      `--pidfile=${join(d, 'ovsdb-server.pid')}`,
      `--unixctl=${join(d, 'ovsdb-server.ctl')}`,
      `--log-file=${join(d, 'ovsdb-server.log')}`,
      '--no-chdir',
      '--detach',
    ]);
    await this.vsctl('--no-wait', 'init');
    this.netns = await addPrivateNetnsIfRoot('tsovs-wof');
    await this.ok(
      ...inNetns(this.netns, 'ovs-vswitchd', [
        `unix:${this.db}`,
        '--enable-dummy=override',
        `--pidfile=${join(d, 'ovs-vswitchd.pid')}`,
        `--unixctl=${this.ctl}`,
        `--log-file=${join(d, 'ovs-vswitchd.log')}`,
        '--no-chdir',
        '--detach',
      ]),
    );
    await this.vsctl(
      'add-br',
      'br0',
      '--',
      'set',
      'bridge',
      'br0',
      'datapath_type=dummy',
      '--',
      'add-port',
      'br0',
      'p1',
      '--',
      'set',
      'interface',
      'p1',
      'type=dummy',
      'ofport_request=1',
      '--',
      'add-port',
      'br0',
      'p2',
      '--',
      'set',
      'interface',
      'p2',
      'type=dummy',
      'ofport_request=2',
    );
    await waitFor(() => existsSync(this.mgmt), 10000, 'br0.mgmt');
  }

  vsctl(...args: string[]): Promise<string> {
    return this.ok('ovs-vsctl', [`--db=unix:${this.db}`, '--timeout=20', ...args]);
  }

  appctl(...args: string[]): Promise<string> {
    return this.ok('ovs-appctl', ['-t', this.ctl, ...args]);
  }

  private kill(name: string): void {
    try {
      const pid = Number.parseInt(readFileSync(join(this.dir, `${name}.pid`), 'utf8').trim(), 10);
      if (pid > 1) process.kill(pid, 'SIGTERM');
    } catch {
      // Not running.
    }
  }

  /** Kills both daemons and removes the directory, synchronously (also used on process exit). */
  killNow(): void {
    this.kill('ovs-vswitchd');
    this.kill('ovsdb-server');
    deletePrivateNetnsSync(this.netns);
    this.netns = null;
    rmSync(this.dir, { recursive: true, force: true });
    // Again once they have exited, in case they wrote a last file.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async cleanup(): Promise<void> {
    this.kill('ovs-vswitchd');
    this.kill('ovsdb-server');
    deletePrivateNetnsSync(this.netns);
    this.netns = null;
    await new Promise((r) => setTimeout(r, 200));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One message as it crossed the proxy: C = from ovs-ofctl, S = from the switch. */
interface Record {
  dir: 'C' | 'S';
  bytes: Uint8Array;
}

/** A unix-socket proxy in front of the switch's management socket that records every message. */
class RecordingProxy {
  records: Record[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly path: string,
    private readonly target: string,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect({ path: this.target });
      this.sockets.add(client);
      this.sockets.add(upstream);
      this.pump(client, upstream, 'C');
      this.pump(upstream, client, 'S');
    });
    await new Promise<void>((res) => this.server?.listen(this.path, res));
  }

  private pump(from: Socket, to: Socket, dir: 'C' | 'S'): void {
    const framer = new OfpFramer();
    from.on('data', (chunk) => {
      for (const bytes of framer.feed(chunk).messages) this.records.push({ dir, bytes });
      to.write(chunk);
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', () => this.sockets.delete(from));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
  }
}

/** Decodes, re-encodes and compares every record; returns the message types seen (as "v:type"). */
function roundTripAll(records: Record[]): Set<string> {
  const seen = new Set<string>();
  for (const { dir, bytes } of records) {
    let msg: OfMessage;
    try {
      msg = decodeMessage(bytes);
    } catch (err) {
      assert.fail(`${dir} message does not decode (${(err as Error).message}): ${hex(bytes).slice(0, 200)}`);
    }
    seen.add(`${msg.version}:${msg.type}`);
    const again = encodeMessage(msg);
    if (Buffer.compare(again, bytes) !== 0) {
      assert.fail(`${dir} ${msg.type} re-encodes differently:\n  wire ${hex(bytes)}\n  ours ${hex(again)}`);
    }
  }
  return seen;
}

const ARP_FRAME = 'ffffffffffff000000000001080600010800060400010000000000010a000001000000000000';
const UDP_FRAME =
  '0000000000020000000000010800450000200001000040117cca0a0000010a000002003500350008000000000000';

describe('OpenFlow codec against ovs-ofctl and ovs-vswitchd 3.1', { skip: SKIP }, () => {
  const ovs = new DummyOvs();
  let proxy: RecordingProxy;
  const target = () => `unix:${proxy.path}`;

  // The daemons detach: if this process ends before `after` runs (a timeout, a signal), kill them anyway.
  const onExit = () => ovs.killNow();
  const onSignal = (signal: NodeJS.Signals) => {
    ovs.killNow();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

  before(async () => {
    process.once('exit', onExit);
    for (const s of SIGNALS) process.once(s, onSignal);
    await ovs.start();
    proxy = new RecordingProxy(join(ovs.dir, 'proxy.sock'), ovs.mgmt);
    await proxy.start();
  });

  after(async () => {
    await proxy?.stop();
    await ovs.cleanup();
    process.off('exit', onExit);
    for (const s of SIGNALS) process.off(s, onSignal);
  });

  /** Runs ovs-ofctl ARGS… against the proxy; asserts it succeeded unless `mayFail`. */
  async function ofctl(args: string[], mayFail = false): Promise<string> {
    const r = await runCommand('ovs-ofctl', args, {}, 20000);
    if (!mayFail) assert.equal(r.status, 0, `ovs-ofctl ${args.join(' ')}: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 20));
    return r.stdout;
  }

  /** Runs commands as [args...] where the bridge goes after the options and the command name. */
  async function session(version: string[], commands: string[][]): Promise<Set<string>> {
    proxy.records = [];
    for (const [cmd, ...rest] of commands) await ofctl([...version, cmd, target(), ...rest]);
    return roundTripAll(proxy.records);
  }

  it('ovs-ofctl -O OpenFlow10: show, stats, ports, frags, flows, packet-out, deletes', async () => {
    const seen = await session(
      ['-O', 'OpenFlow10'],
      [
        ['show'],
        ['dump-desc'],
        ['dump-tables'],
        ['dump-ports'],
        ['dump-ports', '1'],
        ['dump-ports-desc'],
        ['get-frags'],
        ['set-frags', 'drop'],
        ['set-frags', 'normal'],
        ['mod-port', 'p1', 'down'],
        ['mod-port', 'p1', 'up'],
        ['add-flow', 'priority=100,ip,nw_dst=10.0.0.1,actions=output:1'],
        [
          'add-flow',
          'priority=90,dl_vlan=5,ip,nw_src=10.1.0.0/16,actions=mod_vlan_vid:7,mod_vlan_pcp:2,mod_dl_src:00:11:22:33:44:55,' +
            'mod_dl_dst:66:77:88:99:aa:bb,mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:8,enqueue:1:2,output:2',
        ],
        ['add-flow', 'priority=80,tcp,tp_src=22,actions=mod_tp_src:99,mod_tp_dst:100,strip_vlan,NORMAL'],
        [
          'add-flow',
          'priority=70,udp,actions=resubmit(,2),set_tunnel:5,note:abcdef,controller(reason=no_match,max_len=100),' +
            'dec_ttl,output:in_port',
        ],
        [
          'add-flow',
          'priority=60,arp,arp_tpa=10.0.0.1,actions=load:0x5->NXM_NX_REG2[0..7],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],LOCAL',
        ],
        ['add-flow', 'priority=59,dl_vlan=0xffff,actions=drop'],
        ['add-flow', 'priority=58,icmp,icmp_type=8,icmp_code=0,actions=FLOOD'],
        ['dump-flows'],
        ['dump-flows', 'ip'],
        ['dump-aggregate'],
        ['packet-out', `in_port=1 packet=${ARP_FRAME} actions=output:2`],
        ['del-flows', 'ip,nw_dst=10.0.0.1'],
        ['del-flows'],
      ],
    );
    for (const t of [
      'hello',
      'features_request',
      'features_reply',
      'get_config_request',
      'get_config_reply',
      'set_config',
      'desc_reply',
      'table_stats_reply',
      'port_stats_request',
      'port_stats_reply',
      'port_desc_reply',
      'port_mod',
      'flow_mod',
      'barrier_request',
      'barrier_reply',
      'nx_set_flow_format',
      'nx_flow_stats_request',
      'nx_flow_stats_reply',
      'nx_aggregate_stats_request',
      'nx_aggregate_stats_reply',
      'packet_out',
    ]) {
      assert.ok(seen.has(`1:${t}`), `no OpenFlow 1.0 ${t} seen (saw ${[...seen].join(' ')})`);
    }
  });

  it('ovs-ofctl with its default (OpenFlow 1.0 + NXM): Nicira flow mods, table ids, every extension action', async () => {
    const seen = await session(
      [],
      [
        [
          'add-flow',
          'priority=50,reg0=5/0xff,dl_src=00:00:00:00:00:01/ff:ff:ff:00:00:00,actions=learn(table=3,idle_timeout=10,' +
            'NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:NXM_NX_REG0[]->NXM_NX_REG1[],output:NXM_OF_IN_PORT[]),resubmit:3,' +
            'set_tunnel64:0x123456789,output:NXM_NX_REG1[0..15]',
        ],
        [
          'add-flow',
          'priority=40,ct_state=+trk+new,ip,actions=ct(commit,zone=5,exec(set_field:1->ct_mark),nat(src=1.1.1.1-1.1.1.9:100-200))',
        ],
        [
          'add-flow',
          'priority=30,tun_id=0x10/0xff,in_port=1,actions=clone(output:1),multipath(eth_src,50,modulo_n,1,0,NXM_NX_REG0[0..1]),' +
            'bundle(eth_src,0,hrw,ofport,members:1,2),push:NXM_NX_REG0[],pop:NXM_NX_REG1[],fin_timeout(idle_timeout=5),' +
            'sample(probability=100,collector_set_id=1,obs_domain_id=2,obs_point_id=3),exit',
        ],
        ['add-flow', 'priority=31,ip,nw_src=10.0.0.1,actions=conjunction(1,1/2)'],
        [
          'add-flow',
          'priority=32,ipv6,ipv6_src=2001:db8::/32,tcp6,tcp_flags=+syn-ack,actions=output:1,write_metadata:0x5/0xff',
        ],
        [
          'add-flow',
          'cookie=0x1234,table=2,priority=20,icmp,icmp_type=8,actions=set_field:10.0.0.5->ip_dst,' +
            'set_field:00:11:22:33:44:55->eth_dst,dec_ttl(1,2),check_pkt_larger(1500)->NXM_NX_REG0[0],' +
            'controller(userdata=01.02,pause),output:1',
        ],
        [
          'add-flow',
          'table=1,priority=10,ct_state=-trk,ip,actions=ct(table=2,zone=NXM_NX_REG4[0..15]),ct_clear,pop_queue',
        ],
        [
          'add-flow',
          'priority=11,arp,arp_op=1,arp_sha=00:00:00:00:00:01,actions=output:2,output(port=1,max_len=100)',
        ],
        ['dump-flows'],
        ['dump-flows', 'table=2'],
        ['dump-aggregate', 'ip'],
        ['mod-flows', 'table=2,icmp,actions=output:2'],
        ['del-flows', 'cookie=0x1234/-1'],
        ['del-flows'],
      ],
    );
    for (const t of [
      'nx_flow_mod',
      'nx_flow_mod_table_id',
      'nx_flow_stats_reply',
      'nx_aggregate_stats_request',
    ]) {
      assert.ok(seen.has(`1:${t}`), `no ${t} seen (saw ${[...seen].join(' ')})`);
    }
  });

  it('ovs-ofctl -O OpenFlow13: OXM matches, instructions, groups, multipart, table features', async () => {
    const seen = await session(
      ['-O', 'OpenFlow13'],
      [
        ['show'],
        ['dump-desc'],
        ['dump-tables'],
        ['dump-ports'],
        ['dump-ports', '1'],
        ['dump-ports-desc'],
        ['get-frags'],
        ['set-frags', 'drop'],
        ['set-frags', 'normal'],
        ['mod-port', 'p1', 'down'],
        ['mod-port', 'p1', 'up'],
        ['add-flow', 'priority=100,ip,nw_dst=10.0.0.1,actions=output:1'],
        [
          'add-flow',
          'priority=90,dl_vlan=5,ip,nw_src=10.1.0.0/16,actions=mod_vlan_vid:7,mod_dl_src:00:11:22:33:44:55,' +
            'mod_nw_src:1.2.3.4,mod_nw_tos:8,mod_nw_ttl:9,output:2',
        ],
        ['add-flow', 'priority=81,vlan_tci=0x1000/0x1000,actions=pop_vlan,set_queue:3,output:2'],
        [
          'add-flow',
          'priority=80,tcp,tp_src=22,actions=push_vlan:0x8100,set_field:4101->vlan_vid,mod_tp_dst:100,dec_ttl,output:1',
        ],
        [
          'add-flow',
          'priority=75,mpls,actions=set_mpls_ttl:5,dec_mpls_ttl,set_mpls_label:10,set_mpls_tc:1,pop_mpls:0x0800,output:1',
        ],
        ['add-flow', 'priority=74,ip,actions=push_mpls:0x8847,output:1'],
        [
          'add-flow',
          'priority=70,udp,actions=resubmit(,2),set_tunnel:5,note:abcdef,controller(reason=no_match,max_len=100),' +
            'load:0x5->NXM_NX_REG2[0..7],output:in_port',
        ],
        [
          'add-flow',
          'priority=65,ipv6,tcp6,tcp_flags=+syn,reg3=0x10,actions=move:NXM_NX_REG3[]->NXM_NX_REG4[],CONTROLLER:64',
        ],
        ['add-group', 'group_id=1,type=all,bucket=output:1,bucket=output:2'],
        [
          'add-group',
          'group_id=2,type=select,bucket=weight:10,actions=output:1,bucket=weight:20,actions=output:2',
        ],
        ['add-flow', 'priority=6,actions=group:1'],
        ['add-flow', 'priority=5,ip,actions=write_metadata:0x5/0xff,goto_table:3'],
        ['add-flow', 'table=3,priority=5,metadata=0x5/0xff,actions=clear_actions,write_actions(output:3)'],
        ['dump-groups'],
        ['dump-group-stats'],
        ['dump-flows'],
        ['dump-flows', 'table=3'],
        ['dump-aggregate'],
        ['packet-out', `in_port=1 packet=${ARP_FRAME} actions=output:2`],
        ['del-flows', 'ip,nw_dst=10.0.0.1'],
        ['del-flows'],
        ['del-groups'],
      ],
    );
    for (const t of [
      'hello',
      'features_reply',
      'port_desc_request',
      'port_desc_reply',
      'desc_reply',
      'table_stats_reply',
      'port_stats_reply',
      'aggregate_stats_reply',
      'flow_stats_request',
      'flow_stats_reply',
      'table_features_request',
      'table_features_reply',
      'flow_mod',
      'group_mod',
      'group_desc_reply',
      'group_stats_reply',
      'packet_out',
      'port_mod',
      'set_config',
      'barrier_reply',
    ]) {
      assert.ok(seen.has(`4:${t}`), `no OpenFlow 1.3 ${t} seen (saw ${[...seen].join(' ')})`);
    }
  });

  it('a hello with a version bitmap (-O OpenFlow10,OpenFlow13) negotiates 1.3 with ovs-vswitchd', async () => {
    proxy.records = [];
    await ofctl(['-O', 'OpenFlow10,OpenFlow13', 'show', target()]);
    const first = proxy.records.find((r) => r.dir === 'C');
    assert.ok(first);
    assert.equal(hex(first.bytes), '04000010000000010001000800000012');
    roundTripAll(proxy.records);
  });

  it("no common version: our OFPHFC_INCOMPATIBLE error is byte for byte ovs-vswitchd's", async () => {
    for (const peer of [1 << 7, (1 << 7) | (1 << 9)]) {
      const socket = connect({ path: ovs.mgmt });
      const framer = new OfpFramer();
      const got: Uint8Array[] = [];
      socket.on('data', (chunk) => got.push(...framer.feed(chunk).messages));
      socket.on('error', () => undefined);
      await new Promise<void>((res) => socket.once('connect', () => res()));
      socket.write(encodeMessage(helloFor(peer)));
      await new Promise<void>((res) => socket.once('close', () => res()));
      const errors = got.filter((b) => b[1] === 1);
      assert.equal(errors.length, 1, 'ovs-vswitchd sent one error');
      // ovs-vswitchd offers 1.0 through 1.5 (a hello of version 6 without a bitmap).
      assert.equal(hex(errors[0]), hex(helloFailed(0x7e, peer)));
      const text = new TextDecoder().decode(
        decodeMessage(errors[0]).type === 'error' ? errors[0].subarray(12) : new Uint8Array(0),
      );
      assert.match(
        text,
        /^We support version 0x06 and earlier, you support (version 0x07|versions 0x07, 0x09), no common versions\.$/,
      );
    }
  });

  /** A client of our own on br0.mgmt, recording every raw message it receives. */
  async function client(
    versions: number,
  ): Promise<{ conn: OfConnection; got: Uint8Array[]; socket: Socket }> {
    const socket = connect({ path: ovs.mgmt });
    await new Promise<void>((res, rej) => {
      socket.once('connect', () => res());
      socket.once('error', rej);
    });
    const conn = new OfConnection(socket, { versions, name: 'test-client' });
    const got: Uint8Array[] = [];
    conn.on('message', (_m, raw) => got.push(raw));
    await conn.ready;
    return { conn, got, socket };
  }

  async function receive(frame: string): Promise<void> {
    await ovs.appctl('netdev-dummy/receive', 'p1', frame);
  }

  for (const [label, versions, nx, pinFormat] of [
    ['OpenFlow 1.0', 1 << 1, false, 0],
    ['OpenFlow 1.0 with Nicira formats', 1 << 1, true, 1],
    ['OpenFlow 1.0 with NXT_PACKET_IN2', 1 << 1, false, 2],
    ['OpenFlow 1.3', 1 << 4, false, 0],
    ['OpenFlow 1.3 with NXT_PACKET_IN2 (what ovs-ofctl monitor asks for)', 1 << 4, false, 2],
  ] as const) {
    it(`ovs-vswitchd's packet-in, flow-removed and port-status in ${label} decode and re-encode exactly`, async () => {
      const { conn, got } = await client(versions);
      const v = conn.version;
      try {
        if (nx) conn.send({ type: 'nx_set_flow_format', value: 2 });
        if (pinFormat) conn.send({ type: 'nx_set_packet_in_format', value: pinFormat });
        conn.send({ type: 'set_config', flags: 0, missSendLen: 0xffff });
        const toController = { type: 'output' as const, port: OFPP_CONTROLLER, maxLen: 0xffff };
        conn.send({
          type: nx ? 'nx_flow_mod' : 'flow_mod',
          cookie: 0x42n,
          cookieMask: 0n,
          tableId: 0,
          command: 0,
          idleTimeout: 0,
          hardTimeout: 0,
          priority: 1000,
          bufferId: 0xffffffff,
          outPort: 0xffff,
          outGroup: 0xffffffff,
          flags: 1,
          importance: 0,
          match: [
            {
              field: v === 4 ? 'in_port_oxm' : 'in_port',
              value: v === 4 ? unhex('00000001') : unhex('0001'),
              mask: null,
            },
          ],
          instructions: [{ type: 'apply_actions', actions: [toController] }],
        });
        await conn.request({ type: 'barrier_request' });
        await receive(UDP_FRAME);
        await waitFor(
          () => got.some((b) => b[1] === 10 || (b[1] === 4 && (b[15] === 17 || b[15] === 30))),
          5000,
          'packet-in',
        );
        conn.send({
          type: nx ? 'nx_flow_mod' : 'flow_mod',
          cookie: 0n,
          cookieMask: 0n,
          tableId: v === 4 ? 0xff : 0,
          command: 3,
          idleTimeout: 0,
          hardTimeout: 0,
          priority: 0,
          bufferId: 0xffffffff,
          outPort: 0xffff,
          outGroup: 0xffffffff,
          flags: 0,
          importance: 0,
          match: [],
          instructions: [],
        });
        await conn.request({ type: 'barrier_request' });
        await ovs.vsctl(
          'add-port',
          'br0',
          `x${v}${nx ? 'n' : ''}${pinFormat}`,
          '--',
          'set',
          'interface',
          `x${v}${nx ? 'n' : ''}${pinFormat}`,
          'type=dummy',
        );
        await waitFor(() => got.some((b) => b[1] === 12), 5000, 'port-status');
        const decoded = got.map((b) => decodeMessage(b));
        const types = new Set(decoded.map((m) => m.type));
        const pinType = pinFormat === 2 ? 'nx_packet_in2' : pinFormat === 1 ? 'nx_packet_in' : 'packet_in';
        assert.ok(types.has(pinType), [...types].join(' '));
        assert.ok(types.has(nx ? 'nx_flow_removed' : 'flow_removed'), [...types].join(' '));
        assert.ok(types.has('port_status'), [...types].join(' '));
        roundTripAll(got.map((bytes) => ({ dir: 'S' as const, bytes })));
        const pin = decoded.find((m) => m.type === pinType);
        assert.ok(pin);
        if (pin.type === 'nx_packet_in2') {
          const packet = pin.props.find((p) => p.kind === 'packet');
          assert.equal(packet && 'data' in packet ? hex(packet.data) : '', UDP_FRAME);
          const meta = pin.props.find((p) => p.kind === 'metadata');
          assert.ok(
            meta &&
              'match' in meta &&
              meta.match.some((e) => e.field === 'in_port' || e.field === 'in_port_oxm'),
          );
        } else if (pin.type === 'packet_in' || pin.type === 'nx_packet_in') {
          assert.equal(hex(pin.data), UDP_FRAME);
          if (pin.type === 'packet_in' && v === 1) assert.equal(pin.inPort, 1);
          else assert.ok(pin.match.some((e) => e.field === 'in_port' || e.field === 'in_port_oxm'));
        }
      } finally {
        conn.close();
      }
    });
  }

  it('our client negotiates with ovs-vswitchd and reads its desc, features, ports and flows', async () => {
    const { conn } = await client(1 << 4);
    try {
      assert.equal(conn.version, 4);
      const [desc] = await conn.request({ type: 'desc_request', flags: 0 });
      assert.equal(desc.type, 'desc_reply');
      if (desc.type === 'desc_reply') assert.equal(desc.desc.mfrDesc, 'Nicira, Inc.');
      const [features] = await conn.request({ type: 'features_request' });
      assert.equal(features.type, 'features_reply');
      if (features.type === 'features_reply') assert.equal(features.nTables, 254);
      const ports = await conn.request({ type: 'port_desc_request', flags: 0 });
      const names = ports.flatMap((m) => (m.type === 'port_desc_reply' ? m.ports.map((p) => p.name) : []));
      assert.ok(names.includes('p1') && names.includes('br0'), names.join(' '));
      const tables = await conn.request({ type: 'table_features_request', flags: 0, tables: [] });
      const n = tables.reduce((s, m) => s + (m.type === 'table_features_reply' ? m.tables.length : 0), 0);
      assert.equal(n, 254, 'table features for every table, over several multipart messages');
    } finally {
      conn.close();
    }
  });

  it('random and mutated OXM matches in flow mods: ovs-vswitchd and our decoder accept or refuse alike', async () => {
    const { conn, got } = await client(1 << 4);
    let seed = 99;
    const rand = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const e = (field: string, value: string, mask: string | null = null) => ({
      field,
      value: unhex(value),
      mask: mask === null ? null : unhex(mask),
    });
    // Well-formed matches to start from; the mutations then break them in every way.
    const bases = [
      [e('eth_type', '0800'), e('ip_dst', '0a000001')],
      [e('in_port_oxm', '00000001'), e('eth_src', '000000000001', 'ffffffffff00')],
      [e('eth_type', '0800'), e('nw_proto', '06'), e('tcp_dst', '0050')],
      [
        e('eth_type', '86dd'),
        e('nw_proto', '3a'),
        e('icmpv6_type', '87'),
        e('nd_target', '20010db8000000000000000000000001'),
      ],
      [e('vlan_vid', '1005', '1fff'), e('vlan_pcp', '03')],
      [e('reg0', '00000005', '000000ff'), e('tun_id', '0000000000000010'), e('metadata', '0000000000000001')],
      [e('eth_type', '0806'), e('arp_op', '0001'), e('arp_spa', '0a000001')],
      [e('eth_type', '0800'), e('ip_dscp', '2e'), e('nw_ecn', '01'), e('ip_frag', '01', '03')],
    ];
    const sent = new Map<number, Uint8Array>();
    try {
      for (let i = 0; i < 400; i++) {
        const base = bases[Math.floor(rand() * bases.length)];
        const msg = encodeMessage({
          type: 'flow_mod',
          cookie: 0n,
          cookieMask: 0n,
          tableId: 0,
          command: 0,
          idleTimeout: 0,
          hardTimeout: 0,
          priority: 100 + i,
          bufferId: 0xffffffff,
          outPort: 0xffff,
          outGroup: 0xffffffff,
          flags: 0,
          importance: 0,
          match: base,
          instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] }],
          version: 4,
          xid: 0x1000 + i,
        });
        // Mutate a byte of the match (its header, an OXM header, a value or a mask), keeping the length.
        const matchLen = (msg[50] << 8) | msg[51];
        const at = 48 + Math.floor(rand() * matchLen);
        if (i % 5 !== 0) msg[at] = Math.floor(rand() * 256);
        sent.set(0x1000 + i, msg);
        conn.sendRaw(msg);
      }
      await conn.request({ type: 'barrier_request' });
      const theirs = new Map<number, string>();
      for (const b of got) {
        const m = decodeMessage(b);
        if (m.type === 'error') theirs.set(m.xid, m.name ?? 'unknown');
      }
      let agree = 0;
      for (const [xid, msg] of sent) {
        const r = tryDecodeMessage(msg);
        const ours = r instanceof OfpError ? r.code : 'ok';
        const ovs = theirs.get(xid) ?? 'ok';
        // tun_metadata fields need a TLV mapping in the switch (NXT_TLV_TABLE_MOD): switch state, not wire.
        const tlv =
          !(r instanceof OfpError) &&
          r.type === 'flow_mod' &&
          r.match.some((x) => x.field.startsWith('tun_metadata'));
        if (tlv && ovs === 'NXFMFC_INVALID_TLV_FIELD') {
          agree++;
          continue;
        }
        assert.equal(ours, ovs, `flow_mod ${hex(msg)}: ovs-vswitchd says ${ovs}, we say ${ours}`);
        agree++;
      }
      assert.equal(agree, sent.size);
    } finally {
      conn.send({
        type: 'flow_mod',
        cookie: 0n,
        cookieMask: 0n,
        tableId: 0xff,
        command: 3,
        idleTimeout: 0,
        hardTimeout: 0,
        priority: 0,
        bufferId: 0xffffffff,
        outPort: 0xffff,
        outGroup: 0xffffffff,
        flags: 0,
        importance: 0,
        match: [],
        instructions: [],
      });
      await conn.request({ type: 'barrier_request' });
      conn.close();
    }
  });

  it('malformed requests: ovs-vswitchd answers the same OpenFlow error our decoder names', async () => {
    const { conn, got } = await client((1 << 1) | (1 << 4));
    assert.equal(conn.version, 4);
    const flowMod13 = (tail: string) =>
      '0000000000000000' +
      '0000000000000000' +
      '0000' +
      '0000' +
      '0000' +
      '8000' +
      'ffffffff' +
      'ffffffff' +
      'ffffffff' +
      '0000' +
      '0000' +
      tail;
    const cases: [string, string][] = [
      ['unknown message type', hex(buildMessage(4, 99, 0x101, () => undefined))],
      ['unknown multipart type', hex(buildMessage(4, 18, 0x102, (w) => w.u16(77).u16(0).zeros(4)))],
      ['features request with a body', hex(buildMessage(4, 5, 0x103, (w) => w.zeros(8)))],
      ['unknown vendor', hex(buildMessage(4, 4, 0x104, (w) => w.u32(0x1234).u32(1)))],
      ['unknown Nicira subtype', hex(buildMessage(4, 4, 0x105, (w) => w.u32(0x2320).u32(999)))],
      [
        'unknown action type',
        hex(
          buildMessage(4, OFPT_FLOW_MOD, 0x106, (w) =>
            w.bytes(unhex(flowMod13('0001000400000000' + '0004001000000000' + '7777000800000000'))),
          ),
        ),
      ],
      [
        'action length not a multiple of 8',
        hex(
          buildMessage(4, OFPT_FLOW_MOD, 0x107, (w) =>
            w.bytes(
              unhex(flowMod13('0001000400000000' + '0004001800000000' + '0000000c000000010000000000000000')),
            ),
          ),
        ),
      ],
      [
        'unknown OXM field',
        hex(
          buildMessage(4, OFPT_FLOW_MOD, 0x108, (w) =>
            w.bytes(unhex(flowMod13('0001000c80007e040000000100000000'))),
          ),
        ),
      ],
      [
        'OXM field without its prerequisite',
        hex(
          buildMessage(4, OFPT_FLOW_MOD, 0x109, (w) =>
            w.bytes(unhex(flowMod13('0001000c800018040a00000100000000'))),
          ),
        ),
      ],
      [
        'unknown instruction',
        hex(
          buildMessage(4, OFPT_FLOW_MOD, 0x10a, (w) =>
            w.bytes(unhex(flowMod13('00010004000000000063000800000000'))),
          ),
        ),
      ],
      [
        'output to a port between OFPP_MAX and OFPP11_MAX',
        hex(
          buildMessage(4, OFPT_FLOW_MOD, 0x10b, (w) =>
            w.bytes(
              unhex(
                flowMod13(
                  '0001000400000000' + '0004001800000000' + '00000010' + '0000ff01' + 'ffff000000000000',
                ),
              ),
            ),
          ),
        ),
      ],
      [
        'value bits outside the OXM mask',
        hex(
          buildMessage(4, OFPT_FLOW_MOD, 0x10c, (w) =>
            w.bytes(unhex(flowMod13('00010014' + '8000070c' + '000000000001' + '000000000000' + '00000000'))),
          ),
        ),
      ],
    ];
    try {
      for (const [what, h] of cases) {
        const bytes = unhex(h);
        const ours = tryDecodeMessage(bytes);
        assert.ok(ours instanceof OfpError, `${what}: our decoder accepted ${h}`);
        const before = got.length;
        conn.sendRaw(bytes);
        await waitFor(() => got.slice(before).some((b) => b[1] === 1), 5000, `error reply to ${what}`);
        const reply = decodeMessage(got.slice(before).find((b) => b[1] === 1) ?? new Uint8Array(0));
        assert.equal(reply.type, 'error');
        if (reply.type === 'error') {
          assert.equal(
            ours.code,
            reply.name,
            `${what}: ovs-vswitchd says ${reply.name}, we say ${ours.code}`,
          );
          assert.equal(hex(reply.data), h, 'the error carries the whole request');
        }
      }
      // A message of another version than negotiated is answered with OFPBRC_BAD_VERSION.
      const before = got.length;
      conn.sendRaw(encodeMessage({ type: 'barrier_request', version: 1, xid: 0x200 }));
      await waitFor(() => got.slice(before).some((b) => b[1] === 1), 5000, 'bad version reply');
      const reply = decodeMessage(got.slice(before).find((b) => b[1] === 1) ?? new Uint8Array(0));
      assert.equal(reply.type === 'error' && reply.name, 'OFPBRC_BAD_VERSION');
      // Requests our codec can encode get real answers; an error answer rejects with OfpRemoteError.
      const [features] = await conn.request({ type: 'group_features_request', flags: 0 });
      assert.equal(features.type, 'group_features_reply');
      await assert.rejects(
        conn.request({ type: 'queue_stats_request', flags: 0, portNo: 99, queueId: 0xffffffff }),
        (err: Error) => err instanceof OfpRemoteError && err.code === 'OFPQOFC_BAD_PORT',
      );
    } finally {
      conn.close();
    }
  });
});
