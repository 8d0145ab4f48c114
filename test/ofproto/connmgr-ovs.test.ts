// The connection manager side by side with the real ovs-vswitchd 3.1 (dummy datapath, private run
// directory, no root): the same requests — malformed ones, requests a switch must refuse, configuration
// and role requests, statistics whose content does not depend on the flow table — get the same answers
// from both, and a packet-out to CONTROLLER comes back as the same packet-in bytes in every format. As root,
// ovs-vswitchd runs in a network namespace of its own (test/helpers/private-netns.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConnectionManager } from '../../src/ofproto/connmgr.js';
import { connectOpenFlow, type Outgoing } from '../../src/openflow/conn.js';
import { encodeMessage, type FlowMod, type OfMessage } from '../../src/openflow/messages.js';
import { buildMessage, hex, versionBitmap } from '../../src/openflow/wire.js';
import { OVS_SCHEMA, runCommand, tempDir, waitFor } from '../helpers/daemons.js';
import { addPrivateNetnsIfRoot, deletePrivateNetnsSync, inNetns } from '../helpers/private-netns.js';
import { FakeSwitch } from './connmgr-fake.js';

const NEEDED = ['ovs-ofctl', 'ovs-vswitchd', 'ovsdb-server', 'ovsdb-tool', 'ovs-vsctl'];
const missing = NEEDED.filter(
  (b) => spawnSync('sh', ['-c', `command -v ${b}`], { stdio: 'ignore' }).status !== 0,
);
const SKIP = missing.length > 0 ? `needs Open vSwitch (${missing.join(', ')} missing)` : false;

const UDP_FRAME =
  '0000000000020000000000010800450000200001000040117cca0a0000010a000002003500350008000000000000';

/** ovsdb-server + ovs-vswitchd (dummy datapath) with bridge br0 and dummy ports p1, p2, in `dir`. */
class DummyOvs {
  constructor(readonly dir: string) {}
  private netns: string | null = null;

  private async ok(cmd: string, args: string[]): Promise<void> {
    const env = { OVS_RUNDIR: this.dir, OVS_DBDIR: this.dir, OVS_LOGDIR: this.dir };
    const r = await runCommand(cmd, args, env, 30000);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  }

  async start(): Promise<void> {
    const d = this.dir;
    const db = join(d, 'db.sock');
    await this.ok('ovsdb-tool', ['create', join(d, 'conf.db'), OVS_SCHEMA]);
    await this.ok('ovsdb-server', [
      join(d, 'conf.db'),
      `--remote=punix:${db}`,
      `--pidfile=${join(d, 'ovsdb-server.pid')}`,
      `--unixctl=${join(d, 'ovsdb-server.ctl')}`,
      `--log-file=${join(d, 'ovsdb-server.log')}`,
      '--no-chdir',
      '--detach',
    ]);
    await this.ok('ovs-vsctl', [`--db=unix:${db}`, '--no-wait', 'init']);
    this.netns = await addPrivateNetnsIfRoot('tsovs-cmo');
    await this.ok(
      ...inNetns(this.netns, 'ovs-vswitchd', [
        `unix:${db}`,
        '--enable-dummy=override',
        `--pidfile=${join(d, 'ovs-vswitchd.pid')}`,
        `--unixctl=${join(d, 'ovs-vswitchd.ctl')}`,
        `--log-file=${join(d, 'ovs-vswitchd.log')}`,
        '--no-chdir',
        '--detach',
      ]),
    );
    await this.ok('ovs-vsctl', [
      `--db=unix:${db}`,
      '--timeout=20',
      ...['add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=dummy'],
      ...['--', 'add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=dummy', 'ofport_request=1'],
      ...['--', 'add-port', 'br0', 'p2', '--', 'set', 'interface', 'p2', 'type=dummy', 'ofport_request=2'],
    ]);
    await waitFor(() => existsSync(join(d, 'br0.mgmt')), 10000, 'br0.mgmt');
  }

  /** Kills both daemons and deletes the namespace (synchronously, so that it also works from an exit handler). */
  kill(): void {
    for (const name of ['ovs-vswitchd', 'ovsdb-server']) {
      try {
        const pid = Number.parseInt(readFileSync(join(this.dir, `${name}.pid`), 'utf8').trim(), 10);
        if (pid > 1) process.kill(pid, 'SIGTERM');
      } catch {
        // Not running.
      }
    }
    deletePrivateNetnsSync(this.netns);
    this.netns = null;
  }
}

function flowMod(v: number, over: Partial<FlowMod>): OfMessage {
  return {
    type: 'flow_mod',
    version: v,
    xid: 0x77,
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
    ...over,
  } as OfMessage;
}

/** Requests (as bytes, xid 0x77) that must get the same error, or the same nothing, from both switches. */
const ERROR_CASES: [string, number, (v: number) => Uint8Array][] = [
  ['an unknown message type', 4, (v) => buildMessage(v, 99, 0x77, () => {})],
  ['an unknown message type (1.0)', 1, (v) => buildMessage(v, 99, 0x77, () => {})],
  ['a reply sent as a request', 4, (v) => buildMessage(v, 6, 0x77, (w) => w.zeros(24))],
  ['hello after negotiation', 4, (v) => buildMessage(v, 0, 0x77, () => {})],
  ['an unknown statistics kind', 4, (v) => buildMessage(v, 18, 0x77, (w) => w.u16(77).u16(0).zeros(4))],
  ['an unknown statistics kind (1.0)', 1, (v) => buildMessage(v, 16, 0x77, (w) => w.u16(77).u16(0))],
  ['a truncated flow_mod', 4, (v) => buildMessage(v, 14, 0x77, (w) => w.zeros(10))],
  ['a get_config_request with a body', 4, (v) => buildMessage(v, 7, 0x77, (w) => w.zeros(4))],
  ['an unknown Nicira subtype', 4, (v) => buildMessage(v, 4, 0x77, (w) => w.u32(0x2320).u32(999))],
  ['flow_mod command 9', 4, (v) => encodeMessage(flowMod(v, { command: 9 }))],
  ['flow_mod add to table 255', 4, (v) => encodeMessage(flowMod(v, { tableId: 255 }))],
  ['flow_mod add to table 254', 4, (v) => encodeMessage(flowMod(v, { tableId: 254 }))],
  ['flow_mod with unknown flags', 4, (v) => encodeMessage(flowMod(v, { flags: 0x100 }))],
  ['an emergency flow_mod (1.0)', 1, (v) => encodeMessage(flowMod(v, { flags: 4 }))],
  [
    'a 1.0 command with a table byte, no flow_mod_table_id',
    1,
    (v) => encodeMessage(flowMod(v, { tableId: 1 })),
  ],
  ['flow_mod with a buffer id', 4, (v) => encodeMessage(flowMod(v, { bufferId: 7 }))],
  [
    'packet_out from port 0xff50',
    1,
    (v) =>
      encodeMessage({
        type: 'packet_out',
        version: v,
        xid: 0x77,
        bufferId: 0xffffffff,
        inPort: 0xff50,
        actions: [],
        data: new Uint8Array(14),
      }),
  ],
  [
    'packet_out with a buffer id',
    4,
    (v) =>
      encodeMessage({
        type: 'packet_out',
        version: v,
        xid: 0x77,
        bufferId: 9,
        inPort: 0xfffd,
        actions: [],
        data: new Uint8Array(0),
      }),
  ],
  [
    'packet-in format 7',
    4,
    (v) => encodeMessage({ type: 'nx_set_packet_in_format', version: v, xid: 0x77, value: 7 }),
  ],
  ['flow format 5', 1, (v) => encodeMessage({ type: 'nx_set_flow_format', version: v, xid: 0x77, value: 5 })],
  [
    'group_mod command 7',
    4,
    (v) =>
      encodeMessage({
        type: 'group_mod',
        version: v,
        xid: 0x77,
        command: 7,
        groupType: 0,
        groupId: 1,
        buckets: [],
      }),
  ],
  [
    'group_mod type 9',
    4,
    (v) =>
      encodeMessage({
        type: 'group_mod',
        version: v,
        xid: 0x77,
        command: 0,
        groupType: 9,
        groupId: 1,
        buckets: [],
      }),
  ],
  [
    'role 5',
    4,
    (v) => encodeMessage({ type: 'role_request', version: v, xid: 0x77, role: 5, generationId: 0n }),
  ],
  ['Nicira role 3', 1, (v) => encodeMessage({ type: 'nx_role_request', version: v, xid: 0x77, role: 3 })],
  ['barrier_reply', 4, (v) => buildMessage(v, 21, 0x77, () => {})],
  ['echo_reply', 4, (v) => buildMessage(v, 3, 0x77, () => {})],
  ['set_config', 4, (v) => buildMessage(v, 9, 0x77, (w) => w.u16(0).u16(0xffff))],
];

/** Replies (or errors) to a sequence of requests on one fresh connection, as comparable text. */
async function exchange(path: string, version: number, requests: Outgoing[]): Promise<string[]> {
  const conn = await connectOpenFlow(`unix:${path}`, { versions: versionBitmap([version]) });
  try {
    const out: string[] = [];
    for (const r of requests) {
      const replies = await conn.request(r).catch((e: Error) => [e.message]);
      out.push(
        replies
          .map((m) =>
            typeof m === 'string'
              ? m
              : JSON.stringify(m, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x)),
          )
          .join('|'),
      );
    }
    return out;
  } finally {
    conn.close();
  }
}

/** The error names (or "-") a raw message gets, answered before a following barrier. */
async function errorsFor(path: string, version: number, bytes: Uint8Array): Promise<string> {
  const conn = await connectOpenFlow(`unix:${path}`, { versions: versionBitmap([version]) });
  try {
    const names: string[] = [];
    conn.on('message', (m) => {
      if (m.type === 'error' && m.xid === 0x77) names.push(`${m.name} ${hex(m.data)}`);
    });
    conn.sendRaw(bytes);
    await conn.request({ type: 'barrier_request', xid: 0x78 });
    return names.join(',') || '-';
  } finally {
    conn.close();
  }
}

describe('ConnectionManager and ovs-vswitchd 3.1 answer alike', { skip: SKIP }, () => {
  const dir = tempDir('connmgr-ovs-');
  const ovs = new DummyOvs(dir);
  const sw = new FakeSwitch();
  const mgr = new ConnectionManager(sw, {});
  const theirs = join(dir, 'br0.mgmt');
  const ours = join(dir, 'ours.mgmt');
  const onExit = () => ovs.kill();

  before(async () => {
    process.once('exit', onExit);
    await ovs.start();
    await mgr.setBridge('br0', { mgmtPath: ours, controllers: [] });
  });

  after(async () => {
    await mgr.close();
    ovs.kill();
    process.off('exit', onExit);
    await new Promise((r) => setTimeout(r, 200));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [what, version, bytes] of ERROR_CASES) {
    it(`the same error for ${what}`, async () => {
      const a = await errorsFor(theirs, version, bytes(version));
      const b = await errorsFor(ours, version, bytes(version));
      assert.equal(b, a);
    });
  }

  it('the same configuration, async, role and table-independent statistics replies', async () => {
    for (const version of [1, 4]) {
      const requests: Outgoing[] = [
        { type: 'get_config_request' },
        { type: 'desc_request', flags: 0 },
        ...(version === 4
          ? ([
              { type: 'get_async_request' },
              { type: 'group_features_request', flags: 0 },
              { type: 'group_desc_request', flags: 0 },
              { type: 'role_request', role: 0, generationId: 0n },
              { type: 'role_request', role: 2, generationId: 10n },
              { type: 'role_request', role: 3, generationId: 9n },
              { type: 'role_request', role: 3, generationId: 11n },
              { type: 'role_request', role: 1, generationId: 0n },
            ] as Outgoing[])
          : ([
              { type: 'nx_role_request', role: 2 },
              { type: 'nx_role_request', role: 1 },
              { type: 'nx_role_request', role: 0 },
            ] as Outgoing[])),
      ];
      const a = await exchange(theirs, version, requests);
      const b = await exchange(ours, version, requests);
      assert.deepEqual(b, a);
    }
    // Connections start from the same settings (a set_async changed only that connection).
    const first = await exchange(theirs, 4, [{ type: 'get_async_request' }]);
    assert.deepEqual(await exchange(ours, 4, [{ type: 'get_async_request' }]), first);
  });

  it('a master demoted by another gets the same role status message (ONF extension in 1.3)', async () => {
    const got: string[] = [];
    for (const path of [theirs, ours]) {
      const a = await connectOpenFlow(`unix:${path}`, { versions: versionBitmap([4]), answerErrors: false });
      const b = await connectOpenFlow(`unix:${path}`, { versions: versionBitmap([4]) });
      try {
        const raw: string[] = [];
        a.on('invalid', (_e, bytes) => raw.push(hex(bytes)));
        a.on('message', (m, bytes) => {
          if (m.type !== 'role_reply' && m.type !== 'barrier_reply') raw.push(hex(bytes));
        });
        await a.request({ type: 'role_request', role: 2, generationId: 100n });
        await b.request({ type: 'role_request', role: 2, generationId: 101n });
        await a.request({ type: 'barrier_request' });
        got.push(raw.join(' '));
        // Leave the generation ids behind: back to equal for the next test's connections.
        await a.request({ type: 'role_request', role: 1, generationId: 0n });
        await b.request({ type: 'role_request', role: 1, generationId: 0n });
      } finally {
        a.close();
        b.close();
      }
    }
    assert.notEqual(got[0], '');
    assert.equal(got[1], got[0]);
  });

  it('features and table statistics agree but for the datapath id, ports and counters', async () => {
    for (const version of [1, 4]) {
      const strip = (m: OfMessage) => {
        if (m.type === 'features_reply') return { ...m, datapathId: 0n, ports: [] };
        if (m.type === 'table_stats_reply')
          return {
            ...m,
            tables: m.tables.map((t) => ({ ...t, activeCount: 0, lookupCount: 0n, matchedCount: 0n })),
          };
        return m;
      };
      for (const r of [
        { type: 'features_request' },
        { type: 'table_stats_request', flags: 0 },
      ] as Outgoing[]) {
        const ca = await connectOpenFlow(`unix:${theirs}`, { versions: versionBitmap([version]) });
        const cb = await connectOpenFlow(`unix:${ours}`, { versions: versionBitmap([version]) });
        try {
          const a = (await ca.request(r)).map(strip);
          const b = (await cb.request(r)).map(strip);
          assert.deepEqual(b, a);
        } finally {
          ca.close();
          cb.close();
        }
      }
    }
  });

  it('a deleted send_flow_rem flow is reported alike in 1.0, NXM and 1.3 (but for its age and counters)', async () => {
    const formats: [string, number, Outgoing[]][] = [
      ['OpenFlow 1.0', 1, []],
      ['NXM', 1, [{ type: 'nx_set_flow_format', value: 2 }]],
      ['OpenFlow 1.3', 4, []],
    ];
    const match = (v: number) =>
      v === 1
        ? [{ field: 'in_port', value: Uint8Array.of(0, 1), mask: null }]
        : [{ field: 'in_port_oxm', value: Uint8Array.of(0, 0, 0, 1), mask: null }];
    for (const [what, version, setup] of formats) {
      const got: unknown[] = [];
      for (const path of [theirs, ours]) {
        const conn = await connectOpenFlow(`unix:${path}`, { versions: versionBitmap([version]) });
        try {
          const removed: OfMessage[] = [];
          conn.on('message', (m) => {
            if (m.type === 'flow_removed' || m.type === 'nx_flow_removed') removed.push(m);
          });
          for (const s of setup) conn.send(s);
          conn.send({ type: 'set_config', flags: 0, missSendLen: 128 });
          const base = { priority: 5, cookie: 0x42n, idleTimeout: 60, hardTimeout: 0, match: match(version) };
          conn.send({ ...flowMod(version, { ...base, flags: 1 }), xid: undefined } as Outgoing);
          conn.send({ ...flowMod(version, { ...base, command: 4, cookie: 0n }), xid: undefined } as Outgoing);
          await conn.request({ type: 'barrier_request' });
          await waitFor(() => removed.length > 0, 5000, `${what} flow_removed`);
          got.push(
            removed.map((m) =>
              m.type === 'flow_removed' || m.type === 'nx_flow_removed'
                ? { ...m, xid: 0, durationSec: 0, durationNsec: 0, packetCount: 0n, byteCount: 0n }
                : m,
            ),
          );
        } finally {
          conn.close();
        }
      }
      assert.deepEqual(got[1], got[0], what);
    }
  });

  it('a packet-out to CONTROLLER comes back as the same packet-in bytes, in every format', async () => {
    const frame = Buffer.from(UDP_FRAME, 'hex');
    const formats: [string, number, Outgoing[]][] = [
      ['OpenFlow 1.0', 1, []],
      ['OpenFlow 1.3', 4, []],
      ['NXT_PACKET_IN (1.0)', 1, [{ type: 'nx_set_packet_in_format', value: 1 }]],
      ['NXT_PACKET_IN2 (1.3)', 4, [{ type: 'nx_set_packet_in_format', value: 2 }]],
      ['NXT_PACKET_IN2 (1.0)', 1, [{ type: 'nx_set_packet_in_format', value: 2 }]],
    ];
    for (const [what, version, setup] of formats) {
      const got: string[] = [];
      for (const path of [theirs, ours]) {
        const listener = await connectOpenFlow(`unix:${path}`, { versions: versionBitmap([version]) });
        const sender = await connectOpenFlow(`unix:${path}`, { versions: versionBitmap([version]) });
        try {
          const raw: Uint8Array[] = [];
          listener.on('message', (m, bytes) => {
            if (m.type === 'packet_in' || m.type === 'nx_packet_in' || m.type === 'nx_packet_in2')
              raw.push(bytes);
          });
          for (const s of setup) listener.send(s);
          listener.send({ type: 'set_config', flags: 0, missSendLen: 0xffff });
          await listener.request({ type: 'barrier_request' });
          sender.send({
            type: 'packet_out',
            bufferId: 0xffffffff,
            inPort: 1,
            actions: [{ type: 'output', port: 0xfffd, maxLen: 0xffff }],
            data: frame,
          });
          await sender.request({ type: 'barrier_request' });
          await waitFor(() => raw.length > 0, 5000, `${what} packet-in`);
          await listener.request({ type: 'barrier_request' });
          assert.equal(raw.length, 1, what);
          got.push(hex(raw[0]));
        } finally {
          listener.close();
          sender.close();
        }
      }
      assert.equal(got[1], got[0], what);
    }
  });
});
