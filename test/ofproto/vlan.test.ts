// The VLAN rules of NORMAL (vswitch.xml's VLAN modes) and the Ethernet address helpers they sit beside.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatMac,
  isMulticastMac,
  isReservedMac,
  macFromWords,
  parseMac,
} from '../../src/ofproto/eth-addr.js';
import {
  extractXvlan,
  includesVlan,
  inputTranslate,
  inputVidIsValid,
  outputTranslate,
  type PortVlanConfig,
  resolvePortVlan,
  type XVlan,
  xvlanWords,
} from '../../src/ofproto/vlan.js';

function cfg(over: Partial<PortVlanConfig>): PortVlanConfig {
  return { tag: null, trunks: [], vlanMode: null, ...over };
}

function tagged(vid: number, pcp = 0): XVlan {
  return [
    { tpid: 0x8100, vid, pcp: pcp << 13 },
    { tpid: 0, vid: 0, pcp: 0 },
  ];
}

const UNTAGGED: XVlan = extractXvlan([0, 0]);

describe('port VLAN configuration', () => {
  test('no vlan_mode: access when tagged, trunk otherwise (trunks ignored on access)', () => {
    const access = resolvePortVlan(cfg({ tag: 10, trunks: [20] }));
    assert.equal(access.mode, 'access');
    assert.equal(access.vlan, 10);
    assert.equal(access.trunks, null);
    const trunk = resolvePortVlan(cfg({}));
    assert.equal(trunk.mode, 'trunk');
    assert.equal(trunk.vlan, -1);
    assert.equal(trunk.trunks, null, 'empty trunks = all VLANs');
  });

  test('an explicit access port without a tag is in VLAN 0', () => {
    const pv = resolvePortVlan(cfg({ vlanMode: 'access' }));
    assert.equal(pv.vlan, 0);
    assert.ok(inputVidIsValid(pv, 0));
    assert.ok(includesVlan(pv, UNTAGGED));
  });

  test('native modes always trunk their native VLAN and never VLAN 0', () => {
    const pv = resolvePortVlan(cfg({ vlanMode: 'native-untagged', tag: 30, trunks: [0, 10] }));
    assert.equal(pv.trunks?.[30], 1);
    assert.equal(pv.trunks?.[10], 1);
    assert.equal(pv.trunks?.[0], 0);
    assert.equal(pv.trunks?.[11], 0);
    const all = resolvePortVlan(cfg({ vlanMode: 'native-tagged', tag: 30 }));
    assert.equal(all.trunks?.[4095], 1, 'no trunks = every VLAN but 0');
    assert.equal(all.trunks?.[0], 0);
  });

  test('admission: access takes only untagged and priority-tagged frames', () => {
    const pv = resolvePortVlan(cfg({ tag: 10 }));
    assert.ok(inputVidIsValid(pv, 0));
    assert.ok(!inputVidIsValid(pv, 10));
  });

  test('admission: a trunk with a list takes only those VIDs (0 included only if listed)', () => {
    const pv = resolvePortVlan(cfg({ trunks: [10, 20] }));
    assert.ok(inputVidIsValid(pv, 10));
    assert.ok(!inputVidIsValid(pv, 30));
    assert.ok(!inputVidIsValid(pv, 0));
    assert.ok(inputVidIsValid(resolvePortVlan(cfg({ trunks: [0] })), 0));
  });

  test('admission: native ports take untagged frames and their trunks', () => {
    const pv = resolvePortVlan(cfg({ vlanMode: 'native-untagged', tag: 30, trunks: [10] }));
    assert.ok(inputVidIsValid(pv, 0));
    assert.ok(inputVidIsValid(pv, 30));
    assert.ok(inputVidIsValid(pv, 10));
    assert.ok(!inputVidIsValid(pv, 20));
  });

  test('input: access and native ports give untagged frames their VLAN, keeping the PCP', () => {
    const pv = resolvePortVlan(cfg({ tag: 10 }));
    assert.deepEqual(inputTranslate(pv, UNTAGGED)[0], { tpid: 0x8100, vid: 10, pcp: 0 });
    assert.deepEqual(inputTranslate(pv, tagged(0, 5))[0], { tpid: 0x8100, vid: 10, pcp: 5 << 13 });
    const trunk = resolvePortVlan(cfg({}));
    assert.deepEqual(inputTranslate(trunk, tagged(7)), tagged(7));
  });

  test('output: access strips, trunk keeps, native-untagged strips only its own VLAN', () => {
    const nu = resolvePortVlan(cfg({ vlanMode: 'native-untagged', tag: 30 }));
    assert.deepEqual(xvlanWords(outputTranslate(nu, tagged(30))), [0, 0]);
    assert.deepEqual(xvlanWords(outputTranslate(nu, tagged(31))), [0x8100_101f, 0]);
    const access = resolvePortVlan(cfg({ tag: 30 }));
    assert.deepEqual(xvlanWords(outputTranslate(access, tagged(30))), [0, 0]);
    const nt = resolvePortVlan(cfg({ vlanMode: 'native-tagged', tag: 30 }));
    assert.deepEqual(xvlanWords(outputTranslate(nt, tagged(30, 2))), [0x8100_501e, 0]);
  });

  test('a header with VID 0 and PCP 0 is not emitted; one with a PCP is', () => {
    assert.deepEqual(xvlanWords(tagged(0)), [0, 0]);
    assert.deepEqual(xvlanWords(tagged(0, 3)), [0x8100_7000, 0]);
  });

  test('flooding: access ports carry only their VLAN, single-tagged', () => {
    const pv = resolvePortVlan(cfg({ tag: 10 }));
    assert.ok(includesVlan(pv, tagged(10)));
    assert.ok(!includesVlan(pv, tagged(11)));
    const qinq: XVlan = [tagged(10)[0], { tpid: 0x8100, vid: 5, pcp: 0 }];
    assert.ok(!includesVlan(pv, qinq));
  });
});

describe('Ethernet addresses', () => {
  test('round trip, word form and classes', () => {
    const mac = parseMac('AA:bb:cc:dd:ee:0f');
    assert.equal(formatMac(mac), 'aa:bb:cc:dd:ee:0f');
    assert.equal(macFromWords(0xaabb, 0xccddee0f), mac);
    assert.equal(formatMac(1), '00:00:00:00:00:01');
    assert.ok(isMulticastMac(parseMac('01:00:5e:00:00:01')));
    assert.ok(isMulticastMac(parseMac('ff:ff:ff:ff:ff:ff')));
    assert.ok(!isMulticastMac(parseMac('fe:00:00:00:00:01')));
    assert.throws(() => parseMac('00:11:22:33:44'));
  });

  test('reserved destinations: the 802.1D block and the vendor protocols OVS lists', () => {
    assert.ok(isReservedMac(parseMac('01:80:c2:00:00:00')));
    assert.ok(isReservedMac(parseMac('01:80:c2:00:00:0e')));
    assert.ok(!isReservedMac(parseMac('01:80:c2:00:00:10')));
    assert.ok(isReservedMac(parseMac('01:00:0c:cc:cc:cc')));
    assert.ok(isReservedMac(parseMac('01:00:0c:cc:cc:c7')));
    assert.ok(!isReservedMac(parseMac('ff:ff:ff:ff:ff:ff')));
  });
});
