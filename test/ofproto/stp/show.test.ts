// stp/show text and the database status keys, checked against what a real ovs-vswitchd 3.1.0 printed and
// wrote for the same two bridges (br0 root with two veths, br1 joined to both) a few seconds after start.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatStpDetails, stpShow } from '../../../src/ofproto/stp/show.js';
import {
  formatStpId,
  stpBridgeStatus,
  stpPortStatistics,
  stpPortStatus,
} from '../../../src/ofproto/stp/status.js';
import { StpError } from '../../../src/ofproto/stp/stp.js';
import { SimNetwork } from './sim.js';

// ovs-vsctl add-br br0 -- set bridge br0 datapath_type=netdev other_config:stp-system-id=52:54:00:12:34:ab
//   other_config:stp-priority=4096; add-port br0 tsovsp1 (stp-path-cost=7, stp-port-priority=64); add-port
//   br0 tsovsp2; stp_enable=true; three seconds later `ovs-appctl stp/show`:
const OVS_BR0_SHOW = `---- br0 ----
Root ID:
  stp-priority  4096
  stp-system-id   52:54:00:12:34:ab
  stp-hello-time  2s
  stp-max-age     20s
  stp-fwd-delay   15s
  This bridge is the root

Bridge ID:
  stp-priority  4096
  stp-system-id   52:54:00:12:34:ab
  stp-hello-time  2s
  stp-max-age     20s
  stp-fwd-delay   15s

  Interface  Role       State      Cost  Pri.Nbr 
  ---------- ---------- ---------- ----- -------
  tsovsp2    designated listening  2     128.1
  tsovsp1    designated listening  7     64.2

`;

// Then br1 (stp-system-id 52:54:00:00:00:02, other_config:stp-hello-time=1000 — OVS reads that key in ms)
// on the veth peers tsovsq1 (to tsovsp1) and tsovsq2 (to tsovsp2); six seconds later:
const OVS_BR1_SHOW = `---- br1 ----
Root ID:
  stp-priority  4096
  stp-system-id   52:54:00:12:34:ab
  stp-hello-time  1s
  stp-max-age     20s
  stp-fwd-delay   15s
  root-port       tsovsq1
  root-path-cost  2

Bridge ID:
  stp-priority  32768
  stp-system-id   52:54:00:00:00:02
  stp-hello-time  2s
  stp-max-age     20s
  stp-fwd-delay   15s

  Interface  Role       State      Cost  Pri.Nbr 
  ---------- ---------- ---------- ----- -------
  tsovsq2    alternate  blocking   2     128.1
  tsovsq1    root       listening  2     128.2

`;

/** The same two bridges in the simulator, `seconds` after br1 joined. */
function ovsPair(seconds: number): SimNetwork {
  const net = new SimNetwork();
  const br0 = net.addBridge('br0', 0x5254001234abn);
  br0.setBridgePriority(4096);
  br0.addPort(1, { name: 'tsovsp2', speedMbps: 10000 });
  br0.addPort(2, { name: 'tsovsp1', pathCost: 7, priority: 64 });
  net.run(3000);
  const br1 = net.addBridge('br1', 0x525400000002n, { helloTime: 1000 });
  br1.addPort(1, { name: 'tsovsq2' });
  br1.addPort(2, { name: 'tsovsq1' });
  net.links.push({ a: { bridge: 'br0', port: 2 }, b: { bridge: 'br1', port: 2 }, up: true });
  net.links.push({ a: { bridge: 'br0', port: 1 }, b: { bridge: 'br1', port: 1 }, up: true });
  net.run(seconds * 1000);
  return net;
}

describe('stp/show', () => {
  it('prints a root bridge exactly as Open vSwitch 3.1 does', () => {
    const net = ovsPair(0);
    assert.equal(formatStpDetails('br0', net.bridge('br0')), OVS_BR0_SHOW);
  });

  it('prints a non-root bridge (root port, cost, alternate port) exactly as Open vSwitch 3.1 does', () => {
    const net = ovsPair(6);
    assert.equal(stpShow(net.bridges, 'br1'), OVS_BR1_SHOW);
  });

  it('prints every bridge without an argument, and fails on an unknown one', () => {
    const net = ovsPair(6);
    const all = stpShow(net.bridges);
    assert.ok(all.startsWith('---- br0 ----\n'));
    assert.ok(all.endsWith(OVS_BR1_SHOW));
    assert.throws(
      () => stpShow(net.bridges, 'nosuch'),
      (err) =>
        err instanceof StpError && err.code === 'STP_NO_SUCH_BRIDGE' && err.message === 'no such stp object',
    );
  });

  it('truncates long interface names to 10 characters and hides disabled ports', () => {
    const net = ovsPair(0);
    const br0 = net.bridge('br0');
    br0.setPortName(1, 'a-very-long-name');
    br0.setPortEnabled(2, false);
    const text = formatStpDetails('br0', br0);
    assert.match(text, /\n {2}a-very-lon designated listening {2}2 {5}128\.1\n\n$/);
    assert.doesNotMatch(text, /tsovsp1/);
  });
});

describe('STP database status', () => {
  it('formats bridge ids as OVS STP_ID_FMT', () => {
    assert.equal(formatStpId(0x8000_5254001234abn), '8000.5254001234ab');
    assert.equal(formatStpId(0x0000_000000000001n), '0000.000000000001');
    assert.equal(formatStpId(0xffff_ffffffffffffn), 'ffff.ffffffffffff');
  });

  it('writes the same Bridge.status and Port.status as ovs-vswitchd did', () => {
    const net = ovsPair(6);
    assert.deepEqual(stpBridgeStatus(net.bridge('br0')), {
      stp_bridge_id: '1000.5254001234ab',
      stp_designated_root: '1000.5254001234ab',
      stp_root_path_cost: '0',
    });
    const br1 = net.bridge('br1');
    assert.deepEqual(stpBridgeStatus(br1), {
      stp_bridge_id: '8000.525400000002',
      stp_designated_root: '1000.5254001234ab',
      stp_root_path_cost: '2',
    });
    assert.deepEqual(stpPortStatus(br1, 2), {
      stp_port_id: '32770',
      stp_state: 'listening',
      stp_sec_in_state: '6',
      stp_role: 'root',
    });
    assert.deepEqual(stpPortStatus(br1, 1), {
      stp_port_id: '32769',
      stp_state: 'blocking',
      stp_sec_in_state: '5',
      stp_role: 'alternate',
    });
    assert.deepEqual(stpPortStatus(net.bridge('br0'), 2).stp_port_id, '16386');
  });

  it('counts BPDUs sent, received and malformed in Port.statistics', () => {
    const net = ovsPair(10);
    const br1 = net.bridge('br1');
    net.inject(
      { bridge: 'br1', port: 1 },
      new Uint8Array(60).fill(1, 0, 1).fill(0x80, 1, 2).fill(0xc2, 2, 3),
    );
    const stats = stpPortStatistics(br1, 1);
    assert.deepEqual(Object.keys(stats), ['stp_tx_count', 'stp_rx_count', 'stp_error_count']);
    assert.equal(stats.stp_error_count, 1);
    assert.equal(stats.stp_rx_count, 6); // br0's hellos every 2 s from the join at 3 s
    assert.equal(stats.stp_tx_count, 1);
  });
});
