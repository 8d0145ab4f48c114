// Matches: the NXM/OXM field table (OVS names, ovs-ofctl aliases, which header each version uses), the
// TLV codec with its errors, and OpenFlow 1.0's fixed ofp10_match converted to the same entry list.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_FIELDS,
  canonicalFieldName,
  decodeNxMatch,
  decodeOxmMatch,
  decodeTlvs,
  encodeNxMatch,
  encodeOxmMatch,
  encodeTlvs,
  fieldByHeader,
  fieldInfo,
  headerFor,
  type MatchEntry,
  ofctlAlias,
  prereqsMet,
} from '../../src/openflow/oxm.js';
import {
  decodeOf10Match,
  encodeOf10Match,
  netmaskToWcbits,
  of10Unencodable,
  wcbitsToNetmask,
} from '../../src/openflow/oxm-of10.js';
import { hex, Reader, unhex, Writer } from '../../src/openflow/wire.js';
import { OfpError } from '../../src/openflow/wire-errors.js';

function e(field: string, value: string, mask: string | null = null): MatchEntry {
  return { field, value: unhex(value), mask: mask === null ? null : unhex(mask) };
}

function tlvs(entries: MatchEntry[], version: number): string {
  const w = new Writer();
  encodeTlvs(w, entries, version);
  return hex(w.finish());
}

function decode(h: string, strict = false): MatchEntry[] {
  const b = unhex(h);
  return decodeTlvs(new Reader(b), b.length, { strict }).entries;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof OfpError) return err.code;
    throw err;
  }
  return 'no error';
}

describe('field table', () => {
  it('uses Open vSwitch names and knows the ovs-ofctl aliases', () => {
    assert.equal(canonicalFieldName('dl_dst'), 'eth_dst');
    assert.equal(canonicalFieldName('nw_src'), 'ip_src');
    assert.equal(canonicalFieldName('tp_dst'), 'tcp_dst');
    assert.equal(canonicalFieldName('ip_proto'), 'nw_proto');
    assert.equal(canonicalFieldName('tunnel_id'), 'tun_id');
    assert.equal(canonicalFieldName('reg7'), 'reg7');
    assert.equal(canonicalFieldName('no_such_field'), undefined);
    assert.equal(ofctlAlias('eth_src'), 'dl_src');
    assert.equal(ofctlAlias('ip_dst'), 'nw_dst');
    assert.equal(ofctlAlias('reg0'), null);
    const names = ALL_FIELDS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length, 'names are unique');
    for (const n of [
      'in_port',
      'in_port_oxm',
      'metadata',
      'tun_metadata63',
      'xxreg3',
      'ct_label',
      'nd_target',
      'mpls_bos',
    ]) {
      assert.ok(fieldInfo(n), n);
    }
    // Open vSwitch 3.1 has 16 registers and 8 extended registers.
    assert.equal(fieldInfo('reg16'), undefined);
    assert.equal(fieldInfo('xreg8'), undefined);
  });

  it('gives widths, masks and prerequisites as meta-flow.h does', () => {
    const vid = fieldInfo('vlan_vid');
    assert.deepEqual([vid?.bytes, vid?.bits, vid?.maskable, vid?.prereq], [2, 12, true, 'Ethernet']);
    const tcp = fieldInfo('tcp_dst');
    assert.deepEqual([tcp?.bytes, tcp?.maskable, tcp?.prereq, tcp?.of10], [2, true, 'TCP', 'exact']);
    assert.equal(fieldInfo('ip_src')?.of10, 'cidr');
    assert.equal(fieldInfo('eth_type')?.maskable, false);
    assert.equal(fieldInfo('tun_metadata5')?.variable, true);
  });

  it('picks the header Open vSwitch writes for each version', () => {
    const name = (f: string, v: number) => {
      const info = fieldInfo(f);
      assert.ok(info);
      return headerFor(info, v)?.name;
    };
    assert.equal(name('eth_dst', 0), 'NXM_OF_ETH_DST');
    assert.equal(name('eth_dst', 4), 'OXM_OF_ETH_DST');
    assert.equal(name('tun_id', 3), 'NXM_NX_TUN_ID');
    assert.equal(name('tun_id', 4), 'OXM_OF_TUNNEL_ID');
    assert.equal(name('tcp_flags', 0), 'NXM_NX_TCP_FLAGS');
    assert.equal(name('tcp_flags', 4), 'ONFOXM_ET_TCP_FLAGS');
    assert.equal(name('tcp_flags', 6), 'OXM_OF_TCP_FLAGS');
    assert.equal(name('dp_hash', 0), 'NXOXM_ET_DP_HASH');
    assert.equal(name('reg5', 4), 'NXM_NX_REG5');
    assert.equal(name('xreg0', 4), 'OXM_OF_PKT_REG0');
    assert.equal(name('in_port_oxm', 4), 'OXM_OF_IN_PORT');
    assert.equal(fieldByHeader(0x8000, 3)?.name, 'eth_dst');
    assert.equal(fieldByHeader(0x0000, 1)?.name, 'eth_dst');
    assert.equal(fieldByHeader(0xffff, 0, 0x2320)?.name, 'dp_hash');
    assert.equal(fieldByHeader(0xffff, 42, 0x4f4e4600)?.name, 'tcp_flags');
    assert.equal(fieldByHeader(0x8001, 7)?.name, 'xreg7');
  });
});

describe('NXM/OXM TLVs', () => {
  it('writes NXM and OXM headers, exact and masked', () => {
    assert.equal(tlvs([e('eth_type', '0800')], 0), '000006020800');
    assert.equal(tlvs([e('eth_type', '0800')], 4), '80000a020800');
    assert.equal(tlvs([e('ip_dst', '0a000000', 'ff000000')], 4), '800019080a000000ff000000');
    assert.equal(tlvs([e('reg0', '00000005', '000000ff')], 0), '000101080000000500000' + '0ff');
    // An experimenter OXM carries the experimenter id and counts it in oxm_length.
    assert.equal(tlvs([e('dp_hash', '00000001', '0000000f')], 0), 'ffff010c00002320000000010000000f');
    // tun_metadata is variable-length: the header says how long this one is.
    assert.equal(tlvs([e('tun_metadata0', '01020304')], 0), '0001500401020304');
  });

  it('decodes what it writes, keeping the order', () => {
    const list = [
      e('in_port', '0001'),
      e('eth_src', '020000000000', 'ff0000000000'),
      e('eth_type', '86dd'),
      e('ipv6_src', '20010db8000000000000000000000000', 'ffffffff000000000000000000000000'),
      e('nw_proto', '06'),
      e('tcp_flags', '0002', '0012'),
      e('dp_hash', '00000001', '0000000f'),
      e('tun_metadata3', 'aabbcc'),
      e('ct_label', '000000000000000000000000000000ff'),
    ];
    for (const v of [0, 4]) {
      const h = tlvs(list, v);
      assert.deepEqual(decode(h, true), list);
    }
  });

  it('refuses what Open vSwitch refuses, with its error', () => {
    assert.equal(
      code(() => decode('80007e0400000001')),
      'OFPBMC_BAD_FIELD',
    );
    assert.equal(
      code(() => decode('80000a0408000000')),
      'OFPBMC_BAD_FIELD',
      'eth_type with 4 bytes',
    );
    assert.equal(
      code(() => decode('80000a0208')),
      'OFPBMC_BAD_LEN',
    );
    assert.equal(
      code(() => decode('80000a')),
      'OFPBMC_BAD_LEN',
    );
    assert.equal(
      code(() => decode('ffff0102')),
      'OFPBMC_BAD_LEN',
      'experimenter header cut short',
    );
    assert.equal(
      code(() => decode('8000070c000000000001000000000000')),
      'OFPBMC_BAD_WILDCARDS',
    );
    assert.equal(
      code(() => decode('80000b0408000fff')),
      'OFPBMC_BAD_MASK',
      'eth_type cannot be masked',
    );
    assert.equal(
      code(() => decode('80000c022000')),
      'OFPBMC_BAD_VALUE',
      'vlan_vid above 0x1fff',
    );
    assert.equal(
      code(() => decode('80000a02080080000a020800', true)),
      'OFPBMC_DUP_FIELD',
    );
    assert.equal(
      code(() => decode('800018040a000001', true)),
      'OFPBMC_BAD_PREREQ',
    );
    assert.deepEqual(
      decode('80000a020800800018040a000001', true).map((x) => x.field),
      ['eth_type', 'ip_dst'],
    );
  });

  it('checks prerequisites like Open vSwitch: protocol fields need eth_type and nw_proto before them', () => {
    const tcpDst = fieldInfo('tcp_dst');
    const ndSll = fieldInfo('nd_sll');
    const pcp = fieldInfo('vlan_pcp');
    assert.ok(tcpDst && ndSll && pcp);
    assert.equal(prereqsMet(tcpDst, [e('eth_type', '0800')]), false);
    assert.equal(prereqsMet(tcpDst, [e('eth_type', '0800'), e('nw_proto', '06')]), true);
    assert.equal(prereqsMet(tcpDst, [e('eth_type', '0800'), e('nw_proto', '11')]), false);
    const icmp6 = [e('eth_type', '86dd'), e('nw_proto', '3a')];
    assert.equal(prereqsMet(ndSll, [...icmp6, e('icmpv6_type', '87')]), true);
    assert.equal(prereqsMet(ndSll, [...icmp6, e('icmpv6_type', '88')]), false);
    assert.equal(prereqsMet(pcp, [e('vlan_vid', '1005')]), true);
    assert.equal(prereqsMet(pcp, [e('vlan_vid', '0000')]), false);
  });

  it('NXM matches pad to 8 and may carry the cookie pseudo-field', () => {
    const w = new Writer();
    const len = encodeNxMatch(w, [e('eth_type', '0800')], { value: 0x1234n, mask: null });
    assert.equal(len, 18);
    assert.equal(hex(w.finish()), '000006020800' + '00013c080000000000001234' + '000000000000');
    const r = new Reader(w.finish());
    const d = decodeNxMatch(r, len, { allowCookie: true });
    assert.deepEqual(d.cookie, { value: 0x1234n, mask: null });
    assert.equal(r.left, 0);
    assert.equal(
      code(() => decodeNxMatch(new Reader(w.finish()), len)),
      'OFPBMC_BAD_FIELD',
      'cookie where not allowed',
    );
    assert.equal(
      code(() => decodeNxMatch(new Reader(unhex('0000060208')), 6)),
      'OFPBMC_BAD_LEN',
    );
  });

  it('OXM matches: ofp_match header, padding, and its own errors', () => {
    const w = new Writer();
    assert.equal(encodeOxmMatch(w, [e('in_port_oxm', '00000001')], 4), 12);
    assert.equal(hex(w.finish()), '0001000c8000000400000001' + '00000000');
    assert.deepEqual(decodeOxmMatch(new Reader(w.finish())), [e('in_port_oxm', '00000001')]);
    // OpenFlow 1.1's standard match: Open vSwitch checks its 88-byte length first.
    assert.equal(
      code(() => decodeOxmMatch(new Reader(unhex('0000000400000000')))),
      'OFPBMC_BAD_LEN',
    );
    assert.equal(
      code(() => decodeOxmMatch(new Reader(unhex('0002000400000000')))),
      'OFPBMC_BAD_TYPE',
    );
    assert.equal(
      code(() => decodeOxmMatch(new Reader(unhex('0001000200000000')))),
      'OFPBMC_BAD_LEN',
    );
    assert.equal(
      code(() => decodeOxmMatch(new Reader(unhex('0001000c80000004')))),
      'OFPBMC_BAD_LEN',
    );
  });
});

describe('OpenFlow 1.0 match', () => {
  function of10(h: string): MatchEntry[] {
    return decodeOf10Match(new Reader(unhex(h)));
  }
  function enc(list: MatchEntry[]): string {
    const w = new Writer();
    encodeOf10Match(w, list);
    return hex(w.finish());
  }
  const ALL_WILD = '003820ff' + '0'.repeat(72);

  it('catch-all is 0x003820ff, as Open vSwitch writes it', () => {
    assert.deepEqual(of10(ALL_WILD), []);
    assert.equal(enc([]), ALL_WILD);
  });

  it("ovs-ofctl's ip,nw_dst=10.0.0.2: eth_type and ip_dst", () => {
    const h = '003020ef000000000000000000000000000000000000080000000000000000000a00000200000000';
    assert.deepEqual(of10(h), [e('eth_type', '0800'), e('ip_dst', '0a000002')]);
    assert.equal(enc(of10(h)), h);
  });

  it('CIDR masks become wildcard bit counts and back', () => {
    assert.equal(wcbitsToNetmask(8), 0xffffff00);
    assert.equal(wcbitsToNetmask(32), 0);
    assert.equal(wcbitsToNetmask(40), 0);
    assert.equal(netmaskToWcbits(0xffff0000), 16);
    assert.equal(netmaskToWcbits(0xffffffff), 0);
    assert.equal(netmaskToWcbits(0), 32);
    assert.equal(netmaskToWcbits(0xff00ff00), -1);
    const list = [e('eth_type', '0800'), e('ip_src', '0a010000', 'ffff0000')];
    assert.deepEqual(of10(enc(list)), list);
    assert.equal(
      code(() => enc([e('eth_type', '0800'), e('ip_src', '0a000000', 'ff00ff00')])),
      'OFPBMC_BAD_FIELD',
    );
  });

  it('VLANs: dl_vlan=0xffff is "no tag", dl_vlan/dl_vlan_pcp become one vlan_tci entry', () => {
    // Open vSwitch leaves dl_vlan_pcp "exact" (0) when it writes dl_vlan=0xffff.
    const none = enc([e('vlan_tci', '0000')]);
    assert.equal(none.slice(0, 8), '002820fd');
    assert.equal(none.slice(36, 40), 'ffff');
    assert.deepEqual(of10(none), [e('vlan_tci', '0000')]);
    const vid5 = enc([e('vlan_tci', '1005', '1fff')]);
    assert.equal(vid5.slice(0, 8), '003820fd');
    assert.deepEqual(of10(vid5), [e('vlan_tci', '1005', '1fff')]);
    const both = enc([e('vlan_tci', '7005')]);
    assert.equal(both.slice(0, 8), '002820fd');
    assert.deepEqual(of10(both), [e('vlan_tci', '7005')]);
    // An OXM-style vlan_vid/vlan_pcp pair writes the same ofp10_match.
    assert.equal(enc([e('vlan_vid', '1005'), e('vlan_pcp', '03')]), both);
  });

  it('transport ports and ARP fields get the names of the protocol', () => {
    const udp = [e('eth_type', '0800'), e('nw_proto', '11'), e('udp_dst', '0035')];
    assert.deepEqual(of10(enc(udp)), udp);
    const icmp = [e('eth_type', '0800'), e('nw_proto', '01'), e('icmp_type', '08'), e('icmp_code', '00')];
    assert.deepEqual(of10(enc(icmp)), icmp);
    const arp = [e('eth_type', '0806'), e('arp_op', '0001'), e('arp_spa', '0a000001')];
    assert.deepEqual(of10(enc(arp)), arp);
    const tos = [e('in_port', '0003'), e('eth_type', '0800'), e('nw_tos', 'b8')];
    assert.deepEqual(of10(enc(tos)), tos);
  });

  it('says what it cannot express', () => {
    assert.equal(of10Unencodable([e('eth_type', '0800')]), null);
    assert.match(of10Unencodable([e('reg0', '00000001')]) ?? '', /cannot match reg0/);
    assert.match(of10Unencodable([e('eth_dst', '010000000000', '010000000000')]) ?? '', /with a mask/);
    assert.match(
      of10Unencodable([e('eth_type', '0800'), e('nw_proto', '06'), e('tcp_dst', '0050', 'fff0')]) ?? '',
      /mask/,
    );
  });
});
