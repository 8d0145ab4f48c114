// The match-field registry (src/openflow/fields.ts): names and aliases, where each field's bits live, the
// (value, mask) API over match words and the set_field API over a flow, prerequisites, value text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { F_METADATA_HI, F_METADATA_LO, F_REG0, FLOW_WORDS } from '../../src/ofproto/of-flow.js';
import {
  exactMask,
  FIELDS,
  fieldByHeaderName,
  fieldByName,
  formatFieldValue,
  formatSubfield,
  getField,
  getMatchField,
  getSubfield,
  isUnsupportedFieldName,
  type MatchField,
  parseFieldValue,
  parseSubfield,
  prerequisitesMet,
  setField,
  setMatchField,
  setSubfield,
  subfieldName,
} from '../../src/openflow/fields.js';
import { FlowTextError } from '../../src/openflow/text-util.js';
import {
  K_ARP_SHA_HI,
  K_ARP_SHA_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_IPV6_SRC,
  K_NW,
  K_NW_SRC,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_VLAN0,
} from '../../src/packet/flow-key.js';

function f(name: string): MatchField {
  const x = fieldByName(name);
  assert.ok(x, name);
  return x;
}

function words(): { value: Uint32Array; mask: Uint32Array } {
  return { value: new Uint32Array(FLOW_WORDS), mask: new Uint32Array(FLOW_WORDS) };
}

describe('field registry', () => {
  test('names, aliases and NXM/OXM names', () => {
    const pairs: [string, string][] = [
      ['dl_src', 'eth_src'],
      ['dl_dst', 'eth_dst'],
      ['dl_type', 'eth_type'],
      ['nw_src', 'ip_src'],
      ['nw_dst', 'ip_dst'],
      ['ip_proto', 'nw_proto'],
      ['ip_ecn', 'nw_ecn'],
      ['nw_frag', 'ip_frag'],
      ['tp_src', 'tcp_src'],
      ['tp_dst', 'tcp_dst'],
      ['tunnel_id', 'tun_id'],
    ];
    for (const [alias, name] of pairs) assert.equal(f(alias).name, name);
    assert.equal(fieldByHeaderName('NXM_OF_ETH_SRC')?.name, 'eth_src');
    assert.equal(fieldByHeaderName('OXM_OF_ETH_SRC_W')?.name, 'eth_src');
    assert.equal(fieldByHeaderName('NXM_NX_REG7')?.name, 'reg7');
    assert.equal(fieldByHeaderName('OXM_OF_PKT_REG3')?.name, 'xreg3');
    assert.equal(fieldByHeaderName('OXM_OF_METADATA')?.name, 'metadata');
    assert.equal(fieldByName('no_such_field'), undefined);
    assert.equal(subfieldName(f('eth_src')), 'NXM_OF_ETH_SRC');
    assert.equal(subfieldName(f('metadata')), 'OXM_OF_METADATA');
    assert.equal(subfieldName(f('dl_vlan')), 'dl_vlan');
  });

  test('every field fits the flow and names are unique', () => {
    const names = new Set<string>();
    for (const x of FIELDS) {
      for (const n of [x.name, ...x.aliases]) {
        assert.ok(!names.has(n), `duplicate name ${n}`);
        names.add(n);
      }
      let width = 0;
      for (const s of x.slots) {
        assert.ok(s.word >= 0 && s.word < FLOW_WORDS, `${x.name} word`);
        assert.ok(s.shift + s.width <= 32, `${x.name} slot`);
        width += s.width;
      }
      assert.ok(x.bits <= x.bytes * 8, `${x.name} bits`);
      // arp_op is 16 bits on the wire but lives in the 8-bit nw_proto, as in OVS.
      if (x.name !== 'arp_op') assert.ok(width + x.lsb >= x.bits, `${x.name} storage`);
    }
    assert.equal(FIELDS.length, 69);
  });

  test('where bits live', () => {
    const m = words();
    setMatchField(f('eth_src'), m.value, m.mask, 0x0011223344n, exactMask(f('eth_src')));
    assert.equal(m.value[K_DL_SRC_HI], 0x0000);
    assert.equal(m.value[K_DL_SRC_LO], 0x11223344);
    assert.equal(m.mask[K_DL_SRC_HI], 0xffff);
    setMatchField(f('tcp_dst'), m.value, m.mask, 80n, 0xffffn);
    setMatchField(f('tcp_src'), m.value, m.mask, 1024n, 0xffffn);
    assert.equal(m.value[K_TP], (1024 << 16) | 80);
    setMatchField(f('metadata'), m.value, m.mask, 0x1_0000_0002n, exactMask(f('metadata')));
    assert.equal(m.value[F_METADATA_HI], 1);
    assert.equal(m.value[F_METADATA_LO], 2);
    setMatchField(f('tun_id'), m.value, m.mask, 0xaabbccdd_11223344n, exactMask(f('tun_id')));
    assert.equal(m.value[K_TUN_ID_HI], 0xaabbccdd);
    assert.equal(m.value[K_TUN_ID_LO], 0x11223344);
    setMatchField(f('reg5'), m.value, m.mask, 9n, 0xffn);
    assert.equal(m.value[F_REG0 + 5], 9);
    assert.equal(m.mask[F_REG0 + 5], 0xff);
    setMatchField(f('in_port'), m.value, m.mask, 0xfffen, 0xffffn);
    assert.equal(m.value[K_IN_PORT], 0xfffe);
    setMatchField(f('ipv6_src'), m.value, m.mask, 1n, (1n << 128n) - 1n);
    assert.equal(m.value[K_IPV6_SRC + 3], 1);
    assert.equal(m.mask[K_IPV6_SRC], 0xffffffff);
    setMatchField(f('tcp_flags'), m.value, m.mask, 0x12n, 0xffffn);
    assert.equal(m.value[K_TCP_FLAGS], 0x12);
    assert.equal(m.mask[K_TCP_FLAGS], 0x0fff);
    setMatchField(f('nd_sll'), m.value, m.mask, 0x0a0b0c0d0e0fn, exactMask(f('nd_sll')));
    assert.equal(m.value[K_ARP_SHA_HI], 0x0a0b);
    assert.equal(m.value[K_ARP_SHA_LO], 0x0c0d0e0f);
  });

  test('the TOS byte is shared by nw_tos, ip_dscp and nw_ecn', () => {
    const m = words();
    setMatchField(f('nw_tos'), m.value, m.mask, 0xffn, 0xffn);
    assert.equal((m.value[K_NW] >>> 8) & 0xff, 0xfc);
    assert.equal((m.mask[K_NW] >>> 8) & 0xff, 0xfc);
    setMatchField(f('nw_ecn'), m.value, m.mask, 3n, 0xffn);
    assert.equal((m.value[K_NW] >>> 8) & 0xff, 0xff);
    assert.equal(getMatchField(f('ip_dscp'), m.value, m.mask).value, 63n);
    setMatchField(f('ip_dscp'), m.value, m.mask, 0n, 0n);
    assert.equal((m.mask[K_NW] >>> 8) & 0xff, 0x03);
  });

  test('exact, wild and masked', () => {
    const m = words();
    const reg = f('reg0');
    setMatchField(reg, m.value, m.mask, 0x1234n, 0xff00n);
    assert.deepEqual(getMatchField(reg, m.value, m.mask), { value: 0x1200n, mask: 0xff00n });
    setMatchField(reg, m.value, m.mask, 0x99n, 0n);
    assert.deepEqual(getMatchField(reg, m.value, m.mask), { value: 0n, mask: 0n });
  });

  test('VLAN fields: present bit, untagged, and wildcarding one half', () => {
    const m = words();
    setMatchField(f('dl_vlan'), m.value, m.mask, 10n, 0xffffn);
    assert.equal(m.value[K_VLAN0], 0x100a);
    assert.equal(m.mask[K_VLAN0], 0x1fff);
    setMatchField(f('dl_vlan_pcp'), m.value, m.mask, 5n, 0xffn);
    assert.equal(m.value[K_VLAN0], 0xb00a);
    assert.equal(m.mask[K_VLAN0], 0xffff);
    setMatchField(f('dl_vlan'), m.value, m.mask, 0n, 0n);
    assert.equal(m.mask[K_VLAN0], 0xf000);
    setMatchField(f('dl_vlan_pcp'), m.value, m.mask, 0n, 0n);
    assert.equal(m.mask[K_VLAN0], 0);
    setMatchField(f('dl_vlan'), m.value, m.mask, 0xffffn, 0xffffn);
    assert.equal(m.value[K_VLAN0], 0);
    assert.equal(m.mask[K_VLAN0], 0xffff);
  });

  test('set_field on a flow', () => {
    const flow = new Uint32Array(FLOW_WORDS);
    setField(f('nw_src'), flow, 0x0a000001n);
    assert.equal(flow[K_NW_SRC], 0x0a000001);
    setField(f('reg1'), flow, 0xabn, 0xf0n);
    assert.equal(flow[F_REG0 + 1], 0xa0);
    setField(f('vlan_pcp'), flow, 3n);
    assert.equal(flow[K_VLAN0] & 0xffff, 0x7000);
    setField(f('dl_vlan'), flow, 7n);
    assert.equal(flow[K_VLAN0] & 0xffff, 0x7007);
    setField(f('dl_vlan'), flow, 0xffffn);
    assert.equal(flow[K_VLAN0], 0);
    setField(f('vlan_vid'), flow, 0x1005n);
    assert.equal(getField(f('vlan_vid'), flow), 0x1005n);
    setField(f('icmp_type'), flow, 8n);
    assert.equal(flow[K_TP] >>> 16, 8);
    assert.equal(getField(f('icmp_type'), flow), 8n);
  });

  test('prerequisites', () => {
    const flow = new Uint32Array(FLOW_WORDS);
    assert.ok(prerequisitesMet(f('eth_src'), flow));
    assert.ok(!prerequisitesMet(f('nw_src'), flow));
    flow[K_DL_TYPE] = 0x0800;
    assert.ok(prerequisitesMet(f('nw_src'), flow));
    assert.ok(prerequisitesMet(f('nw_ttl'), flow));
    assert.ok(!prerequisitesMet(f('tcp_dst'), flow));
    assert.ok(!prerequisitesMet(f('ipv6_src'), flow));
    flow[K_NW] = 6;
    assert.ok(prerequisitesMet(f('tcp_dst'), flow));
    assert.ok(prerequisitesMet(f('tp_dst'), flow));
    assert.ok(!prerequisitesMet(f('udp_dst'), flow));
    flow[K_NW] = 6 | (3 << 24);
    assert.ok(!prerequisitesMet(f('tcp_dst'), flow), 'later fragments have no L4 header');
    flow[K_DL_TYPE] = 0x86dd;
    flow[K_NW] = 58;
    flow[K_TP] = 135 << 16;
    assert.ok(prerequisitesMet(f('nd_target'), flow));
    assert.ok(prerequisitesMet(f('nd_sll'), flow));
    assert.ok(!prerequisitesMet(f('nd_tll'), flow));
    flow[K_DL_TYPE] = 0x0806;
    assert.ok(prerequisitesMet(f('arp_sha'), flow));
    assert.ok(!prerequisitesMet(f('vlan_pcp'), flow));
    flow[K_VLAN0] = 0x1000;
    assert.ok(prerequisitesMet(f('vlan_pcp'), flow));
  });
});

describe('field values as text', () => {
  test('parse', () => {
    assert.deepEqual(parseFieldValue(f('eth_src'), '00:11:22:33:44:55'), {
      value: 0x001122334455n,
      mask: 0xffffffffffffn,
    });
    assert.deepEqual(parseFieldValue(f('eth_dst'), '01:00:00:00:00:00/01:00:00:00:00:00'), {
      value: 0x010000000000n,
      mask: 0x010000000000n,
    });
    assert.deepEqual(parseFieldValue(f('nw_dst'), '10.1.2.3/16'), { value: 0x0a010203n, mask: 0xffff0000n });
    assert.deepEqual(parseFieldValue(f('nw_dst'), '10.1.2.3/255.0.255.0'), {
      value: 0x0a010203n,
      mask: 0xff00ff00n,
    });
    assert.equal(parseFieldValue(f('ipv6_src'), '2001:db8::/32').mask, 0xffffffffn << 96n);
    assert.deepEqual(parseFieldValue(f('in_port'), 'LOCAL'), { value: 0xfffen, mask: 0xffffn });
    assert.deepEqual(parseFieldValue(f('tcp_dst'), '0x50/0xfff0'), { value: 0x50n, mask: 0xfff0n });
    assert.deepEqual(parseFieldValue(f('tcp_dst'), '010'), { value: 8n, mask: 0xffffn });
    assert.deepEqual(parseFieldValue(f('ip_frag'), 'yes'), { value: 1n, mask: 0xfdn });
    assert.deepEqual(parseFieldValue(f('tcp_flags'), '+syn-ack'), { value: 2n, mask: 0x12n });
    assert.deepEqual(parseFieldValue(f('tcp_flags'), 'syn|ack'), { value: 0x12n, mask: 0xffffn });
    assert.deepEqual(parseFieldValue(f('reg0'), '*'), { value: 0n, mask: 0n });
  });

  test('parse errors name the value and the field', () => {
    const msg = (name: string, text: string) => {
      try {
        parseFieldValue(f(name), text);
      } catch (e) {
        assert.ok(e instanceof FlowTextError);
        return e.message;
      }
      return 'accepted';
    };
    assert.equal(msg('tp_dst', '65536'), '65536: value too large for 2-byte field tcp_dst');
    assert.equal(msg('tp_dst', 'x'), 'x: bad syntax for tcp_dst value');
    assert.equal(msg('nw_proto', '6/0xf0'), '6/0xf0: invalid mask for field nw_proto');
    assert.equal(msg('dl_src', '1:2:3'), '1:2:3: invalid Ethernet address');
    assert.equal(msg('in_port', 'eth0'), 'eth0: invalid or unknown port for in_port');
    assert.equal(msg('tcp_flags', '+syn+syn'), 'syn: Each TCP flag can be specified only once');
  });

  test('format', () => {
    assert.equal(formatFieldValue(f('eth_src'), 0x001122334455n), '00:11:22:33:44:55');
    assert.equal(formatFieldValue(f('nw_src'), 0x0a000000n, 0xff000000n), '10.0.0.0/8');
    assert.equal(formatFieldValue(f('reg0'), 5n), '0x5');
    assert.equal(formatFieldValue(f('reg0'), 5n, 0xffn), '0x5/0xff');
    assert.equal(formatFieldValue(f('reg0'), 0n, 0n), 'ANY');
    assert.equal(formatFieldValue(f('tcp_dst'), 80n), '80');
    assert.equal(formatFieldValue(f('in_port'), 0xfffen), 'LOCAL');
    assert.equal(formatFieldValue(f('ipv6_src'), 1n), '::1');
    assert.equal(formatFieldValue(f('tcp_flags'), 2n, 0x12n), '+syn-ack');
    assert.equal(formatFieldValue(f('ip_frag'), 1n, 3n), 'first');
  });

  test('subfields', () => {
    const sf = parseSubfield('NXM_NX_REG0[4..7]');
    assert.equal(sf.field.name, 'reg0');
    assert.equal(sf.ofs, 4);
    assert.equal(sf.nBits, 4);
    assert.equal(formatSubfield(sf), 'NXM_NX_REG0[4..7]');
    assert.equal(formatSubfield(parseSubfield('reg1[]')), 'NXM_NX_REG1[]');
    assert.equal(formatSubfield(parseSubfield('eth_src[3]')), 'NXM_OF_ETH_SRC[3]');
    assert.equal(formatSubfield(parseSubfield('NXM_OF_ETH_DST')), 'NXM_OF_ETH_DST[]');
    const flow = new Uint32Array(FLOW_WORDS);
    setSubfield(sf, flow, 0xfn);
    assert.equal(flow[F_REG0], 0xf0);
    assert.equal(getSubfield(sf, flow), 0xfn);
    assert.throws(() => parseSubfield('NXM_NX_REG0[0..32]'), {
      message: 'NXM_NX_REG0[0..32]: ending bit 32 is not valid because field is only 32 bits wide',
    });
    assert.throws(() => parseSubfield('NXM_NX_NOPE[]'), {
      message: "NXM_NX_NOPE[]: unknown field `NXM_NX_NOPE'",
    });
  });

  test('fields OVS has and tsovs does not', () => {
    for (const n of [
      'ct_state',
      'ct_mark',
      'pkt_mark',
      'mpls_label',
      'tun_metadata3',
      'xxreg1',
      'NXM_NX_CT_MARK',
    ]) {
      assert.ok(isUnsupportedFieldName(n), n);
    }
    assert.ok(!isUnsupportedFieldName('reg0'));
    assert.ok(!isUnsupportedFieldName('bogus'));
  });
});
