// ofproto/trace: the layout Open vSwitch 3.1 prints (the expected texts below are what a real
// ovs-vswitchd printed for the same bridge, ports and flows, with its dummy datapath), and the --plain
// layout that names ports and says why.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flowModFromParsed } from '../../src/ofproto/flow-mod.js';
import { Ofproto } from '../../src/ofproto/ofproto.js';
import { type FlowCommand, parseFlow } from '../../src/openflow/flow-text.js';
import type { SwitchState } from '../../src/vswitchd/switch.js';
import { ofprotoTrace } from '../../src/vswitchd/trace.js';

function setup(): { ofp: Ofproto; sw: SwitchState; mod: (text: string, command?: FlowCommand) => void } {
  const ofp = new Ofproto({ invalidate() {}, execute() {} });
  ofp.setBridge({ name: 'br0', macAgingTime: 300, macTableSize: 2048, forwardBpdu: false });
  for (const [name, ofport, dpPort] of [
    ['br0', 65534, 100],
    ['p1', 1, 1],
    ['p2', 2, 2],
  ] as const) {
    ofp.setPort('br0', { name, ofport, dpPort, tag: null, trunks: [], vlanMode: null, patchPeer: null });
  }
  const sw = {
    bridge: (n: string) => (n === 'br0' ? {} : undefined),
    ofproto: ofp,
  } as unknown as SwitchState;
  const mod = (text: string, command: FlowCommand = 'add') =>
    ofp.flowMod('br0', flowModFromParsed(parseFlow(text, { command })));
  return { ofp, sw, mod };
}

describe('ofproto/trace', () => {
  test('NORMAL on a new bridge, as Open vSwitch prints it', () => {
    const { sw } = setup();
    const out = ofprotoTrace(sw, ['br0', 'in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=80'], 0);
    assert.equal(
      out.replace(/^Megaflow: .*$/m, 'Megaflow: …'),
      [
        'Flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,nw_src=0.0.0.0,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,tp_src=0,tp_dst=80,tcp_flags=0',
        '',
        'bridge("br0")',
        '-------------',
        ' 0. priority 0',
        '    NORMAL',
        '     -> no learned MAC for destination, flooding',
        '',
        'Final flow: unchanged',
        'Megaflow: …',
        'Datapath actions: 100,2',
        '',
      ].join('\n'),
    );
  });

  test('rewrites, resubmit, goto_table and a controller action; a table miss', () => {
    const { sw, mod } = setup();
    mod('', 'delete');
    mod('table=0,priority=10,in_port=1,actions=mod_dl_src:00:00:00:00:00:07,resubmit(,1)');
    mod('table=1,cookie=0x5,priority=10,tcp,actions=mod_nw_dst:10.0.0.9,mod_tp_dst:99,resubmit(,2)');
    mod('table=2,priority=10,actions=output:2,controller');
    const flow =
      'in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=80,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02,nw_ttl=64';
    const out = ofprotoTrace(sw, ['br0', flow], 0);
    assert.equal(
      out.replace(/dont_send=\d/, 'dont_send=?'),
      [
        'Flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:01,dl_dst=00:00:00:00:00:02,nw_src=0.0.0.0,nw_dst=10.0.0.2,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=0,tp_dst=80,tcp_flags=0',
        '',
        'bridge("br0")',
        '-------------',
        ' 0. in_port=1, priority 10',
        '    mod_dl_src:00:00:00:00:00:07',
        '    resubmit(,1)',
        ' 1. tcp, priority 10, cookie 0x5',
        '    mod_nw_dst:10.0.0.9',
        '    mod_tp_dst:99',
        '    resubmit(,2)',
        ' 2. priority 10',
        '    output:2',
        '    CONTROLLER:65535',
        '',
        'Final flow: tcp,in_port=1,vlan_tci=0x0000,dl_src=00:00:00:00:00:07,dl_dst=00:00:00:00:00:02,nw_src=0.0.0.0,nw_dst=10.0.0.9,nw_tos=0,nw_ecn=0,nw_ttl=64,nw_frag=no,tp_src=0,tp_dst=99,tcp_flags=0',
        'Megaflow: recirc_id=0,eth,tcp,in_port=1,dl_src=00:00:00:00:00:01,nw_dst=10.0.0.2,nw_frag=no,tp_dst=80',
        'Datapath actions: set(eth(src=00:00:00:00:00:07)),set(ipv4(dst=10.0.0.9)),set(tcp(dst=99)),2,userspace(pid=0,controller(reason=1,dont_send=?,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))',
        '',
      ].join('\n'),
    );
    const miss = ofprotoTrace(sw, ['br0', 'in_port=2,arp'], 0);
    assert.equal(
      miss,
      [
        'Flow: arp,in_port=2,vlan_tci=0x0000,dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,arp_spa=0.0.0.0,arp_tpa=0.0.0.0,arp_op=0,arp_sha=00:00:00:00:00:00,arp_tha=00:00:00:00:00:00',
        '',
        'bridge("br0")',
        '-------------',
        ' 0. No match.',
        '    drop',
        '',
        'Final flow: unchanged',
        'Megaflow: recirc_id=0,eth,arp,in_port=2',
        'Datapath actions: drop',
        '',
      ].join('\n'),
    );
  });

  test('--plain names ports and says why; tracing changes nothing', () => {
    const { ofp, sw, mod } = setup();
    mod('priority=100,tcp,tp_dst=23,actions=drop');
    const out = ofprotoTrace(sw, ['--plain', 'br0', 'in_port=1,tcp,tp_dst=23'], 0);
    assert.match(out, /^Packet: tcp,in_port=p1,/);
    assert.match(out, /It enters br0 on p1\./);
    assert.match(out, /table 0: rule "tcp,tp_dst=23" \(priority 100\) matches/);
    assert.match(out, /Result: the packet is dropped\./);
    const normal = ofprotoTrace(
      sw,
      ['--plain', 'br0', 'in_port=1,tcp,tp_dst=80,dl_src=00:00:00:00:00:01'],
      0,
    );
    assert.match(normal, /NORMAL: destination not learned yet in VLAN 0: flooded/);
    assert.match(normal, /Result: sent out of br0, p2 \(datapath actions: 100,2\)\./);
    assert.equal(ofp.fdbShow('br0', 0), ' port  VLAN  MAC                Age\n', 'no MAC was learned');
  });

  test('errors: unknown bridge, bad flow, unknown in_port', () => {
    const { sw } = setup();
    assert.throws(() => ofprotoTrace(sw, ['br9', 'in_port=1'], 0), /no such bridge/);
    assert.throws(
      () => ofprotoTrace(sw, ['br0', 'in_port=1,tcp,tp_dst=x'], 0),
      /x: bad syntax for tcp_dst value/,
    );
    assert.throws(() => ofprotoTrace(sw, ['br0', 'in_port=7'], 0), /in_port 7: br0 has no such port/);
  });
});
