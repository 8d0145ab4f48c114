// The ovs-ofctl flow syntax against the real tool: every flow of the golden corpus is parsed and printed
// by us and by `ovs-ofctl parse-flow` (Open vSwitch 3.1), and the texts must be the same; every flow the
// tool refuses, we refuse with the same message. Then unit tests of the pieces: the dump-flows form, the
// filter forms of the syntax, the field registry, and what tsovs refuses that OVS has.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { F_REG0, FLOW_WORDS } from '../../src/ofproto/of-flow.js';
import { type OfpAction, parseActions } from '../../src/openflow/action-text.js';
import {
  FF_CHECK_OVERLAP,
  FF_SEND_FLOW_REM,
  flowModText,
  flowText,
  OFPG_ALL,
  type ParsedFlow,
  parseFlow,
  TABLE_ANY,
} from '../../src/openflow/flow-text.js';
import { matchText } from '../../src/openflow/match-text.js';
import { OFPP_ANY, OFPP_LOCAL } from '../../src/openflow/port-text.js';
import { FlowTextError } from '../../src/openflow/text-util.js';
import { K_DL_TYPE, K_NW, K_TP, K_VLAN0 } from '../../src/packet/flow-key.js';
import { skipUnlessBinaries } from '../helpers/ovs.js';
import { BAD, BAD_PREREQ, GOOD, type GoodCase, type OfVersion } from './flow-text-cases.js';

const run = promisify(execFile);
const DEFAULT_VERSIONS: readonly OfVersion[] = ['10', '13'];

/** What ovs-ofctl printed for one flow: the flow-mod text after "(xid=N): ", or its error message. */
type ToolResult = { ok: true; text: string } | { ok: false; error: string };

function flowModLines(stdout: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of stdout.split('\n')) {
    const m = /FLOW_MOD .*\(xid=0x([0-9a-f]+)\): (.*)$/.exec(line);
    if (m) out.set(Number.parseInt(m[1], 16), m[2]);
  }
  return out;
}

async function parseOne(flow: string, version: OfVersion | ''): Promise<ToolResult> {
  const args = version ? ['-O', `OpenFlow${version}`, 'parse-flow', flow] : ['parse-flow', flow];
  try {
    const { stdout } = await run('ovs-ofctl', args);
    const text = flowModLines(stdout).get(1);
    return text === undefined ? { ok: false, error: `no flow-mod in: ${stdout}` } : { ok: true, text };
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? String(e);
    const msg = stderr
      .split('\n')
      .filter((l) => l.startsWith('ovs-ofctl: '))
      .map((l) => l.slice('ovs-ofctl: '.length))
      .join('\n');
    return { ok: false, error: msg || stderr };
  }
}

/**
 * Every flow for `version` through one `ovs-ofctl parse-flows` run (fast), falling back to one run per
 * flow when the batch is refused. In a batch ovs-ofctl may pick the table_id extension for all flows and
 * then prints "table:255" for those that gave no table — the flow-mod's "no table given"; that is removed.
 */
async function parseMany(flows: readonly string[], version: OfVersion, dir: string): Promise<ToolResult[]> {
  const file = join(dir, `flows-${version}.txt`);
  writeFileSync(file, `${flows.join('\n')}\n`);
  try {
    const { stdout } = await run('ovs-ofctl', ['-O', `OpenFlow${version}`, 'parse-flows', file], {
      maxBuffer: 1 << 24,
    });
    const lines = flowModLines(stdout);
    if (lines.size === flows.length) {
      return flows.map((_, i) => ({
        ok: true,
        text: (lines.get(i + 1) ?? '').replace(/^(ADD) table:255 /, '$1 '),
      }));
    }
  } catch {
    // fall through to one flow at a time
  }
  return pool(flows, (f) => parseOne(f, version));
}

async function pool<T, R>(items: readonly T[], fn: (t: T) => Promise<R>, width = 4): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

// The wire carries a note's bytes padded with zeros so the action is a multiple of 8 bytes long (NXAST_NOTE
// has a 10-byte header): ovs-ofctl prints the padded bytes back.
function padNotes(actions: readonly OfpAction[]): OfpAction[] {
  return actions.map((a) => {
    if (a.type !== 'note') return a;
    const len = Math.ceil((10 + a.data.length) / 8) * 8 - 10;
    const data = new Uint8Array(len);
    data.set(a.data);
    return { ...a, data };
  });
}

function oursFor(c: GoodCase, version: OfVersion): string {
  let flow: ParsedFlow = parseFlow(c.flow);
  if (c.notePadding) flow = { ...flow, actions: padNotes(flow.actions) };
  return flowModText(flow, { withImportance: version === '14' || version === '15' });
}

describe('flow text against ovs-ofctl parse-flow', { skip: skipUnlessBinaries('ovs-ofctl') }, () => {
  const good = new Map<string, ToolResult>();
  const bad = new Map<string, ToolResult>();
  const prereq = new Map<string, ToolResult>();
  const key = (flow: string, version: string) => `${version}|${flow}`;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsovs-flow-text-'));
    try {
      for (const version of ['10', '11', '13', '14', '15'] as const) {
        const flows = GOOD.filter((c) => (c.of ?? DEFAULT_VERSIONS).includes(version)).map((c) => c.flow);
        if (!flows.length) continue;
        const results = await parseMany(flows, version, dir);
        for (const [i, f] of flows.entries()) good.set(key(f, version), results[i]);
      }
      const results = await pool(BAD, (c) => parseOne(c.flow, ''));
      for (const [i, c] of BAD.entries()) bad.set(c.flow, results[i]);
      const prereqResults = await pool(BAD_PREREQ, (f) => parseOne(f, '13'));
      for (const [i, f] of BAD_PREREQ.entries()) prereq.set(f, prereqResults[i]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`the corpus is large (${GOOD.length} accepted, ${BAD.length} refused flows)`, () => {
    assert.ok(GOOD.length >= 150);
    assert.ok(BAD.length >= 100);
  });

  for (const c of GOOD) {
    test(`accepts ${c.flow}`, () => {
      for (const version of c.of ?? DEFAULT_VERSIONS) {
        const tool = good.get(key(c.flow, version));
        assert.ok(tool, 'tool result missing');
        assert.ok(tool.ok, `ovs-ofctl -O OpenFlow${version} refused it: ${tool.ok ? '' : tool.error}`);
        assert.equal(oursFor(c, version), tool.text, `OpenFlow${version}`);
      }
    });
  }

  for (const c of BAD) {
    test(`refuses ${c.flow}`, () => {
      const tool = bad.get(c.flow);
      assert.ok(tool, 'tool result missing');
      assert.ok(!tool.ok, `ovs-ofctl accepted it: ${tool.ok ? tool.text : ''}`);
      let ours: unknown;
      try {
        parseFlow(c.flow);
      } catch (e) {
        ours = e;
      }
      assert.ok(ours instanceof FlowTextError, `we accepted it (ovs-ofctl: ${tool.error})`);
      if (!c.differs) assert.equal(ours.message, tool.error);
    });
  }

  for (const flow of BAD_PREREQ) {
    test(`refuses what a switch refuses: ${flow}`, () => {
      const tool = prereq.get(flow);
      assert.ok(tool?.ok, 'ovs-ofctl refused it outright');
      assert.match(tool.text, /decode error: OFPBMC_BAD_PREREQ/);
      assert.throws(
        () => parseFlow(flow),
        (e: unknown) => e instanceof FlowTextError && e.code === 'OFPBMC_BAD_PREREQ',
      );
    });
  }
});

describe('flowText (the dump-flows form)', () => {
  test('prints cookie, table, timeouts, flags and importance before the match', () => {
    const f = parseFlow(
      'table=3,priority=100,cookie=0x5,idle_timeout=10,hard_timeout=20,importance=2,send_flow_rem,check_overlap,ip,nw_dst=10.0.0.0/8,actions=output:1',
    );
    assert.equal(
      flowText(f),
      'cookie=0x5, table=3, idle_timeout=10, hard_timeout=20, send_flow_rem check_overlap importance=2, priority=100,ip,nw_dst=10.0.0.0/8 actions=output:1',
    );
  });

  test('leaves out what is zero or default', () => {
    assert.equal(flowText(parseFlow('actions=NORMAL')), 'actions=NORMAL');
    assert.equal(flowText(parseFlow('priority=0,actions=drop')), 'priority=0 actions=drop');
    assert.equal(flowText(parseFlow('in_port=1,actions=2')), 'in_port=1 actions=output:2');
  });

  test('prints port names when given', () => {
    const f = parseFlow('in_port=p1,actions=output:p2', {
      ports: new Map([
        ['p1', 1],
        ['p2', 2],
      ]),
    });
    assert.equal(f.match.value[0], 1);
    const names = new Map([
      [1, 'p1'],
      [2, 'p2'],
    ]);
    assert.equal(flowText(f, { portNames: names }), 'in_port=p1 actions=output:p2');
  });

  test('accepts a flow without the parser, from words', () => {
    const value = new Uint32Array(FLOW_WORDS);
    const mask = new Uint32Array(FLOW_WORDS);
    value[K_DL_TYPE] = 0x0800;
    mask[K_DL_TYPE] = 0xffff;
    value[K_NW] = 17;
    mask[K_NW] = 0xff;
    value[K_TP] = 53;
    mask[K_TP] = 0xffff;
    assert.equal(
      flowText({
        tableId: 0,
        priority: 5,
        match: { value, mask },
        actions: [{ type: 'output', port: OFPP_LOCAL, maxLen: 0 }],
      }),
      'priority=5,udp,tp_dst=53 actions=LOCAL',
    );
  });
});

describe('parseFlow', () => {
  test('returns the typed flow', () => {
    const f = parseFlow(
      'table=2,priority=7,cookie=0x10,idle_timeout=3,hard_timeout=4,send_flow_rem,check_overlap,tcp,tp_dst=22,actions=drop',
    );
    assert.equal(f.command, 'add');
    assert.equal(f.tableId, 2);
    assert.equal(f.priority, 7);
    assert.equal(f.newCookie, 0x10n);
    assert.equal(f.cookieMask, 0n);
    assert.equal(f.idleTimeout, 3);
    assert.equal(f.hardTimeout, 4);
    assert.equal(f.flags, FF_SEND_FLOW_REM | FF_CHECK_OVERLAP);
    assert.equal(f.match.value[K_DL_TYPE], 0x0800);
    assert.equal(f.match.mask[K_TP], 0xffff);
    assert.equal(f.match.value[K_TP], 22);
    assert.deepEqual(f.actions, []);
    assert.deepEqual(f.dropped, []);
  });

  test('defaults: priority 32768, no table, cookie 0, no out_port', () => {
    const f = parseFlow('actions=normal');
    assert.equal(f.priority, 32768);
    assert.equal(f.tableId, TABLE_ANY);
    assert.equal(f.newCookie, 0n);
    assert.equal(f.outPort, OFPP_ANY);
  });

  test('drops match fields whose prerequisites are missing, and says which', () => {
    const f = parseFlow('tp_dst=80,nw_src=1.2.3.4,in_port=1,actions=drop');
    assert.deepEqual(f.dropped, ['nw_src', 'tp_dst']);
    assert.equal(matchText(f.match), 'in_port=1');
  });

  test('filter forms: cookie masks, out_port, out_group; no actions', () => {
    const f = parseFlow('table=1,cookie=0x5/0xff,out_port=3,out_group=all,in_port=2', { command: 'filter' });
    assert.equal(f.tableId, 1);
    assert.equal(f.cookie, 5n);
    assert.equal(f.cookieMask, 0xffn);
    assert.equal(f.outPort, 3);
    assert.equal(f.outGroup, OFPG_ALL);
    assert.equal(flowModText(f), 'DEL table:1 in_port=2 cookie:0x5/0xff out_port:3 actions=drop');
    assert.throws(() => parseFlow('priority=5', { command: 'filter' }), {
      message: 'unknown keyword priority',
    });
    assert.throws(() => parseFlow('cookie=5', { command: 'delete' }), {
      message: 'cannot set cookie (to match on a cookie, specify a mask, e.g. cookie=5/-1)',
    });
    assert.throws(() => parseFlow('in_port=1,actions=drop', { command: 'delete' }), {
      message: 'unknown keyword actions',
    });
  });

  test('delete_strict takes a priority; modify keeps cookies unless told', () => {
    assert.equal(parseFlow('priority=5,in_port=1', { command: 'delete_strict' }).priority, 5);
    assert.equal(parseFlow('in_port=1,actions=drop', { command: 'modify' }).newCookie, 0n);
    assert.equal(parseFlow('cookie=1/1,actions=drop', { command: 'modify' }).newCookie, null);
    assert.equal(parseFlow('cookie=7,actions=drop', { command: 'modify_strict' }).newCookie, 7n);
  });

  test('a leading command word, as in add-flows files', () => {
    assert.equal(parseFlow('delete in_port=1', { commandPrefix: true }).command, 'delete');
    assert.equal(parseFlow('delete_strict priority=1', { commandPrefix: true }).command, 'delete_strict');
    assert.equal(parseFlow('modify actions=drop', { commandPrefix: true }).command, 'modify');
    assert.equal(parseFlow('in_port=1,actions=drop', { commandPrefix: true }).command, 'add');
  });

  test('errors carry a code', () => {
    const codeOf = (text: string) => {
      try {
        parseFlow(text);
      } catch (e) {
        return e instanceof FlowTextError ? e.code : 'not a FlowTextError';
      }
      return 'accepted';
    };
    assert.equal(codeOf('foo=1,actions=drop'), 'SYNTAX');
    assert.equal(codeOf('actions=set_field:80->tp_dst'), 'OFPBAC_MATCH_INCONSISTENT');
    assert.equal(codeOf('actions=output:65280'), 'OFPBAC_BAD_OUT_PORT');
    assert.equal(codeOf('table=3,actions=goto_table:1'), 'OFPBIC_BAD_TABLE_ID');
    assert.equal(codeOf('ct_state=+trk,actions=drop'), 'UNSUPPORTED');
    assert.equal(codeOf('actions=ct(commit)'), 'UNSUPPORTED');
    assert.equal(codeOf('actions=load:1->NXM_NX_CT_MARK[]'), 'UNSUPPORTED');
  });
});

describe('parseActions', () => {
  test('gives typed actions', () => {
    const acts = parseActions(
      'output:1,NORMAL,mod_vlan_vid:10,strip_vlan,load:0x1->NXM_NX_REG0[0..3],resubmit(,2),learn(table=3,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:NXM_OF_IN_PORT[])',
    );
    assert.deepEqual(
      acts.map((a) => a.type),
      ['output', 'output', 'set_vlan_vid', 'strip_vlan', 'set_field', 'resubmit', 'learn'],
    );
    const load = acts[4];
    assert.ok(load.type === 'set_field');
    assert.equal(load.field.name, 'reg0');
    assert.equal(load.value, 1n);
    assert.equal(load.mask, 0xfn);
    assert.ok(load.load);
    const learn = acts[6];
    assert.ok(learn.type === 'learn');
    assert.equal(learn.tableId, 3);
    assert.deepEqual(
      learn.specs.map((s) => s.kind),
      ['match_field', 'output'],
    );
  });

  test('set_vlan_vid keeps its spelling (no OpenFlow version prints it back)', () => {
    assert.equal(
      flowModText(parseFlow('dl_vlan=5,actions=set_vlan_vid:10,set_vlan_pcp:2')),
      'ADD dl_vlan=5 actions=set_vlan_vid:10,set_vlan_pcp:2',
    );
  });

  test('registers in set_field and masked set_field', () => {
    const [a] = parseActions('set_field:0x1/0xff->reg3');
    assert.ok(a.type === 'set_field' && !a.load);
    assert.equal(a.mask, 0xffn);
  });
});

describe('match registers in the flow words', () => {
  test('reg N is word F_REG0+N; xreg N is regs 2N (high) and 2N+1 (low)', () => {
    const f = parseFlow('reg3=0x7,xreg2=0x100000002,actions=drop');
    assert.equal(f.match.value[F_REG0 + 3], 7);
    assert.equal(f.match.value[F_REG0 + 4], 1);
    assert.equal(f.match.value[F_REG0 + 5], 2);
    assert.equal(f.match.mask[F_REG0 + 4], 0xffffffff);
  });

  test('dl_vlan sets the VID and the present bit', () => {
    const f = parseFlow('dl_vlan=10,actions=drop');
    assert.equal(f.match.value[K_VLAN0], 0x100a);
    assert.equal(f.match.mask[K_VLAN0], 0x1fff);
  });
});
