// OpenFlow framing, errors, hello and messages, with the bytes Open vSwitch 3.1 put on the wire as evidence
// (captured between ovs-ofctl and ovs-vswitchd): each decodes to what ovs-ofctl meant and encodes back to
// the same bytes. Fuzzing: random and mutated messages never make the decoder throw anything but OfpError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  describeVersions,
  encodeMessage,
  errorMessage,
  errorReply,
  helloFailed,
  helloFor,
  helloVersions,
  incompatibleText,
  type OfBody,
  type OfMessage,
  tryDecodeMessage,
} from '../../src/openflow/messages.js';
import {
  buildMessage,
  checkFraming,
  hex,
  highestVersion,
  OfpFramer,
  Reader,
  readHeader,
  unhex,
  versionBitmap,
  versionFromName,
  versionName,
  Writer,
} from '../../src/openflow/wire.js';
import {
  isOfpErrorName,
  OFP_ERROR_NAMES,
  OfpError,
  ofpErrorDescription,
  ofpErrorFromTriplet,
  ofpErrorTriplet,
} from '../../src/openflow/wire-errors.js';

/** Messages captured between ovs-ofctl 3.1 and ovs-vswitchd 3.1. */
const EVIDENCE = {
  /** ovs-ofctl -O OpenFlow13: hello offering 1.3 only (version bitmap element 0x10). */
  helloOfctl13: '04000010000000010001000800000010',
  /** ovs-ofctl (default, or -O OpenFlow10): hello version 1, no elements. */
  helloOfctl10: '0100000800000001',
  /** ovs-vswitchd: hello version 6 without a bitmap (1.0 through 1.5). */
  helloVswitchd: '0600000800000005',
  /** ovs-ofctl -O OpenFlow13 add-flow 'priority=100,ip,nw_dst=10.0.0.1,actions=output:1'. */
  flowMod13:
    '040e006000000006000000000000000000000000000000000000000000000064ffffffffffffffffffffffff000000000001001280000a02' +
    '0800800018040a000001000000000000000400180000000000000010000000010000000000000000',
  /** ovs-ofctl -O OpenFlow10 add-flow 'priority=90,ip,nw_dst=10.0.0.2,actions=output:2'. */
  flowMod10:
    '010e005000000006003020ef000000000000000000000000000000000000080000000000000000000a0000020000000000000000000000' +
    '00000000000000005affffffffffff00000000000800020000',
  /** ovs-ofctl add-flow 'priority=80,reg0=5,tcp,tp_dst=80,actions=resubmit(,1),output:2' (NXT_FLOW_MOD). */
  nxFlowMod:
    '0104006800000008000023200000000d00000000000000000000000000000050ffffffffffff0000001900000000000000000602080000' +
    '000c0106000014020050000100040000000500000000000000ffff001000002320000efff8010000000000000800020000',
  /** ovs-ofctl dump-flows: NXT_SET_FLOW_FORMAT(NXM). */
  setFlowFormat: '0104001400000002000023200000000c00000002',
  /** ovs-ofctl dump-flows: NXST_FLOW request, all tables, no match. */
  nxFlowStatsRequest: '0110002000000004ffff0000000023200000000000000000ffff0000ff000000',
  /** ovs-vswitchd's NXST_FLOW reply to it (three flows). */
  nxFlowStatsReply:
    '0111011000000004ffff00000000232000000000000000000048000000000000090f5600006400000000000e000100010000000000000000' +
    '00000000000000000000000000000000000006020800000010040a000001000000000008000100000048000000000000067f3540005a0000' +
    '0000000e00010001000000000000000000000000000000000000000000000000000006020800000010040a0000020000000000080002000000' +
    '68000000000000040d990000500000000000190001000100000000000000000000000000000000000000000000000000000602080000000c01' +
    '06000014020050000100040000000500000000000000ffff001000002320000efff8010000000000000800020000',
  /** ovs-ofctl -O OpenFlow13 dump-flows: OFPMP_FLOW request. */
  flowStatsRequest13:
    '04120038000000020001000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001000400000000',
  /** ovs-vswitchd's OFPMP_FLOW reply to it. */
  flowStatsReply13:
    '04130148000000020001000000000000006000000000000007270e000064000000000000000000000000000000000000000000000000000000' +
    '000000000000000001001280000a020800800018040a000001000000000000000400180000000000000010000000010000000000000000006000' +
    '00000000000496ed40005a000000000004000000000000000000000000000000000000000000000000000000000001001280000a0208008000' +
    '18040a0000020000000000000004001800000000000000100000000200000000000000000078000000000000022551000050000000000004000' +
    '000000000000000000000000000000000000000000000000000000001001d80000a020800800014010680001c02005000010004000000050000' +
    '000004002800000000ffff001000002320000efff80100000000000010000000020000000000000000',
  /** ovs-vswitchd's OpenFlow 1.0 features reply (br0 with dummy ports p1, p2). */
  featuresReply10:
    '010600b0000000020000023280044f4700000000fe000000000000c700000ffffffe023280044f47627230000000000000000000' +
    '000000000000000000000000000000000000000000000000000000000001aa55aa55000f70310000000000000000000000000000' +
    '0000000000000000000000000000000000000000000000000002aa55aa55000e7032000000000000000000000000000000000000' +
    '0000000000000000000000000000000000000000',
  /** ovs-vswitchd's OpenFlow 1.3 port-desc reply. */
  portDescReply13:
    '041300d000000003000d000000000000fffffffe00000000023280044f4700006272300000000000000000000000000000000000' +
    '000000040000000000000000000000000000000000000000000000000000000100000000aa55aa55000f00007031000000000000' +
    '000000000000000000000000000000040000000000000000000000000000000000000000000000000000000200000000aa55aa55' +
    '000e0000703200000000000000000000000000000000000000000004000000000000000000000000000000000000000000000000',
} as const;

function msg(h: string): OfMessage {
  return decodeMessage(unhex(h));
}

function only<T extends OfMessage['type']>(m: OfMessage, type: T): OfMessage & { type: T } {
  assert.equal(m.type, type);
  return m as OfMessage & { type: T };
}

describe('framing', () => {
  it('reads ofp_header fields', () => {
    assert.deepEqual(readHeader(unhex(EVIDENCE.helloOfctl13)), { version: 4, type: 0, length: 16, xid: 1 });
    assert.throws(
      () => readHeader(unhex('0400')),
      (e: Error) => e instanceof OfpError && e.code === 'OFPBRC_BAD_LEN',
    );
  });

  it('splits a stream into messages whatever the chunking', () => {
    const stream = unhex(EVIDENCE.helloOfctl13 + EVIDENCE.flowMod13 + EVIDENCE.helloVswitchd);
    for (const cut of [1, 3, 7, 8, 9, 15, 16, 17, 50, stream.length]) {
      const framer = new OfpFramer();
      const out: string[] = [];
      for (let i = 0; i < stream.length; i += cut) {
        const r = framer.feed(stream.subarray(i, i + cut));
        assert.equal(r.error, null);
        out.push(...r.messages.map(hex));
      }
      assert.deepEqual(out, [EVIDENCE.helloOfctl13, EVIDENCE.flowMod13, EVIDENCE.helloVswitchd]);
      assert.equal(framer.hasPartial, false);
    }
  });

  it('refuses a length below 8 for good, after delivering what came before', () => {
    const framer = new OfpFramer();
    const r = framer.feed(unhex(`${EVIDENCE.helloVswitchd}0400000700000001`));
    assert.deepEqual(r.messages.map(hex), [EVIDENCE.helloVswitchd]);
    assert.ok(r.error);
    assert.equal(r.error.code, 'too short');
    assert.match(r.error.message, /received too-short ofp_header \(7 bytes\) at stream offset 8/);
    assert.equal(framer.feed(unhex(EVIDENCE.helloVswitchd)).error, r.error);
  });

  it('never builds a message over 65535 bytes; checkFraming names bad outgoing framing', () => {
    assert.throws(
      () => buildMessage(4, 2, 0, (w) => w.zeros(65535)),
      (e: Error) => e instanceof OfpError && e.code === 'OFPBRC_BAD_LEN' && /65535/.test(e.message),
    );
    assert.equal(buildMessage(4, 2, 0, (w) => w.zeros(65527)).length, 65535);
    assert.equal(checkFraming(unhex(EVIDENCE.helloVswitchd)), null);
    assert.equal(checkFraming(unhex('060000'))?.code, 'too short');
    assert.equal(checkFraming(new Uint8Array(70000))?.code, 'too long');
    assert.equal(checkFraming(unhex('0600000900000005'))?.code, 'too short');
  });

  it('Reader throws OfpError with the error it was given; Writer pads and patches', () => {
    const r = new Reader(unhex('0102030405'), 0, 5, 'OFPBMC_BAD_LEN');
    assert.equal(r.u16(), 0x0102);
    assert.throws(
      () => r.u32(),
      (e: Error) => e instanceof OfpError && e.code === 'OFPBMC_BAD_LEN',
    );
    const w = new Writer(2);
    w.u8(1).u16(0).pad8();
    w.set16(1, 0xabcd);
    assert.equal(hex(w.finish()), '01abcd0000000000');
    assert.equal(new Writer().u64(0xfedcba9876543210n).len, 8);
  });

  it('names versions as ovs-ofctl does', () => {
    assert.equal(versionName(4), 'OpenFlow13');
    assert.equal(versionFromName('OpenFlow10'), 1);
    assert.equal(versionFromName('OF1.3'), 4);
    assert.equal(versionFromName('OpenFlow19'), undefined);
    assert.equal(versionBitmap([1, 4]), 0x12);
    assert.equal(highestVersion(0x12), 4);
  });
});

describe('errors', () => {
  it('knows every name Open vSwitch prints, with its description', () => {
    assert.ok(OFP_ERROR_NAMES.length > 190);
    for (const name of [
      'OFPBRC_BAD_TYPE',
      'OFPBRC_BAD_LEN',
      'OFPBAC_BAD_OUT_PORT',
      'OFPBMC_BAD_FIELD',
      'NXBRC_NXM_INVALID',
    ]) {
      assert.ok(isOfpErrorName(name), name);
    }
    assert.equal(isOfpErrorName('OFPBRC_NONSENSE'), false);
    assert.equal(ofpErrorDescription('OFPBRC_BAD_LEN'), 'Wrong request length for type.');
  });

  it('maps names to (vendor, type, code) per version and back', () => {
    assert.deepEqual(ofpErrorTriplet('OFPBRC_BAD_TYPE', 1), { vendor: 0, type: 1, code: 1 });
    assert.deepEqual(ofpErrorTriplet('OFPBAC_BAD_SET_ARGUMENT', 4), { vendor: 0, type: 2, code: 15 });
    // A standard error in 1.1+ that was a Nicira one in 1.0.
    assert.deepEqual(ofpErrorTriplet('OFPBRC_BAD_TABLE_ID', 1), { vendor: 0x2320, type: 1, code: 512 });
    assert.deepEqual(ofpErrorTriplet('OFPBRC_BAD_TABLE_ID', 4), { vendor: 0, type: 1, code: 9 });
    assert.equal(ofpErrorTriplet('OFPBRC_MULTIPART_BUFFER_OVERFLOW', 1), null);
    assert.equal(ofpErrorFromTriplet(4, 0, 2, 15), 'OFPBAC_BAD_SET_ARGUMENT');
    // In OpenFlow 1.0, (1,5) is both EPERM and IS_SECONDARY: the first listed wins, as in OVS.
    assert.equal(ofpErrorFromTriplet(1, 0, 1, 5), 'OFPBRC_EPERM');
    assert.equal(ofpErrorFromTriplet(4, 0, 1, 5), 'OFPBRC_EPERM');
    assert.equal(ofpErrorFromTriplet(4, 0, 1, 10), 'OFPBRC_IS_SECONDARY');
  });

  it("decodes ovs-vswitchd's error reply: OFPBAC_BAD_SET_ARGUMENT with the whole request", () => {
    const h =
      '0401011c000000060002000f040e011000000006000000000000000000000000000000000100000000000005ffffffffffffffffffffffff' +
      '000000000001001580000a020800800014010680001c020050000000000400c800000000ffff001000002320000efff802000000ffff00' +
      '48000023200010000000008000000000000000000000000300000000000030000004060000000002060000082000010004000000010204' +
      '000010100000000200000000000000190010800018040a00000500000000ffff00180000232000070007000104040000000000000005ff' +
      'ff0010000023200008abcdef000000ffff0010000023200014006400000000001800080000000000110008810000000019001080000c02' +
      '0005000000000000';
    const m = only(msg(h), 'error');
    assert.equal(m.name, 'OFPBAC_BAD_SET_ARGUMENT');
    assert.equal(m.data.length, 0x110);
    assert.equal(hex(encodeMessage(m)), h);
    // The request it carries is itself a message our decoder refuses with the same error.
    const inner = tryDecodeMessage(m.data);
    assert.ok(inner instanceof OfpError);
    assert.equal(inner.code, 'OFPBAC_BAD_SET_ARGUMENT');
  });

  it('encodes the three layouts: standard, Nicira vendor (1.0/1.1) and experimenter (1.2+)', () => {
    const data = unhex('01020304');
    assert.equal(
      hex(encodeMessage(errorMessage('OFPBRC_BAD_TYPE', 4, 7, data))),
      '0401001000000007000100010102' + '0304',
    );
    const nx10 = encodeMessage(errorMessage('NXBRC_NXM_INVALID', 1, 7, data));
    assert.equal(hex(nx10), '0101001800000007b0c20000000023200001010001020304');
    const nx13 = encodeMessage(errorMessage('NXBRC_NXM_INVALID', 4, 7, data));
    assert.equal(hex(nx13), '0401001400000007ffff00020000232001020304');
    for (const b of [nx10, nx13]) {
      const m = decodeMessage(b);
      assert.equal(m.type === 'error' && m.name, 'NXBRC_NXM_INVALID');
    }
    // No encoding in a version: NXBRC_UNENCODABLE_ERROR instead, as Open vSwitch does.
    assert.equal(
      errorMessage('OFPBRC_MULTIPART_BUFFER_OVERFLOW', 1, 0, data).name,
      'NXBRC_UNENCODABLE_ERROR',
    );
  });

  it('errorReply answers in the request version and xid with the request (or its first N bytes)', () => {
    const req = unhex(EVIDENCE.flowMod13);
    const full = only(decodeMessage(errorReply(req, new OfpError('OFPBMC_BAD_FIELD'))), 'error');
    assert.equal(full.version, 4);
    assert.equal(full.xid, 6);
    assert.equal(full.name, 'OFPBMC_BAD_FIELD');
    assert.equal(hex(full.data), EVIDENCE.flowMod13);
    const cut = only(decodeMessage(errorReply(req, 'OFPBRC_BAD_LEN', { maxData: 64 })), 'error');
    assert.equal(hex(cut.data), EVIDENCE.flowMod13.slice(0, 128));
    // A message of a version we do not know is answered in 1.0.
    assert.equal(errorReply(unhex('0900000800000003'), 'OFPBRC_BAD_VERSION')[0], 1);
  });
});

describe('hello and version negotiation', () => {
  it('sends the hellos Open vSwitch sends', () => {
    assert.equal(hex(encodeMessage(helloFor(1 << 4, 1))), EVIDENCE.helloOfctl13);
    assert.equal(hex(encodeMessage(helloFor(1 << 1, 1))), EVIDENCE.helloOfctl10);
    assert.equal(hex(encodeMessage(helloFor(0x7e, 5))), EVIDENCE.helloVswitchd);
    assert.equal(hex(encodeMessage(helloFor(0x12, 1))), '04000010000000010001000800000012');
  });

  it('reads the versions a hello offers', () => {
    const v = (h: string) => {
      const m = msg(h);
      assert.ok(m.type === 'hello');
      return helloVersions(m);
    };
    assert.deepEqual(v(EVIDENCE.helloOfctl13), { bitmap: 0x10, ok: true });
    assert.deepEqual(v(EVIDENCE.helloOfctl10), { bitmap: 0x02, ok: true });
    assert.deepEqual(v(EVIDENCE.helloVswitchd), { bitmap: 0x7e, ok: true });
    // Version 0 in a bitmap is ignored; an unknown element is kept but flagged.
    assert.deepEqual(v('04000010000000010001000800000013'), { bitmap: 0x12, ok: true });
    assert.deepEqual(v('0400001000000001000700080000ffff'), { bitmap: 0x1e, ok: false });
    // A hello element that overruns the message is kept as raw bytes (and round-trips).
    assert.equal(hex(encodeMessage(msg('0400000e000000010001000c0000'))), '0400000e000000010001000c0000');
  });

  it('describes version sets and explains a failed negotiation in Open vSwitch words', () => {
    assert.equal(describeVersions(0x10), 'version 0x04');
    assert.equal(describeVersions(0x7e), 'version 0x06 and earlier');
    assert.equal(describeVersions(0x12), 'versions 0x01, 0x04');
    assert.equal(describeVersions(0), 'no versions');
    assert.equal(
      incompatibleText(0x12, 0x20),
      'We support versions 0x01, 0x04, you support version 0x05, no common versions.',
    );
    const err = only(decodeMessage(helloFailed(0x10, 0x02)), 'error');
    assert.equal(err.version, 1);
    assert.equal(err.xid, 0);
    assert.equal(err.name, 'OFPHFC_INCOMPATIBLE');
    assert.equal(
      new TextDecoder().decode(err.data),
      'We support version 0x04, you support version 0x01, no common versions.',
    );
  });
});

describe('messages Open vSwitch sent, decoded and re-encoded', () => {
  it('every evidence message encodes back to the same bytes', () => {
    for (const [name, h] of Object.entries(EVIDENCE)) assert.equal(hex(encodeMessage(msg(h))), h, name);
  });

  it('OpenFlow 1.3 flow_mod: OXM match eth_type/ipv4_dst, apply_actions(output:1)', () => {
    const m = only(msg(EVIDENCE.flowMod13), 'flow_mod');
    assert.equal(m.priority, 100);
    assert.equal(m.tableId, 0);
    assert.equal(m.command, 0);
    assert.equal(m.bufferId, 0xffffffff);
    assert.equal(m.outPort, 0xffff);
    assert.deepEqual(
      m.match.map((e) => [e.field, hex(e.value), e.mask]),
      [
        ['eth_type', '0800', null],
        ['ip_dst', '0a000001', null],
      ],
    );
    assert.deepEqual(m.instructions, [
      { type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] },
    ]);
  });

  it('OpenFlow 1.0 flow_mod: the wildcards become the same entries', () => {
    const m = only(msg(EVIDENCE.flowMod10), 'flow_mod');
    assert.equal(m.priority, 90);
    assert.deepEqual(
      m.match.map((e) => [e.field, hex(e.value)]),
      [
        ['eth_type', '0800'],
        ['ip_dst', '0a000002'],
      ],
    );
    assert.deepEqual(m.instructions, [
      { type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] },
    ]);
  });

  it('NXT_FLOW_MOD: NXM match reg0/eth_type/ip_proto/tcp_dst, resubmit(,1) and output:2', () => {
    const m = only(msg(EVIDENCE.nxFlowMod), 'nx_flow_mod');
    assert.deepEqual(
      m.match.map((e) => e.field),
      ['eth_type', 'nw_proto', 'tcp_dst', 'reg0'],
    );
    assert.deepEqual(m.instructions, [
      {
        type: 'apply_actions',
        actions: [
          { type: 'resubmit_table', port: 0xfff8, table: 1 },
          { type: 'output', port: 2, maxLen: 0 },
        ],
      },
    ]);
  });

  it('Nicira flow stats: request and the reply with idle/hard ages', () => {
    assert.equal(only(msg(EVIDENCE.setFlowFormat), 'nx_set_flow_format').value, 2);
    const q = only(msg(EVIDENCE.nxFlowStatsRequest), 'nx_flow_stats_request');
    assert.deepEqual([q.tableId, q.outPort, q.match.length, q.cookieMask], [0xff, 0xffff, 0, 0n]);
    const r = only(msg(EVIDENCE.nxFlowStatsReply), 'nx_flow_stats_reply');
    assert.equal(r.flows.length, 3);
    assert.deepEqual(
      r.flows.map((f) => f.priority),
      [100, 90, 80],
    );
    assert.equal(r.flows[2].match.length, 4);
  });

  it('OpenFlow 1.3 flow stats: request for all tables, reply with instructions', () => {
    const q = only(msg(EVIDENCE.flowStatsRequest13), 'flow_stats_request');
    assert.deepEqual([q.tableId, q.outPort, q.outGroup, q.cookieMask], [0xff, 0xffff, 0xffffffff, 0n]);
    const r = only(msg(EVIDENCE.flowStatsReply13), 'flow_stats_reply');
    assert.equal(r.flows.length, 3);
    assert.equal(r.flows[2].match.find((e) => e.field === 'reg0')?.value.length, 4);
    assert.equal(r.flows[2].instructions[0].type, 'apply_actions');
  });

  it('features (1.0, with ports) and port descriptions (1.3)', () => {
    const f = only(msg(EVIDENCE.featuresReply10), 'features_reply');
    assert.equal(f.datapathId, 0x23280044f47n);
    assert.equal(f.nTables, 254);
    assert.deepEqual(
      f.ports.map((p) => [p.portNo, p.name, p.hwAddr]),
      [
        [0xfffe, 'br0', '02:32:80:04:4f:47'],
        [1, 'p1', 'aa:55:aa:55:00:0f'],
        [2, 'p2', 'aa:55:aa:55:00:0e'],
      ],
    );
    const p = only(msg(EVIDENCE.portDescReply13), 'port_desc_reply');
    assert.deepEqual(
      p.ports.map((x) => [x.portNo, x.name, x.state]),
      [
        [0xfffe, 'br0', 4],
        [1, 'p1', 4],
        [2, 'p2', 4],
      ],
    );
  });
});

describe('decoding errors', () => {
  const code = (h: string | Uint8Array) => {
    const r = tryDecodeMessage(typeof h === 'string' ? unhex(h) : h);
    assert.ok(r instanceof OfpError, `decoded: ${JSON.stringify((r as OfMessage).type)}`);
    return r.code;
  };

  it('names the error to answer with', () => {
    assert.equal(code('04630008000000010000'), 'OFPBRC_BAD_LEN');
    assert.equal(code('0463000800000001'), 'OFPBRC_BAD_TYPE');
    assert.equal(code('0205000800000001'), 'OFPBRC_BAD_VERSION');
    assert.equal(code('0412001000000002004d000000000000'), 'OFPBRC_BAD_STAT');
    assert.equal(code('04040010000000010000123400000001'), 'OFPBRC_BAD_VENDOR');
    assert.equal(code('04040010000000010000232000000063'), 'OFPBRC_BAD_SUBTYPE');
    assert.equal(code('0405001000000001' + '0000000000000000'), 'OFPBRC_BAD_LEN');
    // OpenFlow 1.0 has no group statistics.
    assert.equal(code('0110001400000002000600000000000100000000'), 'OFPBRC_BAD_STAT');
    // A flow_mod whose match overruns the message.
    assert.equal(code(EVIDENCE.flowMod13.replace('00010012', '00010099')), 'OFPBMC_BAD_LEN');
  });

  it('hello, error and echo decode in any version', () => {
    assert.equal(msg('0700000800000001').type, 'hello');
    assert.equal(msg('0702000c00000001abcdef01').type, 'echo_request');
    const e = only(msg('0501000c00000001000100ff'), 'error');
    assert.deepEqual([e.errType, e.errCode, e.name], [1, 255, null]);
  });
});

describe('fuzz: the decoder throws only OfpError', () => {
  /** Deterministic PRNG so failures reproduce. */
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  function check(bytes: Uint8Array): void {
    let decoded: OfMessage;
    try {
      decoded = decodeMessage(bytes);
    } catch (err) {
      if (err instanceof OfpError) return;
      throw new Error(`non-OfpError for ${hex(bytes)}: ${(err as Error).stack}`);
    }
    // Whatever decodes must also encode (to the same bytes or, for loose inputs, without crashing).
    try {
      encodeMessage(decoded);
    } catch (err) {
      if (!(err instanceof OfpError))
        throw new Error(`encode crashed for ${hex(bytes)}: ${(err as Error).stack}`);
    }
  }

  it('random messages with plausible headers', () => {
    const rand = rng(1);
    for (let i = 0; i < 20000; i++) {
      const len = 8 + Math.floor(rand() * 120);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rand() * 256);
      b[0] = [1, 4, 4, 1, 2, 5, 6, 6][Math.floor(rand() * 8)];
      b[1] = Math.floor(rand() * 36);
      b[2] = len >> 8;
      b[3] = len & 0xff;
      check(b);
    }
  });

  it('every evidence message with bytes flipped, truncated and lengthened', () => {
    const rand = rng(2);
    for (const h of Object.values(EVIDENCE)) {
      const base = unhex(h);
      for (let i = 0; i < 3000; i++) {
        const b = base.slice();
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips; k++) b[8 + Math.floor(rand() * (b.length - 8))] = Math.floor(rand() * 256);
        check(b);
        // Truncated (with the header length fixed up) and with junk appended.
        const cut = 8 + Math.floor(rand() * (b.length - 8));
        const t = b.slice(0, cut);
        t[2] = cut >> 8;
        t[3] = cut & 0xff;
        check(t);
        const longer = new Uint8Array(b.length + 8);
        longer.set(b);
        longer[2] = longer.length >> 8;
        longer[3] = longer.length & 0xff;
        check(longer);
      }
    }
  });

  it('the framer never throws on random streams', () => {
    const rand = rng(3);
    for (let i = 0; i < 2000; i++) {
      const framer = new OfpFramer();
      const n = Math.floor(rand() * 300);
      const b = new Uint8Array(n);
      for (let j = 0; j < n; j++) b[j] = Math.floor(rand() * 256);
      for (const m of framer.feed(b).messages) check(m);
    }
  });
});

describe('every message type round-trips through encode and decode', () => {
  const port = {
    portNo: 3,
    hwAddr: '02:00:00:00:00:03',
    name: 'eth3',
    config: 1,
    state: 4,
    curr: 0x20,
    advertised: 0,
    supported: 0x20,
    peer: 0,
    currSpeed: 1000000,
    maxSpeed: 1000000,
  };
  const stats = {
    portNo: 3,
    rxPackets: 1n,
    txPackets: 2n,
    rxBytes: 3n,
    txBytes: 4n,
    rxDropped: 5n,
    txDropped: 6n,
    rxErrors: 7n,
    txErrors: 8n,
    rxFrameErr: 9n,
    rxOverErr: 10n,
    rxCrcErr: 11n,
    collisions: 12n,
    durationSec: 13,
    durationNsec: 14,
  };
  const match13 = [{ field: 'in_port_oxm', value: unhex('00000003'), mask: null }];
  const match10 = [{ field: 'in_port', value: unhex('0003'), mask: null }];
  const flow = (v: number) => ({
    tableId: 1,
    durationSec: 2,
    durationNsec: 3,
    priority: 4,
    idleTimeout: 5,
    hardTimeout: 6,
    flags: v === 4 ? 1 : 0,
    importance: 0,
    idleAge: 0,
    hardAge: 0,
    cookie: 7n,
    packetCount: 8n,
    byteCount: 9n,
    match: v === 4 ? match13 : match10,
    instructions: [
      { type: 'apply_actions' as const, actions: [{ type: 'output' as const, port: 2, maxLen: 0 }] },
    ],
  });

  function bodies(v: number): OfMessage[] {
    const m = v === 4 ? match13 : match10;
    const port10 = { ...port, currSpeed: 0, maxSpeed: 0 };
    const list: OfBody[] = [
      { type: 'features_request' },
      {
        type: 'features_reply',
        datapathId: 0xabcdefn,
        nBuffers: 256,
        nTables: 254,
        auxiliaryId: 0,
        capabilities: 0x47,
        actions: v === 1 ? 0xfff : 0,
        ports: v === 1 ? [port10] : [],
      },
      { type: 'get_config_request' },
      { type: 'get_config_reply', flags: 1, missSendLen: 128 },
      { type: 'set_config', flags: 0, missSendLen: 0xffff },
      {
        type: 'packet_in',
        bufferId: 7,
        totalLen: 60,
        reason: 1,
        inPort: v === 1 ? 3 : 0xffff,
        tableId: v === 4 ? 2 : 0,
        cookie: v === 4 ? 9n : 0n,
        match: v === 4 ? m : [],
        data: unhex('00112233'),
      },
      {
        type: 'flow_removed',
        cookie: 1n,
        priority: 2,
        reason: 2,
        tableId: v === 4 ? 3 : 0,
        durationSec: 4,
        durationNsec: 5,
        idleTimeout: 6,
        hardTimeout: v === 4 ? 7 : 0,
        packetCount: 8n,
        byteCount: 9n,
        match: m,
      },
      { type: 'port_status', reason: 2, port: v === 1 ? { ...port, currSpeed: 0, maxSpeed: 0 } : port },
      {
        type: 'packet_out',
        bufferId: 0xffffffff,
        inPort: 0xfffd,
        actions: [{ type: 'output', port: 1, maxLen: 0 }],
        data: unhex('aabb'),
      },
      { type: 'port_mod', portNo: 3, hwAddr: '02:00:00:00:00:03', config: 1, mask: 1, advertise: 0 },
      { type: 'barrier_request' },
      { type: 'barrier_reply' },
      { type: 'nx_role_request', role: 1 },
      { type: 'nx_role_reply', role: 2 },
      { type: 'nx_set_packet_in_format', value: 2 },
      { type: 'nx_set_controller_id', value: 7 },
      { type: 'nx_flow_mod_table_id', enable: true },
      { type: 'nx_flow_age' },
      {
        type: 'nx_set_async_config',
        packetInMask: [3, 1],
        portStatusMask: [7, 7],
        flowRemovedMask: [15, 0],
      },
      {
        type: 'nx_packet_in',
        bufferId: 0xffffffff,
        totalLen: 4,
        reason: 0,
        tableId: 0,
        cookie: 0n,
        match: match10,
        data: unhex('01020304'),
      },
      {
        type: 'nx_packet_in2',
        props: [
          { kind: 'packet', data: unhex('010203') },
          { kind: 'full_len', value: 60 },
          { kind: 'table_id', value: 1 },
          { kind: 'cookie', value: 5n },
          { kind: 'reason', value: 1 },
          { kind: 'metadata', match: [{ field: 'reg0', value: unhex('00000001'), mask: null }] },
          { kind: 'userdata', data: unhex('0102') },
        ],
      },
      {
        type: 'nx_flow_removed',
        cookie: 1n,
        priority: 2,
        reason: 0,
        tableId: 3,
        durationSec: 4,
        durationNsec: 5,
        idleTimeout: 6,
        hardTimeout: 0,
        packetCount: 7n,
        byteCount: 8n,
        match: match10,
      },
      { type: 'desc_request', flags: 0 },
      {
        type: 'desc_reply',
        flags: 0,
        desc: { mfrDesc: 'm', hwDesc: 'h', swDesc: 's', serialNum: 'n', dpDesc: 'd' },
      },
      { type: 'table_stats_request', flags: 0 },
      {
        type: 'table_stats_reply',
        flags: 0,
        tables: [
          {
            tableId: 0,
            name: v === 1 ? 'classifier' : '',
            wildcards: v === 1 ? 0x3fffff : 0,
            maxEntries: v === 1 ? 1000 : 0,
            activeCount: 3,
            lookupCount: 4n,
            matchedCount: 5n,
          },
        ],
      },
      { type: 'port_stats_request', flags: 0, portNo: 0xffff },
      {
        type: 'port_stats_reply',
        flags: 1,
        ports: [v === 1 ? { ...stats, durationSec: 0, durationNsec: 0 } : stats],
      },
      { type: 'queue_stats_request', flags: 0, portNo: 0xfffc, queueId: 0xffffffff },
      {
        type: 'queue_stats_reply',
        flags: 0,
        queues: [
          {
            portNo: 1,
            queueId: 2,
            txBytes: 3n,
            txPackets: 4n,
            txErrors: 5n,
            durationSec: v === 4 ? 6 : 0,
            durationNsec: v === 4 ? 7 : 0,
          },
        ],
      },
      { type: 'port_desc_request', flags: 0 },
      { type: 'port_desc_reply', flags: 0, ports: [v === 1 ? { ...port, currSpeed: 0, maxSpeed: 0 } : port] },
      {
        type: 'flow_stats_request',
        flags: 0,
        tableId: 0xff,
        outPort: 0xffff,
        outGroup: 0xffffffff,
        cookie: v === 4 ? 1n : 0n,
        cookieMask: v === 4 ? 1n : 0n,
        match: m,
      },
      { type: 'flow_stats_reply', flags: 0, flows: [flow(v)] },
      {
        type: 'aggregate_stats_request',
        flags: 0,
        tableId: 0xff,
        outPort: 0xffff,
        outGroup: 0xffffffff,
        cookie: 0n,
        cookieMask: 0n,
        match: m,
      },
      { type: 'aggregate_stats_reply', flags: 0, packetCount: 1n, byteCount: 2n, flowCount: 3 },
    ];
    if (v === 1) {
      list.push(
        { type: 'nx_set_flow_format', value: 2 },
        {
          type: 'nx_flow_stats_request',
          flags: 0,
          tableId: 0xff,
          outPort: 0xffff,
          outGroup: 0xffffffff,
          cookie: 0x10n,
          cookieMask: 0xf0n,
          match: match10,
        },
        { type: 'nx_flow_stats_reply', flags: 0, flows: [{ ...flow(1), idleAge: 3, hardAge: 4 }] },
        { type: 'nx_aggregate_stats_reply', flags: 0, packetCount: 1n, byteCount: 2n, flowCount: 3 },
        {
          type: 'nx_flow_mod',
          cookie: 0x1n,
          cookieMask: 0xffn,
          tableId: 2,
          command: 1,
          idleTimeout: 0,
          hardTimeout: 0,
          priority: 5,
          bufferId: 0xffffffff,
          outPort: 0xffff,
          outGroup: 0xffffffff,
          flags: 0,
          importance: 0,
          match: match10,
          instructions: [],
        },
      );
    } else {
      list.push(
        { type: 'role_request', role: 2, generationId: 7n },
        { type: 'role_reply', role: 2, generationId: 7n },
        { type: 'get_async_request' },
        { type: 'get_async_reply', packetInMask: [3, 1], portStatusMask: [7, 7], flowRemovedMask: [15, 0] },
        { type: 'set_async', packetInMask: [3, 1], portStatusMask: [7, 7], flowRemovedMask: [15, 0] },
        { type: 'table_mod', tableId: 0xff, config: 3 },
        {
          type: 'group_mod',
          command: 0,
          groupType: 1,
          groupId: 5,
          buckets: [
            {
              weight: 10,
              watchPort: 0xffff,
              watchGroup: 0xffffffff,
              actions: [{ type: 'output', port: 1, maxLen: 0 }],
            },
          ],
        },
        { type: 'group_stats_request', flags: 0, groupId: 0xfffffffc },
        {
          type: 'group_stats_reply',
          flags: 0,
          groups: [
            {
              groupId: 5,
              refCount: 1,
              packetCount: 2n,
              byteCount: 3n,
              durationSec: 4,
              durationNsec: 5,
              buckets: [{ packetCount: 1n, byteCount: 2n }],
            },
          ],
        },
        { type: 'group_desc_request', flags: 0 },
        {
          type: 'group_desc_reply',
          flags: 0,
          groups: [
            {
              groupType: 0,
              groupId: 5,
              buckets: [{ weight: 0, watchPort: 0xffff, watchGroup: 0xffffffff, actions: [] }],
            },
          ],
        },
        { type: 'group_features_request', flags: 0 },
        {
          type: 'group_features_reply',
          flags: 0,
          features: { types: 15, capabilities: 7, maxGroups: [1, 2, 3, 4], actions: [5, 6, 7, 8] },
        },
        {
          type: 'flow_mod',
          cookie: 1n,
          cookieMask: 0n,
          tableId: 0,
          command: 0,
          idleTimeout: 10,
          hardTimeout: 20,
          priority: 100,
          bufferId: 0xffffffff,
          outPort: 0xffff,
          outGroup: 0xffffffff,
          flags: 1,
          importance: 0,
          match: m,
          instructions: [
            { type: 'meter', meterId: 1 },
            { type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] },
            { type: 'write_metadata', metadata: 1n, mask: 1n },
            { type: 'goto_table', tableId: 2 },
          ],
        },
      );
    }
    return list.map((b, i) => ({ ...b, version: v, xid: 100 + i }) as OfMessage);
  }

  for (const v of [1, 4]) {
    it(`OpenFlow 0x0${v}: decode(encode(m)) == m and encode(decode(bytes)) == bytes`, () => {
      for (const m of bodies(v)) {
        const bytes = encodeMessage(m);
        const back = decodeMessage(bytes);
        assert.deepEqual(back, m, m.type);
        assert.equal(hex(encodeMessage(back)), hex(bytes), m.type);
      }
    });
  }

  it('refuses to encode what a version cannot carry', () => {
    const enc = (m: OfMessage) => {
      try {
        encodeMessage(m);
        return 'ok';
      } catch (err) {
        return err instanceof OfpError ? err.code : String(err);
      }
    };
    assert.equal(enc({ type: 'group_desc_request', flags: 0, version: 1, xid: 1 }), 'OFPBRC_BAD_VERSION');
    // 1.4 and 1.5 are spoken now; 1.1 and 1.2 are not.
    assert.equal(enc({ type: 'features_request', version: 5, xid: 1 }), 'ok');
    assert.equal(enc({ type: 'features_request', version: 3, xid: 1 }), 'OFPBRC_BAD_VERSION');
    assert.equal(
      enc({
        type: 'flow_mod',
        cookie: 0n,
        cookieMask: 0n,
        tableId: 0,
        command: 0,
        idleTimeout: 0,
        hardTimeout: 0,
        priority: 0,
        bufferId: 0,
        outPort: 0,
        outGroup: 0,
        flags: 0,
        importance: 0,
        match: [{ field: 'reg0', value: unhex('00000001'), mask: null }],
        instructions: [],
        version: 1,
        xid: 1,
      }),
      'OFPBMC_BAD_FIELD',
    );
  });
});
