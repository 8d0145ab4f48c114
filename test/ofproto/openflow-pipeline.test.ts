// The OpenFlow pipeline in ofproto: flow_mod semantics (add/replace, modify with and without --strict,
// delete filters by cookie and out_port, check_overlap), timeouts and flow_removed, groups, and the
// translation of OpenFlow actions — each checked on the datapath actions and megaflow mask it produces.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatActions } from '../../src/datapath/actions.js';
import { flowModFromParsed } from '../../src/ofproto/flow-mod.js';
import type { FlowRemovedEvent, PacketInEvent } from '../../src/ofproto/of-switch.js';
import { Ofproto } from '../../src/ofproto/ofproto.js';
import { type FlowCommand, parseFlow } from '../../src/openflow/flow-text.js';
import { K_DL_DST_LO, K_NW_DST, K_NW_SRC, K_TP, K_VLAN0, VLAN_PRESENT } from '../../src/packet/flow-key.js';
import { bridgeSettings, makeKey, makeOfproto, portSettings } from './helpers.js';

const A = '00:00:00:00:00:0a';
const B = '00:00:00:00:00:0b';

/** br0 with p1..p3 (ofports 1..3, datapath ports 11..13). */
function setup(): {
  ofp: Ofproto;
  removed: FlowRemovedEvent[];
  packetIns: PacketInEvent[];
  clock: { now: number };
} {
  const clock = { now: 1000 };
  const { dp } = makeOfproto();
  const ofp = new Ofproto(dp, { warn: () => {} }, () => clock.now);
  ofp.setBridge(bridgeSettings('br0'));
  for (let i = 1; i <= 3; i++) ofp.setPort('br0', portSettings(`p${i}`, i, 10 + i));
  const removed: FlowRemovedEvent[] = [];
  const packetIns: PacketInEvent[] = [];
  ofp.setEventSink({
    packetIn: (e) => packetIns.push(e),
    flowRemoved: (e) => removed.push(e),
    portStatus: () => {},
  });
  return { ofp, removed, packetIns, clock };
}

function mod(ofp: Ofproto, text: string, command: FlowCommand = 'add'): void {
  ofp.flowMod('br0', flowModFromParsed(parseFlow(text, { command })));
}

function dump(ofp: Ofproto, filter = ''): string[] {
  const q = flowModFromParsed(parseFlow(filter, { command: 'filter' }));
  return ofp
    .flowStats('br0', { ...q, strict: false })
    .map((r) => `${r.tableId}:${r.priority}:${r.cookie}:${r.actions.map((a) => a.type).join('+')}`);
}

function tcpKey(inPort: number, dstPort: number, over: { dst?: string; nwDst?: number } = {}): Uint32Array {
  const k = makeKey({ inPort, src: A, dst: over.dst ?? B, nwProto: 6, nwDst: over.nwDst });
  k[K_TP] = (40000 << 16) | dstPort;
  return k;
}

function xlate(ofp: Ofproto, key: Uint32Array): { actions: string; mask: Uint32Array } {
  const r = ofp.translate(key, 1000);
  return { actions: formatActions(r.actions), mask: r.mask };
}

describe('flow_mod', () => {
  test('a new bridge has priority=0 actions=NORMAL; add replaces an identical rule', () => {
    const { ofp } = setup();
    assert.deepEqual(dump(ofp), ['0:0:0:output']);
    mod(ofp, 'priority=5,ip,actions=drop');
    mod(ofp, 'priority=5,ip,cookie=0x7,actions=output:2');
    assert.deepEqual(dump(ofp), ['0:5:7:output', '0:0:0:output']);
  });

  test('modify: loose selects more specific rules, strict only the exact one, no match adds', () => {
    const { ofp } = setup();
    mod(ofp, 'priority=10,tcp,tp_dst=80,actions=output:1');
    mod(ofp, 'priority=20,tcp,tp_dst=80,nw_src=10.0.0.1,actions=output:1');
    mod(ofp, 'tcp,actions=output:3', 'modify');
    assert.deepEqual(
      ofp
        .flowStats('br0', { ...flowModFromParsed(parseFlow('tcp', { command: 'filter' })), strict: false })
        .map((r) => `${r.priority}:${JSON.stringify(r.actions.map((a) => ('port' in a ? a.port : a.type)))}`),
      ['20:[3]', '10:[3]'],
    );
    mod(ofp, 'priority=10,tcp,tp_dst=80,actions=output:2', 'modify_strict');
    const ports = ofp
      .flowStats('br0', { ...flowModFromParsed(parseFlow('tcp', { command: 'filter' })), strict: false })
      .map((r) => (r.actions[0] as { port: number }).port);
    assert.deepEqual(ports, [3, 2]);
    mod(ofp, 'udp,actions=output:2', 'modify');
    assert.equal(dump(ofp, 'udp').length, 1, 'a modify that matches nothing adds the flow');
  });

  test('delete by cookie mask and out_port; delete_strict needs the priority', () => {
    const { ofp } = setup();
    mod(ofp, 'cookie=0x11,priority=7,ip,actions=output:1');
    mod(ofp, 'cookie=0x12,priority=8,ip,nw_dst=10.0.0.2,actions=output:2');
    mod(ofp, 'cookie=0x21,priority=9,arp,actions=output:2');
    mod(ofp, 'cookie=0x10/0xf0', 'delete');
    assert.deepEqual(dump(ofp), ['0:9:33:output', '0:0:0:output']);
    mod(ofp, 'out_port=2', 'delete');
    assert.deepEqual(dump(ofp), ['0:0:0:output']);
    mod(ofp, 'priority=5,arp,actions=drop');
    mod(ofp, 'priority=6,arp', 'delete_strict');
    assert.equal(dump(ofp, 'arp').length, 1);
    mod(ofp, 'priority=5,arp', 'delete_strict');
    assert.equal(dump(ofp, 'arp').length, 0);
  });

  test('check_overlap refuses an overlapping rule at the same priority', () => {
    const { ofp } = setup();
    mod(ofp, 'priority=5,ip,actions=drop');
    assert.throws(
      () => mod(ofp, 'priority=5,check_overlap,tcp,actions=drop'),
      (e: Error) => e.message.startsWith('OFPFMFC_OVERLAP'),
    );
    mod(ofp, 'priority=6,check_overlap,tcp,actions=drop');
  });

  test('bad goto_table and unknown groups are refused with OVS errors', () => {
    const { ofp } = setup();
    assert.throws(() => mod(ofp, 'table=3,actions=goto_table:2'), /OFPBIC_BAD_TABLE_ID/);
    assert.throws(() => mod(ofp, 'actions=group:9'), /OFPBAC_BAD_OUT_GROUP/);
  });

  test('idle and hard timeouts expire rules; send_flow_rem reports them', () => {
    const { ofp, removed, clock } = setup();
    mod(ofp, 'priority=5,ip,idle_timeout=2,send_flow_rem,actions=drop');
    mod(ofp, 'priority=6,arp,hard_timeout=5,actions=drop');
    clock.now += 1500;
    ofp.run(clock.now);
    assert.equal(dump(ofp).length, 3);
    clock.now += 600;
    ofp.run(clock.now);
    assert.deepEqual(dump(ofp), ['0:6:0:', '0:0:0:output']);
    assert.equal(removed.length, 1);
    assert.equal(removed[0].reason, 'idle');
    clock.now += 3000;
    ofp.run(clock.now);
    assert.equal(dump(ofp).length, 1);
    assert.equal(removed.length, 1, 'no send_flow_rem on the hard-timeout rule');
  });

  test('a removed rule reports the counters, cookie and table it had (flow_removed), memory/show counts rules', () => {
    const { ofp, removed, clock } = setup();
    mod(ofp, 'table=3,priority=5,ip,cookie=0xfedcba9876543210,idle_timeout=1,send_flow_rem,actions=drop');
    mod(ofp, 'table=3,priority=6,arp,actions=drop');
    assert.equal(ofp.ruleCount('br0'), 3);
    const ip = ofp.pipelineOf('br0').table(3).rules()[1];
    ip.count(4, 400, clock.now);
    clock.now += 1500;
    ofp.run(clock.now);
    assert.equal(removed.length, 1);
    const r = removed[0].rule;
    assert.deepEqual(
      [r.tableId, r.cookie, r.packets, r.bytes, r.idleTimeout],
      [3, 0xfedcba9876543210n, 4, 400, 1],
    );
    assert.equal(ofp.ruleCount('br0'), 2);
    assert.equal(ofp.ruleCount('nosuch'), 0);
  });
});

describe('translating OpenFlow actions', () => {
  test('an ACL drops one TCP port while NORMAL carries the rest; the megaflow holds tp_dst', () => {
    const { ofp } = setup();
    mod(ofp, 'priority=100,tcp,tp_dst=23,actions=drop');
    const telnet = xlate(ofp, tcpKey(11, 23));
    assert.equal(telnet.actions, 'drop');
    assert.equal(telnet.mask[K_TP] & 0xffff, 0xffff);
    const web = xlate(ofp, tcpKey(11, 80));
    assert.equal(web.actions, '12,13');
  });

  test('goto_table and resubmit chain tables; the in_port of resubmit applies to the lookup', () => {
    const { ofp } = setup();
    mod(ofp, 'priority=10,in_port=1,actions=goto_table:1');
    mod(ofp, 'table=1,priority=10,ip,actions=resubmit(,2),output:3');
    mod(ofp, 'table=2,priority=10,actions=output:2');
    assert.equal(xlate(ofp, tcpKey(11, 80)).actions, '12,13');
    mod(ofp, 'table=2,priority=20,in_port=3,actions=output:1');
    mod(ofp, 'table=1,priority=20,ip,actions=resubmit(3,2)');
    // While resubmitted with in_port=3, output:1 is not "the input port": it goes out (OVS's idiom for
    // sending a packet back where it came from).
    assert.equal(xlate(ofp, tcpKey(11, 80)).actions, '11');
  });

  test('VLAN push and pop follow the flow', () => {
    const { ofp } = setup();
    mod(ofp, 'priority=10,in_port=1,actions=mod_vlan_vid:10,output:2');
    mod(ofp, 'priority=10,in_port=2,dl_vlan=10,actions=strip_vlan,output:1');
    assert.equal(xlate(ofp, tcpKey(11, 80)).actions, 'push_vlan(vid=10,pcp=0),12');
    const tagged = tcpKey(12, 80);
    tagged[K_VLAN0] = (0x8100 << 16) | VLAN_PRESENT | 10;
    assert.equal(xlate(ofp, tagged).actions, 'pop_vlan,11');
  });

  test('flood and all; in_port outputs back; output to a missing port does nothing', () => {
    const { ofp } = setup();
    mod(ofp, 'priority=10,in_port=1,actions=flood');
    mod(ofp, 'priority=10,in_port=2,actions=in_port,output:99');
    assert.equal(xlate(ofp, tcpKey(11, 80)).actions, '12,13');
    assert.equal(xlate(ofp, tcpKey(12, 80)).actions, '12');
  });

  test('controller actions raise packet_in with the rule cookie and table', () => {
    const { ofp, packetIns } = setup();
    mod(ofp, 'table=0,priority=10,in_port=1,actions=goto_table:4');
    mod(ofp, 'table=4,cookie=0x99,priority=10,actions=controller:64');
    const r = ofp.translate(tcpKey(11, 80), 1000);
    const words = r.actions;
    assert.equal(words[0], 4, 'ACT_USERSPACE');
    const frame = new Uint8Array(100).fill(7);
    ofp.userspace(words[1], tcpKey(11, 80), frame, 0, 100, 1000);
    assert.equal(packetIns.length, 1);
    assert.equal(packetIns[0].tableId, 4);
    assert.equal(packetIns[0].cookie, 0x99n);
    assert.equal(packetIns[0].frame.length, 100, 'the whole frame, as OVS 3.1 sends it');
    assert.equal(packetIns[0].totalLen, 100);
    assert.equal(packetIns[0].inPort, 1);
  });

  test('a select group spreads flows over its buckets and reads only the hashed fields', () => {
    const { ofp } = setup();
    ofp.groupMod('br0', {
      command: 'add',
      groupId: 1,
      type: 'select',
      buckets: [2, 3].map((p) => ({
        weight: 100,
        watchPort: 0xffff_ffff,
        watchGroup: 0xffff_ffff,
        actions: [{ type: 'output' as const, port: p, maxLen: 0 }],
      })),
    });
    mod(ofp, 'priority=10,in_port=1,actions=group:1');
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const k = tcpKey(11, 80, { nwDst: 0x0a000100 + i });
      const r = xlate(ofp, k);
      seen.add(r.actions);
      assert.equal(r.mask[K_NW_DST], 0xffff_ffff);
      assert.equal(r.mask[K_NW_SRC], 0xffff_ffff);
    }
    assert.deepEqual([...seen].sort(), ['12', '13']);
  });

  test('learn adds a flow that later packets use; the learned rule holds the fields it copied', () => {
    const { ofp } = setup();
    mod(
      ofp,
      'priority=10,actions=learn(table=1,priority=5,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[]),resubmit(,1)',
    );
    mod(ofp, 'table=1,priority=0,actions=flood');
    assert.equal(xlate(ofp, tcpKey(11, 80)).actions, '12,13', 'unknown B: flooded');
    assert.equal(dump(ofp, 'table=1').length, 2, 'A was learned in table 1');
    const back = makeKey({ inPort: 12, src: B, dst: A, nwProto: 6 });
    const r = xlate(ofp, back);
    assert.equal(r.actions, '11');
    assert.equal(r.mask[K_DL_DST_LO], 0xffff_ffff);
  });

  test('rule counters follow the cached flow traffic pushed by the datapath', () => {
    const { ofp } = setup();
    mod(ofp, 'priority=10,in_port=1,actions=output:2');
    const r = ofp.translate(tcpKey(11, 80), 1000);
    r.onUsed?.(2000, 3, 300, false);
    r.onUsed?.(2500, 2, 200, true);
    const [rule] = ofp.flowStats('br0', {
      ...flowModFromParsed(parseFlow('in_port=1', { command: 'filter' })),
      strict: false,
    });
    assert.equal(rule.packets, 5);
    assert.equal(rule.bytes, 500);
  });

  test('fail-open: standalone with a controller configured but not connected switches NORMAL', () => {
    const { ofp } = setup();
    ofp.flowMod('br0', flowModFromParsed(parseFlow('', { command: 'delete' })));
    assert.equal(xlate(ofp, tcpKey(11, 80)).actions, 'drop');
    ofp.setBridge(bridgeSettings('br0', { controllers: 1 }));
    assert.equal(xlate(ofp, tcpKey(11, 80)).actions, '12,13');
    // Connected: a table miss goes to the controller (OVS's miss rule), no NORMAL.
    ofp.setControllerState('br0', true);
    assert.match(xlate(ofp, tcpKey(11, 80)).actions, /^userspace\(pid=0,controller\(/);
    ofp.setControllerState('br0', false);
    ofp.setBridge(bridgeSettings('br0', { controllers: 1, failMode: 'secure' }));
    assert.match(xlate(ofp, tcpKey(11, 80)).actions, /^userspace\(pid=0,controller\(/, 'secure: no NORMAL');
    ofp.setBridge(bridgeSettings('br0'));
    assert.equal(
      xlate(ofp, tcpKey(11, 80)).actions,
      '12,13',
      'no controllers again: the NORMAL flow is back',
    );
  });
});
