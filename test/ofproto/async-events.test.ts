// Ofproto's packet_in cookies and port_status messages as Open vSwitch 3.1 sends them (checked against
// ovs-vswitchd in test/integration/ofctl-monitor.test.ts). A packet_in raised by a packet_out's own actions
// has no rule: cookie UINT64_MAX (OVS_BE64_MAX, which no format prints); one raised by a rule carries its
// cookie, also when a packet_out resubmits to it; the action set runs under the rule the translation began
// with. mod-port down and up on a port whose device follows: the config change with the link as it was,
// then the link change — four port_status.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACT_USERSPACE } from '../../src/datapath/actions.js';
import { flowModFromParsed } from '../../src/ofproto/flow-mod.js';
import type { PacketInEvent, PortStatusEvent } from '../../src/ofproto/of-switch.js';
import { Ofproto, type PortInfo } from '../../src/ofproto/ofproto.js';
import { NO_RULE_COOKIE } from '../../src/ofproto/xlate.js';
import { parseActions } from '../../src/openflow/action-text.js';
import { parseFlow } from '../../src/openflow/flow-text.js';
import { bridgeSettings, makeKey, portSettings } from './helpers.js';

const FRAME = new Uint8Array(60).fill(0x11);
const A = '00:00:00:00:00:0a';
const B = '00:00:00:00:00:0b';

/** br0 with ports p1, p2 (ofports 1, 2, datapath ports 11, 12); what the datapath was told to run. */
function setup() {
  const executed: Uint32Array[] = [];
  const dp = {
    invalidate: () => {},
    execute: (_frame: Uint8Array, actions: Uint32Array) => executed.push(actions),
  };
  const ofp = new Ofproto(dp, { warn: () => {} }, () => 1000);
  ofp.setBridge(bridgeSettings('br0'));
  for (let i = 1; i <= 2; i++) ofp.setPort('br0', portSettings(`p${i}`, i, 10 + i));
  const packetIns: PacketInEvent[] = [];
  const portStatus: PortStatusEvent[] = [];
  ofp.setEventSink({
    packetIn: (e) => packetIns.push(e),
    flowRemoved: () => {},
    portStatus: (e) => portStatus.push(e),
  });
  const mod = (text: string) => ofp.flowMod('br0', flowModFromParsed(parseFlow(text, { command: 'add' })));
  /** Runs the userspace actions of `words` as the datapath would (the only actions these tests make). */
  const upcall = (words: Uint32Array) => {
    assert.equal(words[0], ACT_USERSPACE);
    ofp.userspace(words[1], makeKey({ inPort: 11, src: A, dst: B }), FRAME, 0, FRAME.length, 1000);
  };
  return { ofp, executed, packetIns, portStatus, mod, upcall };
}

describe('packet_in cookies', () => {
  test("a packet_out's own controller action: no rule, so no cookie (UINT64_MAX)", () => {
    const s = setup();
    s.ofp.packetOut('br0', 1, parseActions('controller'), FRAME);
    s.upcall(s.executed[0]);
    assert.equal(s.packetIns.length, 1);
    assert.equal(s.packetIns[0].cookie, NO_RULE_COOKIE);
    assert.equal(NO_RULE_COOKIE, 0xffffffffffffffffn);
    assert.equal(s.packetIns[0].tableId, 0);
  });

  test('a packet_out resubmitting to a rule: that rule sends, with its cookie and table', () => {
    const s = setup();
    s.mod('table=3,cookie=0x42,priority=10,actions=controller');
    s.ofp.packetOut('br0', 1, parseActions('resubmit(,3)'), FRAME);
    s.upcall(s.executed[0]);
    assert.equal(s.packetIns[0].cookie, 0x42n);
    assert.equal(s.packetIns[0].tableId, 3);
  });

  test("a table miss without a table-miss flow comes from OVS's internal miss rule: cookie 0", () => {
    const s = setup();
    s.ofp.setBridge(bridgeSettings('br0', { controllers: 1, failMode: 'secure' }));
    s.mod('table=0,cookie=0x7,priority=10,actions=resubmit(,5)');
    s.upcall(s.ofp.translate(makeKey({ inPort: 11, src: A, dst: B }), 1000).actions);
    assert.equal(s.packetIns[0].cookie, 0n, 'not the cookie of the rule that resubmitted');
    assert.equal(s.packetIns[0].tableId, 5);
    assert.equal(s.packetIns[0].implicitMiss, true);
  });

  test('the action set runs under the rule the translation began with (table 0)', () => {
    const s = setup();
    s.mod('table=0,cookie=0x5,priority=10,actions=write_actions(controller),goto_table:1');
    s.mod('table=1,cookie=0x6,priority=10,actions=write_metadata:0x1');
    const r = s.ofp.translate(makeKey({ inPort: 11, src: A, dst: B }), 1000);
    s.upcall(r.actions);
    assert.equal(s.packetIns[0].cookie, 0x5n);
  });

  test('in a packet_out, the action set has no rule either', () => {
    const s = setup();
    s.ofp.packetOut('br0', 1, parseActions('write_actions(controller)'), FRAME);
    s.upcall(s.executed[0]);
    assert.equal(s.packetIns[0].cookie, NO_RULE_COOKIE);
  });
});

describe('port_status for mod-port down and up', () => {
  /**
   * p1's device: its administrative state is `device.up` (the switch sets it through the admin control) and
   * its carrier follows; p2 has no device that can go down.
   */
  function withDevice() {
    const s = setup();
    const device = { up: true };
    const calls: string[] = [];
    s.ofp.setPortInfoSource((name): PortInfo | undefined =>
      name === 'p1'
        ? {
            mac: 'aa:55:aa:55:00:01',
            linkUp: device.up,
            adminUp: device.up,
            curr: 0,
            currSpeed: 0,
            stats: null,
            ageMs: 0,
          }
        : undefined,
    );
    s.ofp.setPortAdminControl((name, wantUp) => {
      calls.push(`${name} ${wantUp ? 'up' : 'down'}`);
      if (name !== 'p1') return false;
      device.up = wantUp;
      return true;
    });
    return { ...s, calls, device };
  }

  test('the config change comes with the link as it was, then the link change (OVS: 4 messages)', () => {
    const s = withDevice();
    s.ofp.portMod('br0', 1, '', 1, 1);
    assert.deepEqual(s.calls, ['p1 down']);
    // As vswitchd's link check then reports it.
    s.ofp.setLink('p1', false);
    s.ofp.portMod('br0', 1, '', 0, 1);
    s.ofp.setLink('p1', true);
    assert.deepEqual(
      s.portStatus.map((e) => `${e.port.name} config=${e.port.config} state=${e.port.state}`),
      [
        'p1 config=1 state=0', // PORT_DOWN; LIVE gone, LINK_DOWN not known yet
        'p1 config=1 state=1', // PORT_DOWN, LINK_DOWN
        'p1 config=0 state=1', // LINK_DOWN still
        'p1 config=0 state=4', // LIVE
      ],
    );
  });

  test('a device that cannot go down (no control for it) leaves PORT_DOWN alone: no port_status', () => {
    const s = withDevice();
    s.ofp.portMod('br0', 2, '', 1, 1);
    assert.deepEqual(s.calls, ['p2 down']);
    assert.deepEqual(s.portStatus, []);
    assert.equal(s.ofp.ports('br0').find((p) => p.portNo === 2)?.config, 0);
    // Other bits still change.
    s.ofp.portMod('br0', 2, '', 0x40, 0x40);
    assert.equal(s.portStatus.length, 1);
  });

  test('a live port losing its link: first no longer LIVE, then LINK_DOWN (and PORT_DOWN when admin down)', () => {
    const s = withDevice();
    // `ip link set p1 down`, then up, as the link check reports them.
    s.device.up = false;
    s.ofp.setLink('p1', false);
    s.device.up = true;
    s.ofp.setLink('p1', true);
    assert.deepEqual(s.calls, []);
    assert.deepEqual(
      s.portStatus.map((e) => `config=${e.port.config} state=${e.port.state}`),
      ['config=0 state=0', 'config=1 state=1', 'config=0 state=4'],
    );
  });
});
