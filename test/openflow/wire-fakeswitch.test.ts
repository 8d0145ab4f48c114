// A tiny switch built only from this codec (OfConnection + the message encoders) answers the real
// ovs-ofctl: hello and version negotiation, features, config, port descriptions, barriers, and flow mods
// it stores and gives back in flow-stats replies. ovs-ofctl then prints what we encoded, which proves the
// encoders produce what Open vSwitch's own decoder accepts; and a version mismatch fails the way it does
// against ovs-vswitchd.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OfConnection, type OfConnectionError } from '../../src/openflow/conn.js';
import {
  decodeMessage,
  encodeMessage,
  errorMessage,
  type FlowMod,
  type FlowStatsEntry,
  helloFor,
  type OfMessage,
  type PhyPort,
} from '../../src/openflow/messages.js';
import { OfpFramer, versionBitmap } from '../../src/openflow/wire.js';
import { runCommand, tempDir } from '../helpers/daemons.js';

const HAVE_OFCTL = spawnSync('sh', ['-c', 'command -v ovs-ofctl'], { stdio: 'ignore' }).status === 0;
const SKIP = HAVE_OFCTL ? false : 'needs ovs-ofctl';

const PORTS: PhyPort[] = [
  {
    portNo: 1,
    hwAddr: 'aa:55:aa:55:00:01',
    name: 'p1',
    config: 0,
    state: 4,
    curr: 0x82c,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 10000000,
    maxSpeed: 0,
  },
  {
    portNo: 0xfffe,
    hwAddr: '02:00:00:00:12:34',
    name: 'br0',
    config: 1,
    state: 1,
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  },
];

/** The switch: flows per table as received, answering what ovs-ofctl asks. */
class FakeSwitch {
  readonly dir = tempDir('ofwire-fake-');
  readonly path = join(this.dir, 'br0.mgmt');
  flows: FlowMod[] = [];
  closes: (Error | null)[] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(readonly versions: number) {}

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const conn = new OfConnection(socket, { versions: this.versions, name: 'fake' });
      conn.on('message', (msg) => this.handle(conn, msg));
      conn.on('close', (reason) => this.closes.push(reason));
    });
    await new Promise<void>((res) => this.server?.listen(this.path, res));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private entry(f: FlowMod): FlowStatsEntry {
    return {
      tableId: f.tableId === 0xff ? 0 : f.tableId,
      durationSec: 1,
      durationNsec: 500000000,
      priority: f.priority,
      idleTimeout: f.idleTimeout,
      hardTimeout: f.hardTimeout,
      flags: 0,
      importance: 0,
      idleAge: 1,
      hardAge: 1,
      cookie: f.cookie,
      packetCount: 7n,
      byteCount: 700n,
      match: f.match,
      instructions: f.instructions,
    };
  }

  private handle(conn: OfConnection, msg: OfMessage): void {
    const reply = (body: Parameters<OfConnection['send']>[0]) => conn.send({ ...body, xid: msg.xid });
    switch (msg.type) {
      case 'features_request':
        reply({
          type: 'features_reply',
          datapathId: 0x1234n,
          nBuffers: 0,
          nTables: 254,
          auxiliaryId: 0,
          capabilities: 0xc7,
          actions: msg.version === 1 ? 0xfff : 0,
          ports: msg.version === 1 ? PORTS : [],
        });
        break;
      case 'get_config_request':
        reply({ type: 'get_config_reply', flags: 0, missSendLen: 128 });
        break;
      case 'port_desc_request':
        reply({ type: 'port_desc_reply', flags: 0, ports: PORTS });
        break;
      case 'barrier_request':
        reply({ type: 'barrier_reply' });
        break;
      case 'desc_request':
        reply({
          type: 'desc_reply',
          flags: 0,
          desc: { mfrDesc: 'tsovs', hwDesc: 'fake', swDesc: '0.1', serialNum: 'None', dpDesc: 'br0' },
        });
        break;
      case 'table_stats_request':
        reply({
          type: 'table_stats_reply',
          flags: 0,
          tables: [
            {
              tableId: 0,
              name: 'classifier',
              wildcards: 0x3fffff,
              maxEntries: 1000000,
              activeCount: this.flows.length,
              lookupCount: 5n,
              matchedCount: 3n,
            },
          ],
        });
        break;
      case 'table_features_request':
        reply({
          type: 'table_features_reply',
          flags: 0,
          tables: [
            {
              tableId: 0,
              name: 'classifier',
              metadataMatch: 0xffffffffffffffffn,
              metadataWrite: 0xffffffffffffffffn,
              config: 0,
              maxEntries: 1000000,
              props: [
                {
                  kind: 'instructions',
                  ids: [1, 2, 3, 4, 5, 6].map((type) => ({ type, data: new Uint8Array(0) })),
                },
                { kind: 'next_tables', tables: [] },
                { kind: 'write_actions', ids: [{ type: 0, data: new Uint8Array(0) }] },
                { kind: 'apply_actions', ids: [{ type: 0, data: new Uint8Array(0) }] },
                {
                  kind: 'match',
                  oxms: [
                    { header: 0x80000a02, experimenter: null },
                    { header: 0x80001804, experimenter: null },
                  ],
                },
                { kind: 'wildcards', oxms: [{ header: 0x80000a02, experimenter: null }] },
                { kind: 'write_setfield', oxms: [] },
                { kind: 'apply_setfield', oxms: [{ header: 0x80001804, experimenter: null }] },
              ],
            },
          ],
        });
        break;
      case 'nx_set_flow_format':
      case 'nx_flow_mod_table_id':
      case 'set_config':
        break;
      case 'flow_mod':
      case 'nx_flow_mod':
        if (msg.command === 0) this.flows.push(msg);
        else if (msg.command === 3 || msg.command === 4) this.flows = [];
        break;
      case 'flow_stats_request':
        reply({ type: 'flow_stats_reply', flags: 0, flows: this.flows.map((f) => this.entry(f)) });
        break;
      case 'nx_flow_stats_request':
        reply({ type: 'nx_flow_stats_reply', flags: 0, flows: this.flows.map((f) => this.entry(f)) });
        break;
      default:
        if (msg.type !== 'hello' && msg.type !== 'echo_reply' && msg.type !== 'error') {
          conn.sendRaw(
            encodeMessage(errorMessage('OFPBRC_BAD_TYPE', msg.version, msg.xid, encodeMessage(msg))),
          );
        }
    }
  }
}

async function ofctl(...args: string[]) {
  return runCommand('ovs-ofctl', ['--timeout=10', ...args], {}, 20000);
}

describe('ovs-ofctl against a switch made of this codec', { skip: SKIP }, () => {
  const sw = new FakeSwitch(versionBitmap([1, 4]));
  const target = () => `unix:${sw.path}`;

  before(() => sw.start());
  after(() => sw.stop());

  it('show (OpenFlow 1.0 and 1.3): ovs-ofctl prints the features, ports and config we encoded', async () => {
    const s10 = await ofctl('show', target());
    assert.equal(s10.status, 0, s10.stderr);
    assert.match(s10.stdout, /OFPT_FEATURES_REPLY \(xid=0x\w+\): dpid:0000000000001234/);
    assert.match(s10.stdout, /n_tables:254, n_buffers:0/);
    assert.match(s10.stdout, / 1\(p1\): addr:aa:55:aa:55:00:01/);
    assert.match(s10.stdout, / LOCAL\(br0\): addr:02:00:00:00:12:34\n\s+config:\s+PORT_DOWN/);
    assert.match(s10.stdout, /OFPT_GET_CONFIG_REPLY \(xid=0x\w+\): frags=normal miss_send_len=128/);
    const s13 = await ofctl('-O', 'OpenFlow13', 'show', target());
    assert.equal(s13.status, 0, s13.stderr);
    assert.match(s13.stdout, /OFPT_FEATURES_REPLY \(OF1.3\) \(xid=0x\w+\): dpid:0000000000001234/);
    assert.match(s13.stdout, /OFPST_PORT_DESC reply \(OF1.3\)/);
    assert.match(s13.stdout, /speed: 10000 Mbps now/);
    assert.doesNotMatch(s13.stdout + s13.stderr, /decode error/);
  });

  it('dump-desc and dump-tables print our statistics replies', async () => {
    const d = await ofctl('dump-desc', target());
    assert.equal(d.status, 0, d.stderr);
    assert.match(
      d.stdout,
      /Manufacturer: tsovs\nHardware: fake\nSoftware: 0.1\nSerial Num: None\nDP Description: br0/,
    );
    const t = await ofctl('dump-tables', target());
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /table 0 \("classifier"\):\n\s+active=\d+, lookup=5, matched=3/);
  });

  for (const [label, opts, line] of [
    ['OpenFlow 1.3', ['-O', 'OpenFlow13'], 'priority=100,ip,nw_dst=10.0.0.1 actions=output:1'],
    ['OpenFlow 1.0', ['-O', 'OpenFlow10'], 'priority=100,ip,nw_dst=10.0.0.1 actions=output:1'],
    ['the default (NXM)', [], 'priority=100,ip,nw_dst=10.0.0.1 actions=output:1'],
  ] as const) {
    it(`add-flow then dump-flows with ${label}: the flow comes back as ovs-ofctl wrote it`, async () => {
      sw.flows = [];
      const add = await ofctl(
        ...opts,
        'add-flow',
        target(),
        'priority=100,ip,nw_dst=10.0.0.1,actions=output:1',
      );
      assert.equal(add.status, 0, add.stderr);
      assert.equal(sw.flows.length, 1);
      const dump = await ofctl(...opts, 'dump-flows', target());
      assert.equal(dump.status, 0, dump.stderr);
      assert.ok(dump.stdout.includes(line), dump.stdout);
      assert.match(dump.stdout, /n_packets=7, n_bytes=700/);
      const del = await ofctl(...opts, 'del-flows', target());
      assert.equal(del.status, 0, del.stderr);
      assert.equal(sw.flows.length, 0);
    });
  }

  it('a richer flow survives ovs-ofctl -> our decoder -> our encoder -> ovs-ofctl in every format', async () => {
    const flow =
      'priority=50,tcp,reg0=0x5/0xff,tp_dst=80 actions=set_field:10.0.0.5->ip_dst,resubmit(,2),' +
      'learn(table=3,idle_timeout=10,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),' +
      'load:0x5->NXM_NX_REG2[0..7],note:ab.cd.ef.00.00.00,controller(reason=no_match,max_len=100)';
    for (const opts of [[], ['-O', 'OpenFlow13']]) {
      sw.flows = [];
      const add = await ofctl(...opts, 'add-flow', target(), flow.replace(' actions=', ',actions='));
      assert.equal(add.status, 0, add.stderr);
      const dump = await ofctl(...opts, 'dump-flows', target());
      assert.equal(dump.status, 0, dump.stderr);
      assert.ok(dump.stdout.includes('priority=50,tcp,reg0=0x5/0xff,tp_dst=80 actions='), dump.stdout);
      assert.ok(
        dump.stdout.includes(
          'learn(table=3,idle_timeout=10,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])',
        ),
        dump.stdout,
      );
      assert.ok(dump.stdout.includes('note:ab.cd.ef.00.00.00'), dump.stdout);
      assert.ok(dump.stdout.includes('controller(reason=no_match,max_len=100)'), dump.stdout);
    }
  });

  it('a switch offering only OpenFlow 1.3: ovs-ofctl -O OpenFlow10 fails negotiation, and we say why', async () => {
    const only13 = new FakeSwitch(versionBitmap([4]));
    await only13.start();
    try {
      const r = await ofctl('-O', 'OpenFlow10', 'show', `unix:${only13.path}`);
      assert.notEqual(r.status, 0);
      assert.match(
        r.stderr,
        /version negotiation failed \(we support version 0x01, peer supports version 0x04\)/,
      );
      // What our side sent: hello (bitmap-less, 1.3 only is "0x04" alone so it needs the bitmap), then the
      // error with Open vSwitch's text, in the peer's version.
      const socket = connect({ path: only13.path });
      const framer = new OfpFramer();
      const got: Uint8Array[] = [];
      socket.on('data', (chunk) => got.push(...framer.feed(chunk).messages));
      await new Promise<void>((res) => socket.once('connect', () => res()));
      socket.write(encodeMessage(helloFor(versionBitmap([1]))));
      await new Promise<void>((res) => socket.once('close', () => res()));
      const msgs = got.map((b) => decodeMessage(b));
      assert.deepEqual(
        msgs.map((m) => m.type),
        ['hello', 'error'],
      );
      const err = msgs[1];
      assert.ok(err.type === 'error');
      assert.equal(err.version, 1);
      assert.equal(err.name, 'OFPHFC_INCOMPATIBLE');
      assert.equal(
        new TextDecoder().decode(err.data),
        'We support version 0x04, you support version 0x01, no common versions.',
      );
      assert.ok(only13.closes.some((c) => c !== null && (c as OfConnectionError).code === 'incompatible'));
    } finally {
      await only13.stop();
    }
  });
});
