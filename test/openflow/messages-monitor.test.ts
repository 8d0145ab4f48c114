// Nicira flow monitor messages (src/openflow/messages-monitor.ts): the bytes ovs-ofctl 3.1 sends for
// `monitor br0 watch:` and an NXST_FLOW_MONITOR reply as ovs-vswitchd 3.1 sends it decode, re-encode byte
// for byte, and print as ovs-ofctl prints them; malformed requests get OVS's errors; the watch: parser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWatch } from '../../src/cli/ofctl-monitor.js';
import { decodeMessage, encodeMessage, type OfMessage } from '../../src/openflow/messages.js';
import { ofpMessageText } from '../../src/openflow/print-msg.js';
import { hex, unhex } from '../../src/openflow/wire.js';
import { OfpError } from '../../src/openflow/wire-errors.js';

/** What `ovs-ofctl --no-names monitor SWITCH watch:` 3.1 sends (captured): id 0, every flag but !own's. */
const WATCH_ALL = '0110002800000002ffff000000002320000000020000000000000000003fffff0000ff0000000000';

describe('NXST_FLOW_MONITOR', () => {
  it('a request decodes, re-encodes byte for byte and prints as ovs-ofctl prints it', () => {
    const raw = unhex(WATCH_ALL);
    const m = decodeMessage(raw);
    assert.equal(m.type, 'nx_flow_monitor_request');
    if (m.type !== 'nx_flow_monitor_request') return;
    assert.deepEqual(m.monitors, [{ id: 0, flags: 0x3f, outPort: 0xffff, tableId: 0xff, match: [] }]);
    assert.equal(hex(encodeMessage(m)), WATCH_ALL);
    assert.equal(
      ofpMessageText(raw, { verbosity: 2 }),
      'NXST_FLOW_MONITOR request (xid=0x2):\n id=0 flags=initial,add,delete,modify,actions,own\n',
    );
  });

  it('a reply with full and abbreviated updates round-trips and prints', () => {
    const m: OfMessage = {
      type: 'nx_flow_monitor_reply',
      flags: 0,
      version: 1,
      xid: 0,
      updates: [
        {
          event: 'added',
          reason: 0,
          priority: 5,
          idleTimeout: 0,
          hardTimeout: 10,
          tableId: 0,
          cookie: 7n,
          match: [{ field: 'in_port', value: Uint8Array.of(0, 1), mask: null }],
          actions: [{ type: 'output', port: 2, maxLen: 0 }],
        },
        {
          event: 'deleted',
          reason: 2,
          priority: 5,
          idleTimeout: 0,
          hardTimeout: 0,
          tableId: 3,
          cookie: 0n,
          match: [],
          actions: [],
        },
        { event: 'abbrev', xid: 0x42 },
      ],
    } as OfMessage;
    const raw = encodeMessage(m);
    const back = decodeMessage(raw);
    assert.deepEqual(back, m);
    assert.equal(hex(encodeMessage(back)), hex(raw));
    assert.equal(
      ofpMessageText(raw, { verbosity: 2 }),
      [
        'NXST_FLOW_MONITOR reply (xid=0x0):',
        ' event=ADDED table=0 hard_timeout=10 cookie=0x7 in_port=1 actions=output:2',
        // As OVS: an empty match leaves its space before the next update (only the message's end is chomped).
        ' event=DELETED reason=delete table=3 cookie=0 ',
        ' event=ABBREV xid=0x42',
        '',
      ].join('\n'),
    );
  });

  it('NXT_FLOW_MONITOR_CANCEL, _PAUSED and _RESUMED round-trip', () => {
    for (const body of [
      { type: 'nx_flow_monitor_cancel', id: 9 },
      { type: 'nx_flow_monitor_paused' },
      { type: 'nx_flow_monitor_resumed' },
    ] as const) {
      const m = { ...body, version: 1, xid: 3 } as OfMessage;
      assert.deepEqual(decodeMessage(encodeMessage(m)), m);
    }
    const cancel = encodeMessage({ type: 'nx_flow_monitor_cancel', id: 9, version: 1, xid: 3 } as OfMessage);
    assert.equal(ofpMessageText(cancel), 'NXT_FLOW_MONITOR_CANCEL (xid=0x3): id=9\n');
  });

  it('bad requests get OVS errors', () => {
    const code = (h: string) => {
      try {
        decodeMessage(unhex(h));
        return 'ok';
      } catch (err) {
        return err instanceof OfpError ? err.code : String(err);
      }
    };
    // No add/delete/modify flag.
    assert.equal(code(WATCH_ALL.replace('00000000003f', '000000000001')), 'OFPMOFC_BAD_FLAGS');
    // A nonzero pad byte.
    assert.equal(code(`${WATCH_ALL.slice(0, 78)}01`), 'NXBRC_MUST_BE_ZERO');
    // Leftover bytes shorter than a request.
    assert.equal(code(`0110002000000002${WATCH_ALL.slice(16, 64)}`), 'OFPBRC_BAD_LEN');
  });

  it('an unknown update event is NXBRC_FM_BAD_EVENT', () => {
    const m = {
      type: 'nx_flow_monitor_reply',
      flags: 0,
      version: 1,
      xid: 0,
      updates: [{ event: 'abbrev', xid: 0x42 }],
    };
    const raw = encodeMessage(m as OfMessage);
    raw[24 + 3] = 7;
    assert.throws(
      () => decodeMessage(raw),
      (e: unknown) => e instanceof OfpError && e.code === 'NXBRC_FM_BAD_EVENT',
    );
  });
});

describe('watch: SPEC', () => {
  it('flags, table, out_port and a match', () => {
    const r = parseWatch('!initial,!own,table=3,out_port=2,tcp,tp_dst=80');
    assert.equal(r.flags, 0x3f & ~1 & ~32);
    assert.equal(r.tableId, 3);
    assert.equal(r.outPort, 2);
    assert.deepEqual(
      r.match.map((e) => e.field),
      ['eth_type', 'nw_proto', 'tcp_dst'],
    );
  });

  it('refuses what a flow monitor does not take', () => {
    assert.throws(() => parseWatch('priority=5'), /priority=5: unknown keyword priority/);
    assert.throws(() => parseWatch('table='), /field table missing value/);
    assert.throws(() => parseWatch('table=x'), /unknown table "x"/);
  });
});
