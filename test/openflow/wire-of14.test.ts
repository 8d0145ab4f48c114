// OpenFlow 1.4 and 1.5 forms, and the bundle / meter / queue-configuration messages: every message
// round-trips (encode → decode gives the same message, and re-encoding the same bytes), the layouts carry
// the fields Open vSwitch reads (OXS counters, ofp14_port properties, 1.5 bucket ids), and mutated
// messages never make the decoder throw anything but OfpError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage, encodeMessage, inPortEntry, type OfMessage } from '../../src/openflow/messages.js';
import { hex } from '../../src/openflow/wire.js';
import { OfpError } from '../../src/openflow/wire-errors.js';

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
const U64_MAX = 0xffffffffffffffffn;
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
  rfc2819: Array.from({ length: 21 }, (_, i) => (i === 3 ? 99n : U64_MAX)),
  custom: [
    { name: 'rx_q0_bytes', value: 5n },
    { name: 'tx_q0_packets', value: 6n },
  ],
};
const flow = {
  tableId: 2,
  durationSec: 3,
  durationNsec: 4000,
  priority: 100,
  idleTimeout: 10,
  hardTimeout: 0,
  flags: 1,
  importance: 7,
  idleAge: 6,
  hardAge: 0,
  cookie: 0x99n,
  packetCount: 5n,
  byteCount: 500n,
  match: [inPortEntry(1)],
  instructions: [
    { type: 'apply_actions' as const, actions: [{ type: 'output' as const, port: 2, maxLen: 0 }] },
  ],
};

/** Messages of 1.4/1.5 (and the 1.3 forms of bundles and meters). */
const MESSAGES: OfMessage[] = [
  { type: 'port_desc_reply', flags: 0, ports: [port], version: 5, xid: 1 },
  { type: 'port_desc_request', flags: 0, portNo: 3, version: 6, xid: 1 },
  { type: 'port_status', reason: 2, port, version: 5, xid: 0 },
  { type: 'port_stats_reply', flags: 0, ports: [stats], version: 5, xid: 2 },
  {
    type: 'port_mod',
    portNo: 2,
    hwAddr: '02:00:00:00:00:02',
    config: 1,
    mask: 1,
    advertise: 0x20,
    version: 5,
    xid: 3,
  },
  { type: 'flow_stats_reply', flags: 0, flows: [flow], version: 6, xid: 4 },
  {
    type: 'aggregate_stats_reply',
    flags: 0,
    packetCount: 1n,
    byteCount: 2n,
    flowCount: 3,
    version: 6,
    xid: 5,
  },
  {
    type: 'flow_removed',
    cookie: 1n,
    priority: 2,
    reason: 0,
    tableId: 3,
    durationSec: 4,
    durationNsec: 5,
    idleTimeout: 6,
    hardTimeout: 7,
    packetCount: 8n,
    byteCount: 9n,
    match: [inPortEntry(4)],
    version: 6,
    xid: 0,
  },
  {
    type: 'packet_out',
    bufferId: 0xffffffff,
    inPort: 1,
    actions: [{ type: 'output', port: 2, maxLen: 0 }],
    data: new Uint8Array(14),
    match: [inPortEntry(1)],
    version: 6,
    xid: 6,
  },
  {
    type: 'group_mod',
    command: 0,
    groupType: 1,
    groupId: 1,
    buckets: [
      {
        weight: 5,
        watchPort: 0xffff,
        watchGroup: 0xffffffff,
        actions: [{ type: 'output', port: 1, maxLen: 0 }],
        bucketId: 0,
      },
      { weight: 1, watchPort: 2, watchGroup: 7, actions: [], bucketId: 9 },
    ],
    commandBucketId: 0xffffffff,
    version: 6,
    xid: 7,
  },
  {
    type: 'group_desc_reply',
    flags: 0,
    groups: [
      {
        groupType: 0,
        groupId: 4,
        buckets: [{ weight: 0, watchPort: 0xffff, watchGroup: 0xffffffff, actions: [], bucketId: 0 }],
      },
    ],
    version: 6,
    xid: 8,
  },
  { type: 'group_desc_request', flags: 0, groupId: 4, version: 6, xid: 9 },
  {
    type: 'set_async',
    packetInMask: [1, 2],
    portStatusMask: [3, 4],
    flowRemovedMask: [5, 6],
    version: 5,
    xid: 10,
  },
  {
    type: 'bundle_control',
    bundleId: 7,
    ctrlType: 0,
    flags: 3,
    props: new Uint8Array(0),
    version: 5,
    xid: 11,
  },
  {
    type: 'bundle_control',
    bundleId: 7,
    ctrlType: 5,
    flags: 0,
    props: new Uint8Array(0),
    version: 4,
    xid: 12,
  },
  {
    type: 'bundle_add',
    bundleId: 7,
    flags: 3,
    message: Uint8Array.of(5, 20, 0, 8, 0, 0, 0, 13),
    version: 5,
    xid: 13,
  },
  {
    type: 'meter_mod',
    command: 0,
    meter: { meterId: 1, flags: 5, bands: [{ bandType: 1, rate: 1000, burstSize: 100, precLevel: 0 }] },
    version: 4,
    xid: 14,
  },
  { type: 'meter_config_request', flags: 0, meterId: 0xffffffff, version: 6, xid: 15 },
  {
    type: 'meter_config_reply',
    flags: 0,
    meters: [{ meterId: 2, flags: 2, bands: [{ bandType: 2, rate: 10, burstSize: 0, precLevel: 1 }] }],
    version: 5,
    xid: 16,
  },
  {
    type: 'meter_stats_reply',
    flags: 0,
    meters: [
      {
        meterId: 2,
        flowCount: 1,
        packetInCount: 2n,
        byteInCount: 3n,
        durationSec: 4,
        durationNsec: 5,
        bands: [{ packetCount: 6n, byteCount: 7n }],
      },
    ],
    version: 4,
    xid: 17,
  },
  {
    type: 'meter_features_reply',
    flags: 0,
    features: { maxMeter: 262144, bandTypes: 2, capabilities: 15, maxBands: 8, maxColor: 0 },
    version: 6,
    xid: 18,
  },
  { type: 'queue_get_config_request', portNo: 1, queueId: 0xffffffff, version: 1, xid: 19 },
  { type: 'queue_get_config_request', portNo: 1, queueId: 0xffffffff, version: 4, xid: 19 },
  {
    type: 'queue_get_config_reply',
    portNo: 1,
    queues: [{ portNo: 1, queueId: 0, minRate: 0xffff, maxRate: 500 }],
    version: 1,
    xid: 20,
  },
  {
    type: 'queue_get_config_reply',
    portNo: 1,
    queues: [{ portNo: 1, queueId: 0, minRate: 100, maxRate: 0xffff }],
    version: 4,
    xid: 20,
  },
  { type: 'queue_desc_request', portNo: 0xffff, queueId: 0xffffffff, flags: 0, version: 5, xid: 21 },
  {
    type: 'queue_desc_reply',
    portNo: 0xffff,
    queues: [{ portNo: 2, queueId: 0, minRate: 0xffff, maxRate: 0xffff }],
    flags: 0,
    version: 6,
    xid: 22,
  },
];

describe('OpenFlow 1.4/1.5, bundles, meters and queue config round-trip', () => {
  for (const m of MESSAGES) {
    it(`${m.type} (version ${m.version})`, () => {
      const bytes = encodeMessage(m);
      const back = decodeMessage(bytes);
      assert.deepEqual(back, m);
      assert.equal(hex(encodeMessage(back)), hex(bytes));
    });
  }
});

describe('OpenFlow 1.4/1.5 layouts', () => {
  it('ofp14_port is 40 bytes plus a 32-byte Ethernet property', () => {
    const b = encodeMessage({ type: 'port_desc_reply', flags: 0, ports: [port], version: 5, xid: 1 });
    assert.equal(b.length, 16 + 72);
    assert.equal((b[20] << 8) | b[21], 72);
  });
  it('a 1.5 aggregate reply carries OXS packet, byte and flow counts', () => {
    const b = encodeMessage({
      type: 'aggregate_stats_reply',
      flags: 0,
      packetCount: 1n,
      byteCount: 2n,
      flowCount: 3,
      version: 6,
      xid: 1,
    });
    // ofp_oxs_stat: reserved, length 4 + 12 + 12 + 8 = 36, padded to 40.
    assert.equal(hex(b.subarray(16, 20)), '00000024');
    assert.equal(b.length, 16 + 40);
  });
  it('a 1.5 packet_out without in_port in its match is OFPBRC_BAD_PORT', () => {
    const b = encodeMessage({
      type: 'packet_out',
      bufferId: 0xffffffff,
      inPort: 1,
      actions: [],
      data: new Uint8Array(0),
      match: [],
      version: 6,
      xid: 1,
    });
    assert.throws(
      () => decodeMessage(b),
      (e: unknown) => e instanceof OfpError && e.code === 'OFPBRC_BAD_PORT',
    );
  });
  it('a bundle_add whose inner xid differs is OFPBFC_MSG_BAD_XID', () => {
    const b = encodeMessage({
      type: 'bundle_add',
      bundleId: 1,
      flags: 0,
      message: Uint8Array.of(5, 20, 0, 8, 0, 0, 0, 9),
      version: 5,
      xid: 1,
    });
    assert.throws(
      () => decodeMessage(b),
      (e: unknown) => e instanceof OfpError && e.code === 'OFPBFC_MSG_BAD_XID',
    );
  });
  it('a meter_mod with kbps and pktps is OFPMMFC_BAD_FLAGS', () => {
    const b = encodeMessage({
      type: 'meter_mod',
      command: 0,
      meter: { meterId: 1, flags: 3, bands: [] },
      version: 4,
      xid: 1,
    });
    assert.throws(
      () => decodeMessage(b),
      (e: unknown) => e instanceof OfpError && e.code === 'OFPMMFC_BAD_FLAGS',
    );
  });
});

describe('fuzz: 1.4/1.5 messages mutated never make the decoder throw anything but OfpError', () => {
  it('flipped, truncated and lengthened', () => {
    let s = 7;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    const check = (bytes: Uint8Array) => {
      try {
        encodeMessage(decodeMessage(bytes));
      } catch (err) {
        if (!(err instanceof OfpError))
          throw new Error(`non-OfpError for ${hex(bytes)}: ${(err as Error).stack}`);
      }
    };
    for (const m of MESSAGES) {
      const base = encodeMessage(m);
      for (let i = 0; i < 1500; i++) {
        const b = base.slice();
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips; k++) b[8 + Math.floor(rand() * (b.length - 8))] = Math.floor(rand() * 256);
        check(b);
        const cut = 8 + Math.floor(rand() * (b.length - 8));
        const t = b.slice(0, cut);
        t[2] = cut >> 8;
        t[3] = cut & 0xff;
        check(t);
      }
    }
  });
});
