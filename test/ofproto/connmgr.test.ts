// The connection manager behind an in-memory switch (connmgr-fake.ts), on a management socket in a temp
// directory: the real ovs-ofctl 3.1 talks to it (show, flows, ports, tables, desc, groups, monitor with
// packet-out), our own OfConnection checks what ovs-ofctl cannot (errors for malformed messages, roles,
// multipart splitting, async filtering), and a test controller on TCP sees the manager connect, back off
// and reconnect.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectionManager } from '../../src/ofproto/connmgr.js';
import { splitEntries } from '../../src/ofproto/connmgr-handle.js';
import { connectOpenFlow, OfConnection, OfpRemoteError } from '../../src/openflow/conn.js';
import {
  encodeMessage,
  type FlowStatsEntry,
  OFPSF_REPLY_MORE,
  type OfMessage,
  type PortMod,
} from '../../src/openflow/messages.js';
import { buildMessage, OFP_MAX_MSG_LEN, versionBitmap } from '../../src/openflow/wire.js';
import { runCommand, tempDir, waitFor } from '../helpers/daemons.js';
import { FakeSwitch } from './connmgr-fake.js';

const HAVE_OFCTL = spawnSync('sh', ['-c', 'command -v ovs-ofctl'], { stdio: 'ignore' }).status === 0;
const SKIP_OFCTL = HAVE_OFCTL ? false : 'needs ovs-ofctl';

const UDP_FRAME =
  '0000000000020000000000010800450000200001000040117cca0a0000010a000002003500350008000000000000';

interface Setup {
  dir: string;
  sw: FakeSwitch;
  mgr: ConnectionManager;
  mgmt: string;
}

async function setup(): Promise<Setup> {
  const dir = tempDir('connmgr-');
  const sw = new FakeSwitch();
  const mgr = new ConnectionManager(sw, { timeUnitMs: 50 });
  const mgmt = join(dir, 'br0.mgmt');
  await mgr.setBridge('br0', { mgmtPath: mgmt, controllers: [] });
  return { dir, sw, mgr, mgmt };
}

async function teardown(s: Setup): Promise<void> {
  await s.mgr.close();
  rmSync(s.dir, { recursive: true, force: true });
}

describe('ConnectionManager answers the real ovs-ofctl', { skip: SKIP_OFCTL }, () => {
  let s: Setup;
  before(async () => {
    s = await setup();
  });
  after(() => teardown(s));

  const ofctl = (...args: string[]) =>
    runCommand('ovs-ofctl', ['--timeout=10', ...args], { OVS_RUNDIR: s.dir }, 20000);
  const target = () => `unix:${s.mgmt}`;

  it('show in OpenFlow 1.0 and 1.3', async () => {
    const r10 = await ofctl('show', target());
    assert.equal(r10.status, 0, r10.stderr);
    assert.equal(
      r10.stdout,
      [
        'OFPT_FEATURES_REPLY (xid=0x2): dpid:0000000000001234',
        'n_tables:254, n_buffers:0',
        'capabilities: FLOW_STATS TABLE_STATS PORT_STATS QUEUE_STATS ARP_MATCH_IP',
        'actions: output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst',
        ' 1(p1): addr:aa:55:aa:55:00:01',
        '     config:     0',
        '     state:      0',
        '     current:    100MB-HD 100MB-FD 1GB-FD COPPER',
        '     speed: 1000 Mbps now, 0 Mbps max',
        ' 2(p2): addr:aa:55:aa:55:00:02',
        '     config:     0',
        '     state:      0',
        '     current:    100MB-HD 100MB-FD 1GB-FD COPPER',
        '     speed: 1000 Mbps now, 0 Mbps max',
        ' LOCAL(br0): addr:02:00:00:00:12:34',
        '     config:     PORT_DOWN',
        '     state:      0',
        '     speed: 0 Mbps now, 0 Mbps max',
        'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0',
        '',
      ].join('\n'),
    );
    const r13 = await ofctl('-O', 'OpenFlow13', 'show', target());
    assert.equal(r13.status, 0, r13.stderr);
    assert.match(r13.stdout, /^OFPT_FEATURES_REPLY \(OF1.3\) \(xid=0x2\): dpid:0000000000001234\n/);
    assert.match(r13.stdout, /capabilities: FLOW_STATS TABLE_STATS PORT_STATS GROUP_STATS QUEUE_STATS\n/);
    assert.match(
      r13.stdout,
      /OFPST_PORT_DESC reply \(OF1.3\) \(xid=0x3\):\n 1\(p1\): addr:aa:55:aa:55:00:01\n/,
    );
    assert.match(r13.stdout, / 1\(p1\)[\s\S]*?state: {6}LIVE\n/);
    assert.match(r13.stdout, /OFPT_GET_CONFIG_REPLY \(OF1.3\) \(xid=0x5\): frags=normal miss_send_len=0\n$/);
  });

  for (const [label, opts] of [
    ['OpenFlow 1.0', ['-O', 'OpenFlow10']],
    ['OpenFlow 1.3', ['-O', 'OpenFlow13']],
    ['the default (NXM)', []],
  ] as const) {
    it(`add-flow, dump-flows, del-flows with ${label}`, async () => {
      s.sw.rules = [];
      for (const f of [
        'priority=100,ip,nw_dst=10.0.0.1,actions=output:1',
        'table=0,in_port=2,actions=drop',
      ]) {
        const add = await ofctl(...opts, 'add-flow', target(), f);
        assert.equal(add.status, 0, add.stderr);
      }
      assert.equal(s.sw.rules.length, 2);
      const dump = await ofctl(...opts, '--no-stats', 'dump-flows', target());
      assert.equal(dump.status, 0, dump.stderr);
      const lines = dump.stdout.trim().split('\n');
      assert.deepEqual(
        lines.slice(lines.length - 2).map((l) => l.trim()),
        ['priority=100,ip,nw_dst=10.0.0.1 actions=output:1', 'in_port=2 actions=drop'],
      );
      const stats = await ofctl(...opts, 'dump-flows', target());
      assert.match(
        stats.stdout,
        / cookie=0x0, duration=1.500s, table=0, n_packets=7, n_bytes=700, (idle_age=1, )?priority=100,ip,nw_dst=10.0.0.1 actions=output:1\n/,
      );
      const del = await ofctl(...opts, 'del-flows', target());
      assert.equal(del.status, 0, del.stderr);
      assert.equal(s.sw.rules.length, 0);
    });
  }

  it('dump-ports (all and one), dump-tables, dump-desc, dump-aggregate', async () => {
    s.sw.rules = [];
    const all = await ofctl('dump-ports', target());
    assert.equal(all.status, 0, all.stderr);
    assert.match(all.stdout, /^OFPST_PORT reply \(xid=0x2\): 3 ports\n/);
    assert.match(
      all.stdout,
      / {2}port {2}1: rx pkts=11, bytes=1000, drop=0, errs=0, frame=0, over=0, crc=0\n/,
    );
    const one = await ofctl('-O', 'OpenFlow13', 'dump-ports', target(), '2');
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /OFPST_PORT reply \(OF1.3\) \(xid=0x2\): 1 ports\n {2}port {2}2: rx pkts=12/);
    const tables = await ofctl('dump-tables', target());
    assert.equal(tables.status, 0, tables.stderr);
    assert.match(
      tables.stdout,
      /^OFPST_TABLE reply \(xid=0x2\):\n {2}table 0:\n {4}active=0, lookup=5, matched=3\n {4}max_entries=1000000\n/,
    );
    assert.match(tables.stdout, / {2}tables 2\.\.\.253: ditto\n$/);
    const t13 = await ofctl('-O', 'OpenFlow13', 'dump-tables', target());
    assert.match(
      t13.stdout,
      /^OFPST_TABLE reply \(OF1.3\) \(xid=0x2\):\n {2}table 0:\n {4}active=0, lookup=5, matched=3\n\n/,
    );
    const desc = await ofctl('dump-desc', target());
    assert.equal(
      desc.stdout,
      'OFPST_DESC reply (xid=0x2):\nManufacturer: Nicira, Inc.\nHardware: Open vSwitch\nSoftware: 3.1.0\nSerial Num: None\nDP Description: None\n',
    );
    s.sw.rules = [];
    await ofctl('add-flow', target(), 'actions=normal');
    const agg = await ofctl('dump-aggregate', target());
    assert.match(
      agg.stdout,
      /NXST_AGGREGATE reply \(xid=0x\w+\): packet_count=7 byte_count=700 flow_count=1/,
    );
    const agg13 = await ofctl('-O', 'OpenFlow13', 'dump-aggregate', target());
    assert.match(
      agg13.stdout,
      /OFPST_AGGREGATE reply \(OF1.3\) \(xid=0x\w+\): packet_count=7 byte_count=700 flow_count=1/,
    );
  });

  it('groups: add-group, dump-groups, dump-group-stats, dump-group-features, del-groups', async () => {
    const O = ['-O', 'OpenFlow13'];
    const add = await ofctl(
      ...O,
      'add-group',
      target(),
      'group_id=1,type=all,bucket=output:1,bucket=output:2',
    );
    assert.equal(add.status, 0, add.stderr);
    const again = await ofctl(...O, 'add-group', target(), 'group_id=1,type=all,bucket=output:1');
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /OFPGMFC_GROUP_EXISTS/);
    const dump = await ofctl(...O, 'dump-groups', target());
    assert.equal(
      dump.stdout,
      'OFPST_GROUP_DESC reply (OF1.3) (xid=0x2):\n group_id=1,type=all,bucket=actions=output:1,bucket=actions=output:2\n',
    );
    const stats = await ofctl(...O, 'dump-group-stats', target());
    assert.match(
      stats.stdout,
      /group_id=1,duration=2s,ref_count=0,packet_count=3,byte_count=192,bucket0:packet_count=1,byte_count=64,bucket1:packet_count=1,byte_count=64/,
    );
    const feats = await ofctl(...O, 'dump-group-features', target());
    assert.equal(feats.status, 0, feats.stderr);
    assert.match(
      feats.stdout,
      /Group table:\n {4}Types: {2}0xf\n {4}Capabilities: {2}0x7\n {4}all group:\n {7}max_groups=0xffffff00\n/,
    );
    const del = await ofctl(...O, 'del-groups', target());
    assert.equal(del.status, 0, del.stderr);
    assert.equal(s.sw.groupMap.size, 0);
  });

  it('mod-port reaches the switch; a packet-out with a buffer id is refused like OVS', async () => {
    const r = await ofctl('mod-port', target(), 'p1', 'no-flood');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(s.sw.portMods.at(-1), [1, 0x10, 0x10]);
    const conn = await connectOpenFlow(`unix:${s.mgmt}`, { versions: versionBitmap([4]) });
    try {
      await assert.rejects(
        conn.request({
          type: 'packet_out',
          bufferId: 5,
          inPort: 0xfffd,
          actions: [],
          data: new Uint8Array(0),
        }),
        (e: unknown) => e instanceof OfpRemoteError && e.code === 'OFPBRC_BUFFER_UNKNOWN',
      );
    } finally {
      conn.close();
    }
  });

  it('monitor (packet_in2, after asking for it) sees the packet-out sent to CONTROLLER', async () => {
    const monitors: ChildProcess[] = [];
    const outputs: string[] = ['', ''];
    try {
      for (const [i, opts] of [[], ['-O', 'OpenFlow13']].entries()) {
        // stdbuf: ovs-ofctl's stdout is a pipe here, which stdio would buffer until exit.
        const child = spawn('stdbuf', ['-oL', 'ovs-ofctl', ...opts, 'monitor', target(), '65534'], {
          env: { ...process.env, OVS_RUNDIR: s.dir },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout?.setEncoding('utf8').on('data', (d: string) => {
          outputs[i] += d;
        });
        child.stderr?.setEncoding('utf8').on('data', (d: string) => {
          outputs[i] += d;
        });
        monitors.push(child);
      }
      // Each monitor's connection has asked for packet-ins once its miss_send_len is set.
      await waitFor(
        () => s.mgr.connections('br0').filter((c) => c.missSendLen === 65534).length === 2,
        10000,
      );
      const po = await ofctl(
        'packet-out',
        target(),
        `in_port=1 packet=${UDP_FRAME} actions=output:controller`,
      );
      assert.equal(po.status, 0, po.stderr);
      await waitFor(() => outputs.every((o) => o.includes('tp_dst=53')), 10000, 'packet-ins').catch((e) => {
        throw new Error(
          `${e.message}: ${JSON.stringify(outputs)} ${JSON.stringify(s.mgr.connections('br0').map((c) => [c.missSendLen, c.packetInFormat, c.version]))}`,
        );
      });
      assert.match(
        outputs[0],
        /^NXT_PACKET_IN2 \(xid=0x0\): total_len=46 in_port=1 \(via action\) data_len=46 \(unbuffered\)\nudp,vlan_tci=0x0000,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02,nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=53,tp_dst=53 udp_csum:0\n/,
      );
      assert.match(
        outputs[1],
        /^NXT_PACKET_IN2 \(OF1.3\) \(xid=0x0\): total_len=46 in_port=1 \(via action\) data_len=46 \(unbuffered\)\n/,
      );
    } finally {
      for (const m of monitors) m.kill('SIGTERM');
    }
  });
});

/** Connects our own client to the management socket, in `version`. */
function client(s: Setup, version = 4): Promise<OfConnection> {
  return connectOpenFlow(`unix:${s.mgmt}`, { versions: versionBitmap([version]) });
}

/** Collects the asynchronous messages (xid 0) a connection receives. */
function collect(conn: OfConnection): OfMessage[] {
  const got: OfMessage[] = [];
  conn.on('message', (m) => {
    if (m.type === 'packet_in' || m.type === 'nx_packet_in' || m.type === 'nx_packet_in2') got.push(m);
    if (m.type === 'port_status' || m.type === 'flow_removed' || m.type === 'nx_flow_removed') got.push(m);
  });
  return got;
}

async function barrier(conn: OfConnection): Promise<void> {
  await conn.request({ type: 'barrier_request' });
}

describe('ConnectionManager with our own client', () => {
  let s: Setup;
  before(async () => {
    s = await setup();
  });
  after(() => teardown(s));

  it("a port_mod's port_status goes to its own connection from OpenFlow 1.5 on, to the others always", async () => {
    // The fake switch reports a port_mod's config change, as Ofproto does.
    const portMod = s.sw.portMod.bind(s.sw);
    s.sw.portMod = (bridge, p, hw, config, mask) => {
      portMod(bridge, p, hw, config, mask);
      const port = s.sw.ports().find((x) => x.portNo === p);
      if (port) s.sw.sink?.portStatus({ bridge, reason: 'modify', port: { ...port, config: config & mask } });
    };
    const of13 = await client(s, 4);
    const of15 = await client(s, 6);
    try {
      const got13 = collect(of13);
      const got15 = collect(of15);
      // A service connection gets asynchronous messages once it sets a miss_send_len (as ovs-ofctl monitor).
      for (const c of [of13, of15]) {
        c.send({ type: 'set_config', flags: 0, missSendLen: 128 });
        await barrier(c);
      }
      const mod: PortMod = {
        type: 'port_mod',
        portNo: 1,
        hwAddr: 'aa:55:aa:55:00:01',
        config: 1,
        mask: 1,
        advertise: 0,
      };
      of13.send(mod);
      await barrier(of13);
      await barrier(of15);
      assert.deepEqual([got13.length, got15.length], [0, 1], 'the 1.3 sender is not told; the other is');
      of15.send(mod);
      await barrier(of15);
      await barrier(of13);
      assert.deepEqual([got13.length, got15.length], [1, 2], 'the 1.5 sender is told too');
    } finally {
      s.sw.portMod = portMod;
      of13.close();
      of15.close();
    }
  });

  it('malformed and fuzzed messages get error replies; the connection and the others go on', async () => {
    const a = await client(s);
    const b = await client(s, 1);
    try {
      const errors: OfMessage[] = [];
      a.on('message', (m) => {
        if (m.type === 'error') errors.push(m);
      });
      // An unknown message type, a truncated flow_mod, a stats request of an unknown kind, a reply sent
      // as if it were a request, and 200 random bodies behind valid headers.
      a.sendRaw(buildMessage(4, 99, 1001, () => {}));
      a.sendRaw(buildMessage(4, 14, 1002, (w) => w.zeros(10)));
      a.sendRaw(buildMessage(4, 18, 1003, (w) => w.u16(77).u16(0).zeros(4)));
      a.sendRaw(encodeMessage({ type: 'barrier_reply', version: 4, xid: 1004 }));
      let seed = 7;
      const rand = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed;
      };
      for (let i = 0; i < 200; i++) {
        const type = [13, 14, 15, 16, 18, 4, 24, 28][rand() % 8];
        const len = rand() % 120;
        a.sendRaw(
          buildMessage(4, type, 2000 + i, (w) => {
            for (let j = 0; j < len; j++) w.u8(rand() & 0xff);
          }),
        );
      }
      await barrier(a);
      const names = new Map(errors.map((e) => [e.xid, e.type === 'error' ? e.name : null]));
      assert.equal(names.get(1001), 'OFPBRC_BAD_TYPE');
      assert.equal(names.get(1002), 'OFPBRC_BAD_LEN');
      assert.equal(names.get(1003), 'OFPBRC_BAD_STAT');
      assert.equal(names.get(1004), 'OFPBRC_BAD_TYPE');
      assert.ok(errors.length > 100, `only ${errors.length} errors`);
      assert.equal(a.isClosed, false);
      const f = await b.request({ type: 'features_request' });
      assert.equal(f[0].type, 'features_reply');
      const d = await a.request({ type: 'desc_request', flags: 0 });
      assert.equal(d[0].type, 'desc_reply');
    } finally {
      a.close();
      b.close();
    }
  });

  it('multipart replies split at 64 KiB with OFPSF_REPLY_MORE, and ovs-ofctl reads them all', async () => {
    const conn = await client(s);
    try {
      s.sw.rules = [];
      for (let i = 0; i < 1500; i++) {
        const add = await conn.request({ type: 'barrier_request' }).then(() =>
          conn.send({
            type: 'flow_mod',
            cookie: BigInt(i),
            cookieMask: 0n,
            tableId: 0,
            command: 0,
            idleTimeout: 0,
            hardTimeout: 0,
            priority: 1000 + i,
            bufferId: 0xffffffff,
            outPort: 0xffff,
            outGroup: 0xffffffff,
            flags: 0,
            importance: 0,
            match: [{ field: 'in_port_oxm', value: Uint8Array.of(0, 0, 0, 1), mask: null }],
            instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
          }),
        );
        void add;
      }
      await barrier(conn);
      assert.equal(s.sw.rules.length, 1500);
      const parts = await conn.request({
        type: 'flow_stats_request',
        flags: 0,
        tableId: 0xff,
        outPort: 0xffff,
        outGroup: 0xffffffff,
        cookie: 0n,
        cookieMask: 0n,
        match: [],
      });
      assert.ok(parts.length > 1, `${parts.length} parts`);
      let total = 0;
      for (const [i, p] of parts.entries()) {
        assert.ok(p.type === 'flow_stats_reply');
        assert.equal((p.flags & OFPSF_REPLY_MORE) !== 0, i < parts.length - 1);
        assert.ok(encodeMessage(p).length <= OFP_MAX_MSG_LEN);
        total += p.flows.length;
      }
      assert.equal(total, 1500);
      if (HAVE_OFCTL) {
        const r = await runCommand(
          'ovs-ofctl',
          ['-O', 'OpenFlow13', 'dump-flows', `unix:${s.mgmt}`],
          {},
          20000,
        );
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.split('\n').filter((l) => l.includes(' cookie=')).length, 1500);
        assert.equal(
          r.stdout.split('\n').filter((l) => l.startsWith('OFPST_FLOW reply')).length,
          parts.length,
        );
      }
    } finally {
      s.sw.rules = [];
      conn.close();
    }
  });

  it('an OpenFlow 1.0 flow_mod without wildcards is an exact-match flow of priority 65535', async () => {
    const conn = await client(s, 1);
    try {
      s.sw.rules = [];
      const bytes = encodeMessage({
        type: 'flow_mod',
        version: 1,
        xid: 9,
        cookie: 0n,
        cookieMask: 0n,
        tableId: 0,
        command: 0,
        idleTimeout: 0,
        hardTimeout: 0,
        priority: 7,
        bufferId: 0xffffffff,
        outPort: 0xffff,
        outGroup: 0xffffffff,
        flags: 0,
        importance: 0,
        match: [{ field: 'in_port', value: Uint8Array.of(0, 1), mask: null }],
        instructions: [],
      });
      conn.sendRaw(bytes);
      const exact = Uint8Array.from(bytes);
      exact.set([0, 0, 0, 0], 8); // wildcards = 0: every field of the (all-zero but in_port) match is exact
      exact[7] = 10;
      conn.sendRaw(exact);
      await barrier(conn);
      assert.deepEqual(
        s.sw.rules.map((r) => r.priority),
        [7, 0xffff],
      );
    } finally {
      s.sw.rules = [];
      conn.close();
    }
  });

  it('splitEntries packs greedily: every part but the last is full', () => {
    const entry = (i: number): FlowStatsEntry => ({
      tableId: 0,
      durationSec: 0,
      durationNsec: 0,
      priority: i,
      idleTimeout: 0,
      hardTimeout: 0,
      flags: 0,
      importance: 0,
      idleAge: 0,
      hardAge: 0,
      cookie: 0n,
      packetCount: 0n,
      byteCount: 0n,
      match: [],
      instructions: [],
    });
    const req = { type: 'flow_stats_request', version: 4, xid: 1 } as OfMessage;
    const parts = splitEntries(
      req,
      Array.from({ length: 2000 }, (_, i) => entry(i)),
      (flows, flags) => ({
        type: 'flow_stats_reply',
        flags,
        flows,
      }),
    );
    // A 1.3 flow-stats entry with an empty match and no instructions is 56 bytes, after 16 of header:
    // (65535 - 16) / 56 = 1169.9.
    assert.deepEqual(
      parts.map((p) => (p.type === 'flow_stats_reply' ? p.flows.length : -1)),
      [1169, 831],
    );
  });

  it('roles: master demotes the other master, a slave may not modify, stale generation ids are refused', async () => {
    const a = await client(s);
    const b = await client(s);
    const c = await client(s, 1);
    try {
      const ra = await a.request({ type: 'role_request', role: 2, generationId: 5n });
      assert.deepEqual(
        ra.map((m) => m.type === 'role_reply' && [m.role, m.generationId]),
        [[2, 5n]],
      );
      const rb = await b.request({ type: 'role_request', role: 2, generationId: 6n });
      assert.deepEqual(
        rb.map((m) => m.type === 'role_reply' && [m.role, m.generationId]),
        [[2, 6n]],
      );
      const nochange = await a.request({ type: 'role_request', role: 0, generationId: 0n });
      assert.deepEqual(
        nochange.map((m) => m.type === 'role_reply' && [m.role, m.generationId]),
        [[3, 6n]],
      );
      await assert.rejects(
        a.request({ type: 'role_request', role: 2, generationId: 4n }),
        (e: unknown) => e instanceof OfpRemoteError && e.code === 'OFPRRFC_STALE',
      );
      await assert.rejects(
        a.request({ type: 'role_request', role: 9, generationId: 4n }),
        (e: unknown) => e instanceof OfpRemoteError && e.code === 'OFPRRFC_BAD_ROLE',
      );
      await assert.rejects(
        a.request({
          type: 'flow_mod',
          cookie: 0n,
          cookieMask: 0n,
          tableId: 0,
          command: 0,
          idleTimeout: 0,
          hardTimeout: 0,
          priority: 1,
          bufferId: 0xffffffff,
          outPort: 0xffff,
          outGroup: 0xffffffff,
          flags: 0,
          importance: 0,
          match: [],
          instructions: [],
        }),
        (e: unknown) => e instanceof OfpRemoteError && e.code === 'OFPBRC_IS_SECONDARY',
      );
      await assert.rejects(
        a.request({
          type: 'packet_out',
          bufferId: 0xffffffff,
          inPort: 0xfffd,
          actions: [],
          data: new Uint8Array(14),
        }),
        (e: unknown) => e instanceof OfpRemoteError && e.code === 'OFPBRC_IS_SECONDARY',
      );
      // Nicira roles on a 1.0 connection: other=0, master=1, slave=2.
      const rc = await c.request({ type: 'nx_role_request', role: 1 });
      assert.deepEqual(
        rc.map((m) => m.type === 'nx_role_reply' && m.role),
        [1],
      );
      const rb2 = await b.request({ type: 'role_request', role: 0, generationId: 0n });
      assert.deepEqual(
        rb2.map((m) => m.type === 'role_reply' && m.role),
        [3],
      );
      // Reading is allowed to a slave; equal goes back to full rights.
      assert.equal((await a.request({ type: 'desc_request', flags: 0 }))[0].type, 'desc_reply');
      await a.request({ type: 'role_request', role: 1, generationId: 0n });
      await a.request({ type: 'barrier_request' });
    } finally {
      a.close();
      b.close();
      c.close();
    }
  });

  it('asynchronous messages: service connections only after asking, formats, roles, async config', async () => {
    const plain = await client(s);
    const asked13 = await client(s);
    const nx10 = await client(s, 1);
    const slave = await client(s);
    const got = {
      plain: collect(plain),
      asked13: collect(asked13),
      nx10: collect(nx10),
      slave: collect(slave),
    };
    try {
      asked13.send({ type: 'set_config', flags: 0, missSendLen: 0xffff });
      await barrier(asked13);
      nx10.send({ type: 'nx_set_packet_in_format', value: 1 });
      nx10.send({ type: 'nx_set_flow_format', value: 2 });
      nx10.send({ type: 'set_config', flags: 0, missSendLen: 128 });
      await barrier(nx10);
      // A slave with async turned on for packet-ins in the slave role gets them; port status by default.
      slave.send({ type: 'set_config', flags: 0, missSendLen: 128 });
      await slave.request({ type: 'role_request', role: 3, generationId: 100n });
      const frame = Buffer.from(UDP_FRAME, 'hex');
      s.sw.emitPacketIn({ frame, reason: 'action', tableId: 3, cookie: 0x99n });
      s.sw.emitPacketIn({ frame, reason: 'no_match', implicitMiss: true });
      s.sw.emitPacketIn({ frame, reason: 'no_match', tableId: 1 });
      s.sw.sink?.portStatus({ bridge: 'br0', reason: 'modify', port: { ...s.sw.ports()[0], config: 1 } });
      s.sw.rules = [];
      await plain.request({ type: 'barrier_request' });
      s.sw.flowMod('br0', {
        command: 'add',
        tableId: 0,
        priority: 5,
        match: (await import('../../src/openflow/match-text.js')).catchAllMatch(),
        actions: [],
        cookie: 0n,
        cookieMask: 0n,
        newCookie: 0x42n,
        idleTimeout: 0,
        hardTimeout: 0,
        importance: 0,
        flags: 1,
        outPort: 0xffff,
        outGroup: 0xffffffff,
        bufferId: 0xffffffff,
      });
      s.sw.flowMod('br0', {
        command: 'delete',
        tableId: 255,
        priority: 0,
        match: (await import('../../src/openflow/match-text.js')).catchAllMatch(),
        actions: [],
        cookie: 0n,
        cookieMask: 0n,
        newCookie: null,
        idleTimeout: 0,
        hardTimeout: 0,
        importance: 0,
        flags: 0,
        outPort: 0xffff,
        outGroup: 0xffffffff,
        bufferId: 0xffffffff,
      });
      for (const c of [plain, asked13, nx10, slave]) await barrier(c);
      assert.deepEqual(got.plain, []);
      // OpenFlow 1.3: the action packet-in with its table and cookie and in_port as OXM, not the implicit
      // table miss (only pre-1.3 connections get those), the explicit one as no_match, port status and
      // flow removed.
      assert.deepEqual(
        got.asked13.map((m) => [m.type, 'reason' in m ? m.reason : null]),
        [
          ['packet_in', 1],
          ['packet_in', 0],
          ['port_status', 2],
          ['flow_removed', 2],
        ],
      );
      const pin = got.asked13[0];
      assert.ok(pin.type === 'packet_in');
      assert.equal(pin.reason, 1);
      assert.equal(pin.tableId, 3);
      assert.equal(pin.cookie, 0x99n);
      assert.equal(pin.bufferId, 0xffffffff);
      assert.equal(pin.totalLen, 46);
      assert.deepEqual(
        pin.match.map((e) => [e.field, [...e.value], e.mask]),
        [['in_port_oxm', [0, 0, 0, 1], null]],
      );
      assert.deepEqual(Buffer.from(pin.data), frame);
      const fr = got.asked13[3];
      assert.ok(fr.type === 'flow_removed');
      assert.equal(fr.cookie, 0x42n);
      assert.equal(fr.reason, 2);
      // OpenFlow 1.0 with NXT_PACKET_IN and the NXM flow format: every packet-in (the implicit miss as
      // no_match, the explicit one as action, as OVS encodes them before 1.3), a Nicira flow_removed.
      assert.deepEqual(
        got.nx10.map((m) => [m.type, 'reason' in m ? m.reason : null]),
        [
          ['nx_packet_in', 1],
          ['nx_packet_in', 0],
          ['nx_packet_in', 1],
          ['port_status', 2],
          ['nx_flow_removed', 2],
        ],
      );
      // The slave: port status only.
      assert.deepEqual(
        got.slave.map((m) => m.type),
        ['port_status'],
      );
      // get_async shows the 1.3 defaults as OVS reports them.
      const ga = await asked13.request({ type: 'get_async_request' });
      assert.deepEqual(
        ga.map((m) => m.type === 'get_async_reply' && [m.packetInMask, m.portStatusMask, m.flowRemovedMask]),
        [
          [
            [3, 0],
            [7, 7],
            [15, 0],
          ],
        ],
      );
      // set_async turning packet-ins off for the primary role.
      asked13.send({
        type: 'set_async',
        packetInMask: [0, 0],
        portStatusMask: [7, 7],
        flowRemovedMask: [0, 0],
      });
      await barrier(asked13);
      s.sw.emitPacketIn({ frame, reason: 'action' });
      await barrier(asked13);
      assert.equal(got.asked13.length, 4);
      // controller(id=5) packet-ins go only to connections that took controller id 5.
      nx10.send({ type: 'nx_set_controller_id', value: 5 });
      await barrier(nx10);
      const before = got.nx10.length;
      s.sw.emitPacketIn({ frame, reason: 'action', controllerId: 5 });
      s.sw.emitPacketIn({ frame, reason: 'action', controllerId: 0 });
      await barrier(nx10);
      assert.deepEqual(
        got.nx10.slice(before).map((m) => m.type),
        ['nx_packet_in'],
      );
      assert.equal(s.mgr.wantsPacketInOnMiss('br0'), false);
    } finally {
      for (const c of [plain, asked13, nx10, slave]) c.close();
    }
  });
});

/** A controller: a TCP listener that speaks OpenFlow to every switch connecting to it. */
class TestController {
  server: Server | null = null;
  readonly conns: OfConnection[] = [];
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly opts: { answerEcho?: boolean } = {}) {}

  async start(port = 0): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      this.conns.push(
        new OfConnection(socket, { name: 'controller', answerEcho: this.opts.answerEcho ?? true }),
      );
    });
    await new Promise<void>((res) => this.server?.listen({ host: '127.0.0.1', port }, res));
    const a = this.server.address();
    this.port = a !== null && typeof a === 'object' ? a.port : 0;
  }

  /** Stops listening and drops every connection. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    this.server = null;
  }

  /** The newest connection, once negotiated. */
  async latest(n: number): Promise<OfConnection> {
    await waitFor(() => this.conns.length >= n, 10000, `connection ${n}`);
    const c = this.conns[n - 1];
    await c.ready;
    return c;
  }
}

describe('ConnectionManager connecting to controllers', () => {
  let s: Setup;
  const ctl = new TestController();
  before(async () => {
    s = await setup();
    await ctl.start();
  });
  after(async () => {
    await teardown(s);
    await ctl.stop();
  });

  const status = () => s.mgr.controllerStatus('br1').get(`tcp:127.0.0.1:${ctl.port}`);

  it('connects, reports ACTIVE, tells the switch, gets packet-ins as a primary controller', async () => {
    await s.mgr.setBridge('br1', { mgmtPath: null, controllers: [{ target: `tcp:127.0.0.1:${ctl.port}` }] });
    assert.deepEqual(s.sw.controllerStates, [
      ['br0', false],
      ['br1', false],
    ]);
    const conn = await ctl.latest(1);
    await waitFor(() => status()?.isConnected === true, 10000, 'connected');
    assert.deepEqual(s.sw.controllerStates.at(-1), ['br1', true]);
    assert.equal(s.mgr.isAnyControllerConnected('br1'), true);
    assert.equal(s.mgr.hasControllers('br1'), true);
    assert.deepEqual(status(), {
      isConnected: true,
      role: 'other',
      status: { state: 'ACTIVE', sec_since_connect: '0' },
    });
    // Both ends speak 1.0, 1.3, 1.4 and 1.5: the highest, 1.5, is used.
    assert.equal(conn.version, 6);
    // A primary controller's miss_send_len is 128 from the start: packet-ins come without asking.
    const got = collect(conn);
    s.sw.emitPacketIn({ bridge: 'br1', frame: Buffer.from(UDP_FRAME, 'hex'), reason: 'action' });
    s.sw.emitPacketIn({ bridge: 'br0', frame: Buffer.from(UDP_FRAME, 'hex'), reason: 'action' });
    await barrier(conn);
    assert.deepEqual(
      got.map((m) => m.type),
      ['packet_in'],
    );
    const cfg = await conn.request({ type: 'get_config_request' });
    assert.deepEqual(
      cfg.map((m) => m.type === 'get_config_reply' && m.missSendLen),
      [128],
    );
    await conn.request({ type: 'role_request', role: 2, generationId: 1n });
    assert.equal(status()?.role, 'master');
    // OpenFlow 1.3 controllers do not want table misses; the switch can ask.
    assert.equal(s.mgr.wantsPacketInOnMiss('br1'), false);
  });

  it('a dropped connection backs off and reconnects; a refused one reports the error', async () => {
    ctl.conns[0].close();
    await waitFor(() => status()?.isConnected === false, 10000, 'disconnect noticed');
    assert.deepEqual(s.sw.controllerStates.at(-1), ['br1', false]);
    const st = status();
    assert.equal(st?.status.last_error, 'End of file');
    assert.ok(['BACKOFF', 'CONNECTING'].includes(st?.status.state ?? ''), JSON.stringify(st));
    assert.equal(st?.status.sec_since_disconnect, '0');
    assert.equal(st?.role, null);
    await ctl.latest(2);
    await waitFor(() => status()?.status.state === 'ACTIVE', 10000, 'reconnected');
    assert.deepEqual(s.sw.controllerStates.at(-1), ['br1', true]);
    // The controller goes away: attempts are refused, with growing backoff.
    const port = ctl.port;
    await ctl.stop();
    await waitFor(() => status()?.status.last_error === 'Connection refused', 10000, 'refused');
    assert.equal(status()?.isConnected, false);
    const rc = (
      s.mgr as unknown as {
        bridges: Map<string, { services: Map<string, { rconn: { backoffMs: number } }> }>;
      }
    ).bridges
      .get('br1')
      ?.services.get(`tcp:127.0.0.1:${port}`)?.rconn;
    await waitFor(() => (rc?.backoffMs ?? 0) >= 4 * 50, 10000, 'backoff growing');
    // And comes back on the same port: the next attempt succeeds.
    await ctl.start(port);
    await ctl.latest(3);
    await waitFor(() => status()?.status.state === 'ACTIVE', 10000, 'back');
  });

  it('inactivity probe: an echo after the interval, then a disconnect when nothing answers', async () => {
    const mute = new TestController({ answerEcho: false });
    await mute.start();
    try {
      const target = `tcp:127.0.0.1:${mute.port}`;
      await s.mgr.setBridge('br1', { mgmtPath: null, controllers: [{ target, inactivityProbeMs: 5000 }] });
      const conn = await mute.latest(1);
      const echoes: number[] = [];
      conn.on('message', (m) => {
        if (m.type === 'echo_request') echoes.push(Date.now());
      });
      const st = () => s.mgr.controllerStatus('br1').get(target);
      await waitFor(() => st()?.status.state === 'IDLE', 10000, 'idle');
      await waitFor(() => st()?.status.last_error === 'Connection timed out', 10000, 'probe timeout');
      assert.equal(echoes.length, 1);
      // The old controller was removed from the configuration, so its service is gone.
      assert.equal(s.mgr.controllerStatus('br1').size, 1);
    } finally {
      await mute.stop();
    }
  });

  it('passive targets: punix is a service connection by default, a primary one when the row says so', async () => {
    const svc = join(s.dir, 'br1.svc');
    const prim = join(s.dir, 'br1.prim');
    await s.mgr.setBridge('br1', {
      mgmtPath: null,
      controllers: [{ target: `punix:${svc}` }, { target: `punix:${prim}`, type: 'primary' }],
    });
    assert.deepEqual(Object.fromEntries(s.mgr.controllerStatus('br1')), {
      [`punix:${svc}`]: { isConnected: false, role: null, status: {} },
      [`punix:${prim}`]: { isConnected: false, role: null, status: {} },
    });
    assert.equal(s.mgr.hasControllers('br1'), true);
    const states = s.sw.controllerStates.length;
    const a = await connectOpenFlow(`unix:${svc}`);
    await barrier(a);
    assert.equal(s.sw.controllerStates.length, states, 'a service connection is not a controller');
    assert.equal((await a.request({ type: 'get_config_request' }))[0].type === 'get_config_reply', true);
    const b = await connectOpenFlow(`unix:${prim}`);
    await barrier(b);
    assert.deepEqual(s.sw.controllerStates.at(-1), ['br1', true]);
    b.close();
    await waitFor(() => s.sw.controllerStates.at(-1)?.[1] === false, 10000, 'primary gone');
    a.close();
    await s.mgr.removeBridge('br1');
    assert.deepEqual(s.mgr.bridgeNames(), ['br0']);
  });
});
