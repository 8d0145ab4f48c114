// The text <-> wire conversion (src/openflow/convert.ts). Every flow of the golden corpus goes text ->
// flow mod -> bytes -> decoded -> text again, for NXM, OpenFlow 1.3 (OXM) and OpenFlow 1.0's fixed match
// where it can say the flow, and must come back as written. Against the real ovs-ofctl 3.1: the same round
// trip must print what `ovs-ofctl parse-flows` prints for every version (also where a version respells a
// flow), and the flow mods we encode must be byte for byte those `ovs-ofctl add-flows` / `add-flow` /
// `mod-flows` / `del-flows` send, including the protocol switches (NXT_SET_FLOW_FORMAT,
// NXT_FLOW_MOD_TABLE_ID) that come before them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { OfpAction } from '../../src/openflow/action-text.js';
import {
  actionsFromWire,
  actionsToWire,
  type FlowProtocol,
  flowModToWire,
  instructionsFromWire,
  instructionsToWire,
  matchFromWire,
  matchToWire,
  usableFormats,
} from '../../src/openflow/convert.js';
import { type FlowCommand, flowModText, type ParsedFlow, parseFlow } from '../../src/openflow/flow-text.js';
import { decodeMessage, encodeMessage, type FlowMod } from '../../src/openflow/messages.js';
import type { MatchEntry } from '../../src/openflow/oxm.js';
import { hex } from '../../src/openflow/wire.js';
import { OfpError } from '../../src/openflow/wire-errors.js';
import { OfctlRecorder } from '../helpers/ofctl-recorder.js';
import { skipUnlessBinaries } from '../helpers/ovs.js';
import { GOOD, type GoodCase } from './flow-text-cases.js';

const run = promisify(execFile);

const NXM: FlowProtocol = { version: 1, format: 'nxm' };
const OF10: FlowProtocol = { version: 1, format: 'openflow10' };
const OF13: FlowProtocol = { version: 4, format: 'oxm' };

// The wire pads a note's bytes with zeros to a multiple of 8 bytes (NXAST_NOTE has a 10-byte header).
function padNotes(actions: readonly OfpAction[]): OfpAction[] {
  return actions.map((a) => {
    if (a.type !== 'note') return a;
    const data = new Uint8Array(Math.ceil((10 + a.data.length) / 8) * 8 - 10);
    data.set(a.data);
    return { ...a, data };
  });
}

/** The flow mod for `flow`, encoded and decoded again, as a parsed flow (what a switch would read). */
function throughWire(flow: ParsedFlow, protocol: FlowProtocol): ParsedFlow {
  const fm = flowModToWire(flow, protocol);
  const back = decodeMessage(encodeMessage({ ...fm, version: protocol.version, xid: 1 }));
  assert.ok(back.type === 'flow_mod' || back.type === 'nx_flow_mod', `decoded ${back.type}`);
  const match = matchFromWire(back.match, { strict: protocol.format !== 'openflow10' });
  const actions = instructionsFromWire(back.instructions, protocol.version);
  // A flow mod without a table carries 0 (OpenFlow 1.3) or nothing (1.0): print it as "no table".
  const tableId = back.tableId === 0 && flow.tableId === 255 ? 255 : back.tableId;
  return { ...flow, match, actions, tableId };
}

function ourText(flow: ParsedFlow, protocol: FlowProtocol): string {
  return flowModText(throughWire(flow, protocol));
}

function expectedText(c: GoodCase): string {
  const flow = parseFlow(c.flow);
  return flowModText(c.notePadding ? { ...flow, actions: padNotes(flow.actions) } : flow);
}

const inVersion = (c: GoodCase, v: '10' | '13') => (c.of ?? ['10', '13']).includes(v);

/**
 * Flows for which ovs-ofctl's OpenFlow 1.0 protocol choice depends on how a field was spelled, which the
 * parsed match no longer tells: vlan_tci=0x1000/0x1fff needs NXM where dl_vlan's identical mask does not,
 * tp_src on SCTP fits ofp10_match where sctp_src does not, a masked tp_dst on ICMP needs NXM although
 * normalization makes it an exact icmp_code. Left out of the OpenFlow 1.0 comparisons with ovs-ofctl.
 */
const SPELLING_DECIDES = new Set([
  'vlan_tci=0x1000/0x1fff,actions=drop',
  'vlan_tci=0x3000/0xf000,actions=drop',
  'sctp,tp_src=5,actions=drop',
  'icmp,icmp_type=3,tp_dst=0x100/0xff00,actions=drop',
]);

/**
 * Flows whose match ovs-ofctl sends with an explicit packet_type=(0,0) entry: a field with an Ethernet
 * prerequisite was named and then wildcarded again, so nothing else in the match implies Ethernet. The
 * parsed match does not keep that history (and matches the same packets without the entry).
 */
const PACKET_TYPE_ENTRY = new Set([
  'dl_vlan=7,dl_vlan=*,actions=drop',
  'dl_dst=00:00:00:00:00:00/00:00:00:00:00:00,actions=drop',
]);

describe('text -> wire -> text round trip of the golden flows', () => {
  test('NXM (OpenFlow 1.0 + Nicira extensions)', () => {
    let n = 0;
    for (const c of GOOD.filter((g) => inVersion(g, '10'))) {
      const flow = parseFlow(c.flow);
      if (!usableFormats(flow).nxm) continue;
      assert.equal(ourText(flow, { ...NXM, tid: usableFormats(flow).tid }), expectedText(c), c.flow);
      n++;
    }
    assert.ok(n > 250, `only ${n} flows`);
  });

  test('OpenFlow 1.3 (OXM, instructions)', () => {
    let n = 0;
    for (const c of GOOD.filter((g) => inVersion(g, '13'))) {
      assert.equal(ourText(parseFlow(c.flow), OF13), expectedText(c), c.flow);
      n++;
    }
    assert.ok(n > 250, `only ${n} flows`);
  });

  test("OpenFlow 1.0's fixed match, for the flows it can express", () => {
    let n = 0;
    for (const c of GOOD.filter((g) => inVersion(g, '10'))) {
      const flow = parseFlow(c.flow);
      if (!usableFormats(flow).openflow10) continue;
      assert.equal(ourText(flow, { ...OF10, tid: flow.tableId !== 255 }), expectedText(c), c.flow);
      n++;
    }
    assert.ok(n > 150, `only ${n} flows`);
  });
});

function entry(field: string, value: number[], mask: number[] | null = null): MatchEntry {
  return { field, value: Uint8Array.from(value), mask: mask ? Uint8Array.from(mask) : null };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OfpError, `not an OfpError: ${e}`);
    return e.code;
  }
  return 'no error';
}

describe('matchToWire: the order and spelling of nx_put_raw', () => {
  const flow = parseFlow(
    'tcp,reg3=0x5,metadata=0x9,tp_dst=80,nw_src=10.0.0.0/8,dl_vlan=5,dl_vlan_pcp=3,in_port=7,tun_id=0x3,nw_tos=8,actions=drop',
  );

  test('NXM: in_port, Ethernet, vlan_tci, IPv4, L4, tunnel, registers, metadata', () => {
    const names = matchToWire(flow.match).map((e) => e.field);
    assert.deepEqual(names, [
      'in_port',
      'eth_type',
      'vlan_tci',
      'ip_src',
      'nw_tos',
      'nw_proto',
      'tcp_dst',
      'tun_id',
      'reg3',
      'metadata',
    ]);
    const ipSrc = matchToWire(flow.match).find((e) => e.field === 'ip_src');
    assert.deepEqual(ipSrc, entry('ip_src', [10, 0, 0, 0], [255, 0, 0, 0]));
    assert.deepEqual(
      matchToWire(flow.match).find((e) => e.field === 'vlan_tci'),
      entry('vlan_tci', [0x70, 0x05]),
    );
  });

  test('OXM: in_port as 32 bits, vlan_vid + vlan_pcp, DSCP shifted', () => {
    const entries = matchToWire(flow.match, 4);
    assert.deepEqual(
      entries.map((e) => e.field),
      [
        'in_port_oxm',
        'eth_type',
        'vlan_vid',
        'vlan_pcp',
        'ip_src',
        'ip_dscp',
        'nw_proto',
        'tcp_dst',
        'tun_id',
        'reg3',
        'metadata',
      ],
    );
    assert.deepEqual(entries[0], entry('in_port_oxm', [0, 0, 0, 7]));
    assert.deepEqual(entries[2], entry('vlan_vid', [0x10, 0x05]));
    assert.deepEqual(entries[5], entry('ip_dscp', [2]));
  });

  test('reserved ports map to OpenFlow 1.1+ numbers in OXM and back', () => {
    const m = parseFlow('in_port=LOCAL,actions=drop').match;
    const entries = matchToWire(m, 4);
    assert.deepEqual(entries, [entry('in_port_oxm', [0xff, 0xff, 0xff, 0xfe])]);
    assert.deepEqual(matchFromWire(entries), m);
  });
});

describe('matchFromWire: the errors Open vSwitch answers', () => {
  test('a field before its prerequisite: OFPBMC_BAD_PREREQ', () => {
    assert.equal(
      codeOf(() => matchFromWire([entry('ip_src', [1, 2, 3, 4]), entry('eth_type', [8, 0])])),
      'OFPBMC_BAD_PREREQ',
    );
    assert.equal(
      codeOf(() => matchFromWire([entry('tcp_dst', [0, 80])])),
      'OFPBMC_BAD_PREREQ',
    );
    // Without strict checking (OpenFlow 1.0 matches) the same entries are taken as they are.
    assert.doesNotThrow(() => matchFromWire([entry('ip_src', [1, 2, 3, 4])], { strict: false }));
  });

  test('a repeated field: OFPBMC_DUP_FIELD', () => {
    assert.equal(
      codeOf(() => matchFromWire([entry('eth_type', [8, 0]), entry('eth_type', [8, 0])])),
      'OFPBMC_DUP_FIELD',
    );
  });

  test('values and masks out of range: OFPBMC_BAD_VALUE, OFPBMC_BAD_MASK', () => {
    const vlan = [entry('vlan_vid', [0x10, 0x05])];
    assert.equal(
      codeOf(() => matchFromWire([...vlan, entry('vlan_pcp', [9])])),
      'OFPBMC_BAD_VALUE',
    );
    assert.equal(
      codeOf(() => matchFromWire([entry('in_port_oxm', [0, 0, 0xff, 0x01])])),
      'OFPBMC_BAD_VALUE',
    );
    assert.equal(
      codeOf(() => matchFromWire([entry('eth_type', [8, 0], [0xff, 0])])),
      'OFPBMC_BAD_MASK',
    );
  });

  test('fields tsovs does not model: OFPBMC_BAD_FIELD', () => {
    assert.equal(
      codeOf(() => matchFromWire([entry('ct_state', [0, 0, 0, 0x20])])),
      'OFPBMC_BAD_FIELD',
    );
    assert.equal(
      codeOf(() => matchFromWire([entry('pkt_mark', [0, 0, 0, 1])])),
      'OFPBMC_BAD_FIELD',
    );
  });
});

describe('actions and instructions per version', () => {
  const actions = (text: string) => parseFlow(`actions=${text}`).actions;

  test('mod_vlan_vid pushes a tag in OpenFlow 1.3 only when the flow has none', () => {
    const untagged = parseFlow('actions=mod_vlan_vid:5,mod_vlan_pcp:2');
    assert.deepEqual(
      actionsToWire(untagged.actions, 4, { match: untagged.match }).map((a) => a.type),
      ['push_vlan', 'set_field', 'set_field'],
    );
    const tagged = parseFlow('dl_vlan=7,actions=mod_vlan_vid:5');
    assert.deepEqual(
      actionsToWire(tagged.actions, 4, { match: tagged.match }).map((a) => a.type),
      ['set_field'],
    );
    assert.deepEqual(
      actionsToWire(untagged.actions, 1).map((a) => a.type),
      ['set_vlan_vid', 'set_vlan_pcp'],
    );
  });

  test('mod_tp_dst becomes the set_field of the protocol matched', () => {
    const udp = parseFlow('udp,actions=mod_tp_dst:53');
    assert.deepEqual(actionsToWire(udp.actions, 4, { match: udp.match }), [
      { type: 'set_field', field: 'udp_dst', value: Uint8Array.of(0, 53), mask: null },
    ]);
    assert.deepEqual(actionsToWire(udp.actions, 1, { match: udp.match }), [
      { type: 'set_tp_dst', value: 53 },
    ]);
  });

  test('set_field falls back to legacy OpenFlow 1.0 actions, load to reg_load per bit run', () => {
    assert.deepEqual(actionsToWire(actions('set_field:00:11:22:33:44:55->eth_src'), 1), [
      { type: 'set_dl_src', mac: '00:11:22:33:44:55' },
    ]);
    assert.deepEqual(actionsToWire(actions('load:0x5->NXM_NX_REG0[4..11]'), 4), [
      { type: 'reg_load', field: 'reg0', ofs: 4, nBits: 8, value: 5n },
    ]);
  });

  test('instructions: OpenFlow 1.3 groups the actions, OpenFlow 1.0 folds goto_table into resubmit', () => {
    const list = actions('output:1,clear_actions,write_metadata:0x5/0xff,goto_table:3');
    assert.deepEqual(
      instructionsToWire(list, 4).map((i) => i.type),
      ['apply_actions', 'clear_actions', 'write_metadata', 'goto_table'],
    );
    const of10 = instructionsToWire(list, 1);
    assert.equal(of10.length, 1);
    assert.equal(of10[0].type, 'apply_actions');
    assert.deepEqual(of10[0].type === 'apply_actions' ? of10[0].actions.map((a) => a.type) : [], [
      'output',
      'write_metadata',
      'resubmit_table',
    ]);
    assert.deepEqual(instructionsFromWire(instructionsToWire(list, 4)), list);
    assert.throws(() => actionsToWire(actions('goto_table:3'), 4), /goto_table is an instruction/);
  });

  test('wire actions tsovs does not implement are OFPBAC_BAD_TYPE', () => {
    assert.equal(
      codeOf(() => actionsFromWire([{ type: 'ct_clear' }])),
      'OFPBAC_BAD_TYPE',
    );
  });
});

// --- Against the real ovs-ofctl --------------------------------------------------------------------------

function flowModLines(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /FLOW_MOD .*\(xid=0x[0-9a-f]+\): (.*)$/.exec(line);
    if (m) out.push(m[1].replace(/^(ADD) table:255 /, '$1 '));
  }
  return out;
}

/** What `ovs-ofctl -O OpenFlowVV parse-flow(s)` prints for each flow, or null where it refuses it. */
async function ovsTexts(
  flows: readonly string[],
  version: '10' | '13',
  dir: string,
  batch = true,
): Promise<(string | null)[]> {
  const file = join(dir, `flows-${version}.txt`);
  writeFileSync(file, `${flows.join('\n')}\n`);
  try {
    if (!batch) throw new Error('one at a time');
    const { stdout } = await run('ovs-ofctl', ['-O', `OpenFlow${version}`, 'parse-flows', file], {
      maxBuffer: 1 << 24,
    });
    const lines = flowModLines(stdout);
    if (lines.length === flows.length) return lines;
  } catch {
    // One flow spoils the batch: ask one at a time.
  }
  const out: (string | null)[] = [];
  for (const f of flows) {
    try {
      const { stdout } = await run('ovs-ofctl', ['-O', `OpenFlow${version}`, 'parse-flow', f]);
      out.push(flowModLines(stdout)[0] ?? null);
    } catch {
      out.push(null);
    }
  }
  return out;
}

/** A message with its xid zeroed, as hex. */
function noXid(raw: Uint8Array): string {
  const copy = Uint8Array.from(raw);
  copy.fill(0, 4, 8);
  return hex(copy);
}

/** The protocol ovs-ofctl picks for flows on an OpenFlow 1.0 connection (open_vconn_for_flow_mod). */
function of10ProtocolFor(flows: readonly ParsedFlow[]): FlowProtocol {
  const usable = flows.map((f) => usableFormats(f));
  const std = usable.every((u) => u.openflow10);
  const tid = usable.some((u) => u.tid);
  return { version: 1, format: std ? 'openflow10' : 'nxm', tid };
}

/** The messages ovs-ofctl sends before the flow mods to switch to `p` from plain OpenFlow 1.0. */
function protocolSwitch(p: FlowProtocol): string[] {
  const out: string[] = [];
  if (p.format === 'nxm') out.push('nx_set_flow_format', 'barrier_request');
  if (p.tid) out.push('nx_flow_mod_table_id', 'barrier_request');
  return out;
}

function ours(flow: ParsedFlow, p: FlowProtocol): string {
  return noXid(
    encodeMessage({ ...flowModToWire(flow, p), version: p.version, xid: 0 } as FlowMod & {
      version: number;
      xid: number;
    }),
  );
}

describe('against ovs-ofctl 3.1', { skip: skipUnlessBinaries('ovs-ofctl') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsovs-convert-'));
  const recorder10 = new OfctlRecorder([1]);
  const recorder13 = new OfctlRecorder([4]);

  before(async () => {
    await recorder10.start();
    await recorder13.start();
  });
  after(async () => {
    await recorder10.stop();
    await recorder13.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const version of ['10', '13'] as const) {
    test(`every golden flow prints as ovs-ofctl -O OpenFlow${version} parse-flows prints it`, async () => {
      // Flows we think the version can carry go in one batch; the others one by one (ovs-ofctl must refuse).
      const cases = GOOD.filter(
        (c) => !c.flow.includes('importance') && !(version === '10' && SPELLING_DECIDES.has(c.flow)),
      );
      // In OpenFlow 1.0 ovs-ofctl picks one protocol for a batch: the flows ofp10_match can carry go in one,
      // the NXM ones in another, so that each prints as it would alone.
      type Group = 'std' | 'nxm' | 'none';
      const groupOf = (c: GoodCase): Group => {
        const u = usableFormats(parseFlow(c.flow));
        if (version === '13') return u.oxm ? 'nxm' : 'none';
        return u.openflow10 ? 'std' : u.nxm ? 'nxm' : 'none';
      };
      const groups = new Map<Group, (string | null)[]>();
      for (const g of ['std', 'nxm'] as const) {
        const flows = cases.filter((c) => groupOf(c) === g).map((c) => c.flow);
        groups.set(g, await ovsTexts(flows, version, dir));
      }
      const refused = cases.filter((c) => groupOf(c) === 'none').map((c) => c.flow);
      groups.set('none', await ovsTexts(refused, version, dir, false));
      const texts = cases.map((c) => groups.get(groupOf(c))?.shift() ?? null);
      let compared = 0;
      for (const [i, c] of cases.entries()) {
        const flow = parseFlow(c.flow);
        const usable = usableFormats(flow);
        const ok = version === '13' ? usable.oxm : usable.nxm;
        const theirs = texts[i];
        if (!ok) {
          assert.equal(theirs, null, `ovs-ofctl takes ${c.flow} in OpenFlow 1.0 but we say it cannot`);
          continue;
        }
        assert.notEqual(theirs, null, `ovs-ofctl refuses ${c.flow} in OpenFlow${version}`);
        // A batch with any table uses the table-id extension for all its flows: tables print the same.
        const p = version === '13' ? OF13 : usable.openflow10 ? OF10 : NXM;
        assert.equal(
          ourText(flow, { ...p, tid: true }).replace(/^(ADD) table:255 /, '$1 '),
          theirs,
          `${c.flow} (OpenFlow${version})`,
        );
        compared++;
      }
      assert.ok(compared > 280, `only ${compared} compared`);
    });
  }

  for (const [version, recorder] of [
    ['10', recorder10],
    ['13', recorder13],
  ] as const) {
    test(`add-flows -O OpenFlow${version}: our flow mods are the bytes ovs-ofctl sends`, async () => {
      const lines = GOOD.filter(
        (c) =>
          inVersion(c, version) &&
          !c.flow.includes('importance') &&
          !SPELLING_DECIDES.has(c.flow) &&
          !PACKET_TYPE_ENTRY.has(c.flow),
      )
        .map((c) => c.flow)
        .filter((f) =>
          version === '13' ? usableFormats(parseFlow(f)).oxm : usableFormats(parseFlow(f)).nxm,
        );
      const flows = lines.map((f) => parseFlow(f));
      const file = join(dir, `add-${version}.txt`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      recorder.clear();
      const r = await recorder.ofctl(['-O', `OpenFlow${version}`, 'add-flows', 'SWITCH', file]);
      assert.equal(r.status, 0, r.stderr);
      const p = version === '13' ? OF13 : of10ProtocolFor(flows);
      const types = recorder.last.map((x) => x.msg.type);
      const lead = version === '13' ? [] : protocolSwitch(p);
      assert.deepEqual(types.slice(0, lead.length), lead);
      const mods = recorder.last.filter((x) => x.msg.type === 'flow_mod' || x.msg.type === 'nx_flow_mod');
      assert.equal(mods.length, flows.length);
      const bad = flows.flatMap((f, i) => (ours(f, p) === noXid(mods[i].raw) ? [] : [lines[i]]));
      assert.deepEqual(bad, []);
    });
  }

  // One flow per run: the protocol ovs-ofctl picks for each, and the flow mods of the other commands.
  const SINGLE: readonly [string, FlowCommand, string][] = [
    ['add-flow', 'add', 'in_port=1,actions=output:2'],
    ['add-flow', 'add', 'table=3,ip,nw_src=10.0.0.0/8,actions=normal'],
    ['add-flow', 'add', 'reg0=5,actions=drop'],
    ['add-flow', 'add', 'table=2,tun_id=0x5,actions=resubmit(,3)'],
    ['add-flow', 'add', 'tcp6,tp_dst=22,actions=drop'],
    ['add-flow', 'add', 'actions=set_field:5->reg1'],
    ['add-flow', 'add', 'actions=mod_vlan_vid:5,output:3'],
    ['add-flow', 'add', 'dl_vlan=7,actions=mod_vlan_vid:5,output:3'],
    ['add-flow', 'add', 'ip,actions=output:1,write_metadata:0x1'],
    ['add-flow', 'add', 'ip,actions=output:1,goto_table:2'],
    ['mod-flows', 'modify', 'in_port=1,actions=output:3'],
    ['mod-flows', 'modify', 'cookie=0x5/0xff,actions=drop'],
    ['mod-flows --strict', 'modify_strict', 'priority=5,in_port=1,actions=output:3'],
    ['del-flows', 'delete', 'in_port=1'],
    ['del-flows', 'delete', 'table=4,cookie=0x3/-1'],
    ['del-flows --strict', 'delete_strict', 'priority=7,ip,nw_dst=1.2.3.4'],
    ['del-flows', 'delete', 'out_port=5'],
  ];
  for (const version of ['10', '13'] as const) {
    for (const [cmd, command, text] of SINGLE) {
      test(`${cmd} -O OpenFlow${version} ${text}`, async () => {
        const recorder = version === '10' ? recorder10 : recorder13;
        const [verb, ...opts] = cmd.split(' ');
        recorder.clear();
        const r = await recorder.ofctl(['-O', `OpenFlow${version}`, ...opts, verb, 'SWITCH', text]);
        const flow = parseFlow(text, { command });
        const usable = usableFormats(flow);
        if (version === '10' && !usable.nxm) {
          assert.notEqual(r.status, 0);
          return;
        }
        assert.equal(r.status, 0, r.stderr);
        const p = version === '13' ? OF13 : of10ProtocolFor([flow]);
        const types = recorder.last.map((x) => x.msg.type);
        const lead = version === '13' ? [] : protocolSwitch(p);
        assert.deepEqual(types, [
          ...lead,
          p.format === 'nxm' ? 'nx_flow_mod' : 'flow_mod',
          'barrier_request',
        ]);
        const mod = recorder.last[lead.length];
        assert.equal(ours(flow, p), noXid(mod.raw));
        // And the decoded message reads back as the same flow.
        assert.ok(mod.msg.type === 'flow_mod' || mod.msg.type === 'nx_flow_mod');
        const strict = p.format !== 'openflow10';
        assert.deepEqual(matchFromWire(mod.msg.match, { strict }), flow.match);
      });
    }
  }
});
