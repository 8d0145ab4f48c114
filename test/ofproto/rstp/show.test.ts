// rstp/show text against the output of a real ovs-vswitchd 3.1 (one bridge, one veth port, edge).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rstp, RstpError } from '../../../src/ofproto/rstp/rstp.js';
import { formatRstpDetails, rstpShow } from '../../../src/ofproto/rstp/show.js';
import { triangle } from './sim.js';

// `ovs-appctl rstp/show` from ovs-vswitchd 3.1.0, rstp-address=aa:bb:cc:00:00:01, port rstpv0 (10 Gb/s).
const OVS_SHOW = [
  '---- rstpbr0 ----',
  'Root ID:',
  '  stp-priority    32768',
  '  stp-system-id   aa:bb:cc:00:00:01',
  '  stp-hello-time  2s',
  '  stp-max-age     20s',
  '  stp-fwd-delay   15s',
  '  This bridge is the root',
  '',
  'Bridge ID:',
  '  stp-priority    32768',
  '  stp-system-id   aa:bb:cc:00:00:01',
  '  stp-hello-time  2s',
  '  stp-max-age     20s',
  '  stp-fwd-delay   15s',
  '',
  '  Interface  Role       State      Cost     Pri.Nbr ',
  '  ---------- ---------- ---------- -------- -------',
  '  rstpv0     Designated Forwarding 2000     128.1',
  '',
  '',
].join('\n');

test('rstp/show of a root bridge matches Open vSwitch byte for byte', () => {
  const rstp = new Rstp({ bridgeId: 0x8000_aabb_cc00_0001n, name: 'rstpbr0', now: 0, sendBpdu: () => {} });
  rstp.addPort(1, { name: 'rstpv0', speedMbps: 10_000 });
  rstp.tick(4_000);
  assert.equal(formatRstpDetails(rstp), OVS_SHOW);
  assert.equal(rstpShow([rstp], 'rstpbr0'), OVS_SHOW);
  assert.throws(
    () => rstpShow([rstp], 'nope'),
    (e: unknown) => e instanceof RstpError && e.code === 'no such bridge',
  );
});

test('rstp/show of a non-root bridge names the root, root port and cost; alternates are listed', () => {
  const { net } = triangle();
  net.advance(1_000);
  const text = formatRstpDetails(net.get('br3'));
  assert.match(
    text,
    /^---- br3 ----\nRoot ID:\n {2}stp-priority {4}32768\n {2}stp-system-id {3}00:00:00:00:00:01\n/,
  );
  assert.match(text, /\n {2}root-port {7}br3-p2\n {2}root-path-cost {2}2000\n\nBridge ID:\n/);
  assert.match(text, /\n {2}br3-p1 {5}Alternate {2}Discarding 2000 {5}128\.1\n/);
  assert.match(text, /\n {2}br3-p2 {5}Root {7}Forwarding 2000 {5}128\.2\n\n$/);
  const all = rstpShow([...net.bridges.values()]);
  assert.equal(all.match(/^---- br\d ----$/gm)?.length, 3);
});
