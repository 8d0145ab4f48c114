// `tsovs ofctl monitor` and `tsovs ofctl snoop` against `ovs-ofctl monitor` / `ovs-ofctl snoop` 3.1, both
// run at once against the same switch — a real ovs-vswitchd, then tsovs vswitchd (test/helpers/
// ofctl-switch.ts) — while another client changes the switch: flow monitor updates (watch:) for added,
// modified and deleted flows; a packet_in from a packet-out to CONTROLLER and a port_status from mod-port;
// and snoop, with a small OpenFlow 1.0 controller of the test's own connected over a unix socket, printing the
// requests it sends and the switch's replies. The printed lines must be the same; what is normalised:
// transaction ids in headers (each tool numbers its own requests) and the flow monitor's id. The packet_in
// and port_status lines ovs-ofctl printed from tsovs vswitchd must also be those it printed from the real
// switch (the bridge's name and port addresses aside), in every packet_in format: no cookie for a
// packet-out's packet_in, four port_status for mod-port down and up.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectOpenFlow, OfConnection } from '../../src/openflow/conn.js';
import { flowModToWire } from '../../src/openflow/convert.js';
import { parseFlow } from '../../src/openflow/flow-text.js';
import { type FlowUpdate, NXFMF_ADD, NXFMF_DELETE } from '../../src/openflow/messages-monitor.js';
import { versionBitmap } from '../../src/openflow/wire.js';
import { tsovsArgv, waitFor } from '../helpers/daemons.js';
import { OFCTL_SWITCH_BINARIES, OfctlSwitch } from '../helpers/ofctl-switch.js';
import { skipUnlessBinaries } from '../helpers/ovs.js';

const notRoot = process.getuid?.() !== 0 ? 'needs root (the bridge has a TAP device)' : false;
const SKIP = skipUnlessBinaries(...OFCTL_SWITCH_BINARIES) || notRoot;

const UDP_FRAME =
  '0000000000020000000000010800450000200001000040117cca0a0000010a000002003500350008000000000000';

/** A long-running ofctl (theirs or ours) whose stdout and stderr are collected as they come. */
class Running {
  out = '';
  err = '';
  private readonly child: ChildProcess;

  constructor(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
    });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.err += d;
    });
  }

  /** Stops it (SIGTERM) and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
}

/** Printed messages without what differs between two clients: xids and flow monitor ids. */
function normalize(text: string): string {
  return text
    .replace(/\(xid=0x[0-9a-f]+\)/g, '(xid=?)')
    .replace(/ABBREV xid=0x[0-9a-f]+/g, 'ABBREV xid=?')
    .replace(/ id=\d+ flags=/g, ' id=? flags=');
}

/** Lines of `text` starting with one of `prefixes` (ovs-ofctl's log lines and unrelated chatter dropped). */
function messages(text: string): string {
  return normalize(text)
    .split('\n')
    .filter((l) => !/^\d{4}-\d\d-\d\dT/.test(l) && !l.includes('|'))
    .join('\n');
}

/** What the real Open vSwitch switch (whose suite runs first) made ovs-ofctl print, by test. */
const fromRealOvs = new Map<string, string>();

/** `text` without what differs between two switches: the bridge's (unique) name, the ports' addresses. */
function acrossSwitches(text: string, bridge: string): string {
  return text.replaceAll(bridge, 'BRIDGE').replace(/addr:[0-9a-f:]{17}/g, 'addr:?');
}

/** Records what the real switch made ovs-ofctl print under `key`; for tsovs vswitchd, it must be the same. */
function sameAsRealOvs(kind: 'ovs' | 'tsovs', key: string, text: string): void {
  if (kind === 'ovs') {
    fromRealOvs.set(key, text);
    return;
  }
  const want = fromRealOvs.get(key);
  if (want !== undefined) assert.equal(text, want, `${key}: not what the real Open vSwitch switch sent`);
}

for (const kind of ['ovs', 'tsovs'] as const) {
  describe(`ofctl monitor and snoop on ${kind === 'ovs' ? 'a real Open vSwitch switch' : 'tsovs vswitchd'}`, {
    skip: SKIP,
  }, () => {
    const sw = new OfctlSwitch(kind);
    const running: Running[] = [];
    const target = () => `unix:${sw.mgmt}`;

    /** Starts `ovs-ofctl ARGS` and `tsovs ofctl ARGS` (SWITCH: the bridge's socket; BRIDGE: its name). */
    function both(args: string[]): [Running, Running] {
      const argv = args.map((a) => (a === 'SWITCH' ? target() : a === 'BRIDGE' ? sw.bridge : a));
      const [cmd, ...pre] = tsovsArgv();
      const theirs = new Running('ovs-ofctl', argv, sw.env);
      const ours = new Running(cmd, [...pre, 'ofctl', ...argv], sw.env);
      running.push(theirs, ours);
      return [theirs, ours];
    }

    async function ofctl(...args: string[]): Promise<void> {
      const r = await sw.ofctl(args);
      assert.equal(r.status, 0, `ovs-ofctl ${args.join(' ')}: ${r.stderr}`);
    }

    /**
     * Waits until both monitors print what reaches them: a packet-out to CONTROLLER is sent until both
     * printed its packet_in (no fixed sleep). Their output is then cleared.
     */
    async function untilListening(theirs: Running, ours: Running): Promise<void> {
      await waitFor(
        async () => {
          if (theirs.err.includes('udp_csum') && ours.err.includes('udp_csum')) return true;
          theirs.err = '';
          ours.err = '';
          await ofctl('packet-out', 'SWITCH', `in_port=1 packet=${UDP_FRAME} actions=output:controller`);
          await new Promise((r) => setTimeout(r, 100));
          return theirs.err.includes('udp_csum') && ours.err.includes('udp_csum');
        },
        15000,
        'packet_in',
      );
      theirs.err = '';
      ours.err = '';
    }

    async function stopAll(): Promise<void> {
      await Promise.all(running.splice(0).map((r) => r.stop()));
    }

    before(async () => {
      try {
        await sw.start();
      } catch (err) {
        await sw.cleanup();
        throw err;
      }
    });
    after(async () => {
      await stopAll();
      await sw.cleanup();
    });

    test('watch: prints the initial flows, then flows added, modified and deleted by another client', async () => {
      try {
        await ofctl('del-flows', 'SWITCH');
        await ofctl('add-flow', 'SWITCH', 'priority=5,in_port=1,actions=output:2');
        const [theirs, ours] = both(['-O', 'OpenFlow10', 'monitor', 'SWITCH', 'watch:']);
        await waitFor(
          () => theirs.out.includes('event=ADDED') && ours.out.includes('event=ADDED'),
          15000,
          'initial',
        );
        assert.equal(normalize(ours.out), normalize(theirs.out));
        assert.match(
          ours.out,
          /^NXST_FLOW_MONITOR reply \(xid=0x[0-9a-f]+\):\n event=ADDED table=0 cookie=0 in_port=1 actions=output:2\n$/,
        );
        await ofctl(
          'add-flow',
          'SWITCH',
          'table=1,cookie=0x7,idle_timeout=50,priority=9,tcp,tp_dst=22,actions=drop',
        );
        await ofctl('mod-flows', 'SWITCH', 'in_port=1,actions=output:LOCAL');
        await ofctl('--strict', 'del-flows', 'SWITCH', 'priority=5,in_port=1');
        const done = (r: Running) => (r.err.match(/event=/g) ?? []).length >= 3;
        await waitFor(() => done(theirs) && done(ours), 15000, 'updates');
        assert.equal(messages(ours.err), messages(theirs.err));
        assert.match(ours.err, /event=DELETED reason=delete table=0 cookie=0 in_port=1 actions=LOCAL/);
      } finally {
        await stopAll();
      }
    });

    test("the monitor's own changes come as one ABBREV update with the request's xid", async () => {
      await ofctl('del-flows', 'SWITCH');
      const conn = await connectOpenFlow(target(), { versions: versionBitmap([1]) });
      try {
        const updates: FlowUpdate[] = [];
        conn.on('message', (m) => {
          if (m.type === 'nx_flow_monitor_reply' && m.xid === 0) updates.push(...m.updates);
        });
        const monitor = { id: 5, flags: NXFMF_ADD | NXFMF_DELETE, outPort: 0xffff, tableId: 0xff, match: [] };
        await conn.request({ type: 'nx_flow_monitor_request', flags: 0, monitors: [monitor] });
        const protocol = { version: 1, format: 'openflow10' } as const;
        const mods = ['priority=7,ip,actions=drop', 'priority=8,arp,actions=drop'].map((f) =>
          flowModToWire(parseFlow(f), protocol),
        );
        const [xid] = conn.sendMany(mods);
        await conn.request({ type: 'barrier_request' });
        await ofctl('add-flow', 'SWITCH', 'priority=9,tcp,actions=drop');
        await waitFor(() => updates.length >= 3, 10000, 'updates');
        assert.deepEqual(
          updates.map((u) => (u.event === 'abbrev' ? `abbrev ${u.xid === xid}` : u.event)),
          ['abbrev true', 'abbrev false', 'added'],
        );
      } finally {
        conn.close();
      }
    });

    test('watch: with a table, !actions and !initial', async () => {
      try {
        await ofctl('del-flows', 'SWITCH');
        const [theirs, ours] = both([
          '-O',
          'OpenFlow10',
          'monitor',
          'SWITCH',
          'watch:table=1,!actions,!initial,ip',
        ]);
        await waitFor(() => theirs.out.includes('reply') && ours.out.includes('reply'), 15000, 'initial');
        await ofctl('add-flow', 'SWITCH', 'table=0,priority=3,ip,actions=drop');
        await ofctl('add-flow', 'SWITCH', 'table=1,priority=3,udp,nw_src=10.0.0.0/8,actions=drop');
        const done = (r: Running) => r.err.includes('event=ADDED');
        await waitFor(() => done(theirs) && done(ours), 15000, 'update');
        assert.equal(normalize(ours.out), normalize(theirs.out));
        assert.equal(messages(ours.err), messages(theirs.err));
        assert.doesNotMatch(ours.err, /actions=/);
      } finally {
        await stopAll();
      }
    });

    for (const version of ['OpenFlow10', 'OpenFlow13'])
      test(`MISS-LEN (${version}): a packet_in from a packet-out to CONTROLLER, a port_status from mod-port`, async () => {
        try {
          const [theirs, ours] = both(['-O', version, 'monitor', 'SWITCH', '65535']);
          await untilListening(theirs, ours);
          await ofctl('packet-out', 'SWITCH', `in_port=1 packet=${UDP_FRAME} actions=output:controller`);
          await ofctl('mod-port', 'SWITCH', '1', 'down');
          await ofctl('mod-port', 'SWITCH', '1', 'up');
          // Open vSwitch 3.1 sends four port_status: each way, the config change (its link state as it
          // was), then the link going down or up. Wait until each tool printed the fourth.
          const portStatus = (r: Running) => r.err.split('OFPT_PORT_STATUS').slice(1);
          const done = (r: Running) => {
            const last = portStatus(r).at(-1) ?? '';
            return (
              r.err.includes('udp_csum') &&
              portStatus(r).length >= 4 &&
              last.includes('config:     0\n') &&
              !last.includes('LINK_DOWN')
            );
          };
          await waitFor(() => done(theirs) && done(ours), 15000, 'port_status');
          assert.equal(messages(ours.err), messages(theirs.err));
          // A packet-out's packet_in has no rule, so no cookie.
          assert.match(
            ours.err,
            /NXT_PACKET_IN2 (\(OF1.3\) )?\(xid=0x0\): total_len=46 in_port=1 \(via action\) data_len=46 \(unbuffered\)\nudp,/,
          );
          assert.deepEqual(
            portStatus(ours).map((m) => /config: +(\S+)\n +state: +(\S+)/.exec(m)?.slice(1).join(' ')),
            [
              'PORT_DOWN 0',
              'PORT_DOWN LINK_DOWN',
              '0 LINK_DOWN',
              `0 ${version === 'OpenFlow10' ? '0' : 'LIVE'}`,
            ],
          );
          sameAsRealOvs(kind, `MISS-LEN ${version}`, acrossSwitches(messages(theirs.err), sw.bridge));
        } finally {
          await stopAll();
        }
      });

    for (const version of ['OpenFlow10', 'OpenFlow13'])
      test(`port_status (${version}) for a port added and deleted: ADD not yet live, MOD once live, DEL`, async () => {
        const extra = `${sw.bridge}c`;
        try {
          const [theirs, ours] = both(['-O', version, 'monitor', 'SWITCH', '65535']);
          await untilListening(theirs, ours);
          await sw.vsctl(
            'add-port',
            sw.bridge,
            extra,
            '--',
            'set',
            'interface',
            extra,
            'type=dummy',
            'ofport_request=3',
          );
          // OpenFlow 1.0 has no LIVE state: the port looks the same to it once live, so no MOD follows.
          const added = (r: Running) =>
            r.err.includes(': ADD: 3(') && (version === 'OpenFlow10' || r.err.includes(': MOD: 3('));
          await waitFor(() => added(theirs) && added(ours), 15000, 'port_status ADD');
          await sw.vsctl('del-port', sw.bridge, extra);
          const deleted = (r: Running) => r.err.includes(': DEL: 3(');
          await waitFor(() => deleted(theirs) && deleted(ours), 15000, 'port_status DEL');
          assert.equal(messages(ours.err), messages(theirs.err));
          const reasons = messages(theirs.err).match(/: (ADD|MOD|DEL): /g);
          assert.deepEqual(
            reasons,
            version === 'OpenFlow10' ? [': ADD: ', ': DEL: '] : [': ADD: ', ': MOD: ', ': DEL: '],
          );
          sameAsRealOvs(kind, `port_status ${version}`, acrossSwitches(messages(theirs.err), sw.bridge));
        } finally {
          await stopAll();
          await sw.vsctl('--if-exists', 'del-port', sw.bridge, extra);
        }
      });

    // tsovs ofctl has no -P: ovs-ofctl alone, printing what each switch sends in the other formats.
    for (const [version, format] of [
      ['OpenFlow10', 'standard'],
      ['OpenFlow13', 'standard'],
      ['OpenFlow10', 'nxt_packet_in'],
      ['OpenFlow13', 'nxt_packet_in'],
    ])
      test(`-P ${format} (${version}): a packet-out's packet_in carries no cookie`, async () => {
        const theirs = new Running(
          'ovs-ofctl',
          ['-O', version, '-P', format, 'monitor', target(), '65535'],
          sw.env,
        );
        running.push(theirs);
        try {
          await waitFor(
            async () => {
              theirs.err = '';
              await ofctl('packet-out', 'SWITCH', `in_port=1 packet=${UDP_FRAME} actions=output:controller`);
              await waitFor(() => theirs.err.includes('udp_csum'), 200, 'packet_in').catch(() => undefined);
              return theirs.err.includes('udp_csum');
            },
            15000,
            'packet_in',
          );
          const text = messages(theirs.err);
          assert.match(text, /PACKET_IN (\(OF1.3\) )?\(xid=\?\): total_len=46 in_port=1 \(via action\)/);
          assert.doesNotMatch(text, /cookie=/);
          sameAsRealOvs(kind, `-P ${format} ${version}`, acrossSwitches(text, sw.bridge));
        } finally {
          await stopAll();
        }
      });

    test('snoop prints what the bridge and its controller exchange', async () => {
      const server: Server = createServer();
      const controllers: OfConnection[] = [];
      server.on('connection', (socket) => {
        socket.on('error', () => undefined);
        controllers.push(new OfConnection(socket, { versions: versionBitmap([1]), name: 'test-controller' }));
      });
      // A unix socket: the switch runs in a network namespace of its own, where this process's
      // 127.0.0.1 is not.
      const path = join(sw.dir, 'test-controller.sock');
      await new Promise<void>((resolve) => server.listen(path, resolve));
      try {
        await sw.vsctl(
          'set-controller',
          sw.bridge,
          `unix:${path}`,
          '--',
          'set',
          'controller',
          sw.bridge,
          'inactivity_probe=30000',
        );
        await waitFor(() => controllers.some((c) => c.version !== 0), 15000, 'controller connection');
        const ctl = controllers[controllers.length - 1];
        const [theirs, ours] = both(['snoop', 'BRIDGE']);
        // Ping through the controller until both snoopers see it, then start from a clean slate.
        let n = 0;
        await waitFor(
          async () => {
            const tag = `ping-${++n}`;
            await ctl.request({ type: 'echo_request', data: new TextEncoder().encode(tag) });
            return theirs.err.includes(tag) && ours.err.includes(tag);
          },
          15000,
          'snoopers',
        );
        const last = `ping-${n}`;
        await waitFor(() => [theirs, ours].every((r) => r.err.split(last).length === 3), 5000, 'echo reply');
        theirs.err = '';
        ours.err = '';
        await ctl.request({ type: 'features_request' });
        await ctl.request({ type: 'get_config_request' });
        ctl.send({ type: 'set_config', flags: 0, missSendLen: 200 });
        await ctl.request({ type: 'barrier_request' });
        const done = (r: Running) => r.err.includes('OFPT_BARRIER_REPLY');
        await waitFor(() => done(theirs) && done(ours), 15000, 'barrier');
        assert.equal(messages(ours.err), messages(theirs.err));
        assert.match(ours.err, /^OFPT_FEATURES_REQUEST \(xid=0x[0-9a-f]+\):\nOFPT_FEATURES_REPLY/);
        assert.match(ours.err, /OFPT_SET_CONFIG \(xid=0x[0-9a-f]+\): frags=normal miss_send_len=200\n/);
      } finally {
        await stopAll();
        for (const c of controllers) c.close();
        server.close();
        await sw.vsctl('del-controller', sw.bridge).catch(() => undefined);
      }
    });
  });
}
