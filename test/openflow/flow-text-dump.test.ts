// flowText against what a real ovs-vswitchd (3.1, dummy datapath) shows: the corpus's flows are added to
// one bridge with `ovs-ofctl -O OpenFlow15 add-flows` and read back with `dump-flows --no-stats`, and
// every line must be flowText of our parse of that flow. OpenFlow 1.5 is the version whose flow stats
// carry everything flowText prints (flags, importance); flows sharing a table, priority and match replace
// each other, so only the first of each such group is added. As root, ovs-vswitchd runs in a network
// namespace of its own (test/helpers/private-netns.ts).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OfpAction } from '../../src/openflow/action-text.js';
import { flowText, type ParsedFlow, parseFlow } from '../../src/openflow/flow-text.js';
import { matchText } from '../../src/openflow/match-text.js';
import { runCommand, tempDir, waitFor } from '../helpers/daemons.js';
import { skipUnlessBinaries } from '../helpers/ovs.js';
import { addPrivateNetnsIfRoot, deletePrivateNetns, inNetns } from '../helpers/private-netns.js';
import { GOOD } from './flow-text-cases.js';

const BINS = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-ofctl'];
const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// What OpenFlow 1.5 does to actions on the way to the switch and back: load becomes set_field (with a
// mask), notes are padded with zeros to a multiple of 8 bytes.
function asOpenFlow15(actions: readonly OfpAction[]): OfpAction[] {
  return actions.map((a): OfpAction => {
    if (a.type === 'set_field' && a.load) return { ...a, load: false };
    if (a.type === 'note') {
      const data = new Uint8Array(Math.ceil((10 + a.data.length) / 8) * 8 - 10);
      data.set(a.data);
      return { ...a, data };
    }
    if (a.type === 'clone' || a.type === 'write_actions') return { ...a, actions: asOpenFlow15(a.actions) };
    return a;
  });
}

/**
 * The corpus flows that OpenFlow 1.3+ carries as written, made to coexist in one switch: a flow that gives
 * no table and would replace an earlier one (same table, priority and match) is put into the first table
 * where it does not ("table=N," in front of its text; not past a goto_table target).
 */
function dumpCases(): { flow: string; parsed: ParsedFlow }[] {
  const seen = new Set<string>();
  const out: { flow: string; parsed: ParsedFlow }[] = [];
  for (const c of GOOD) {
    const versions = c.of ?? ['10', '13'];
    if (c.noDump || !versions.some((v) => v === '13' || v === '14' || v === '15')) continue;
    let parsed = parseFlow(c.flow);
    let flow = c.flow;
    const match = matchText(parsed.match, parsed.priority);
    let table = parsed.tableId === 255 ? 0 : parsed.tableId;
    if (parsed.tableId === 255) {
      const limit = Math.min(254, ...parsed.actions.map((a) => (a.type === 'goto_table' ? a.tableId : 254)));
      while (table < limit - 1 && seen.has(`${table}|${match}`)) table++;
      if (table) {
        flow = `table=${table},${c.flow}`;
        parsed = parseFlow(flow);
      }
    }
    if (seen.has(`${table}|${match}`)) continue;
    seen.add(`${table}|${match}`);
    out.push({ flow, parsed });
  }
  return out;
}

describe('flowText against ovs-ofctl dump-flows', { skip: skipUnlessBinaries(...BINS) }, () => {
  const dir = tempDir('tsovs-flow-dump-');
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
  const cases = dumpCases();
  let dumped: string[] = [];
  let netns: string | null = null;

  async function ovs(cmd: string, ...args: string[]): Promise<string> {
    const r = await runCommand(cmd, args, env, 30_000);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  function daemonArgs(name: string): string[] {
    return [
      `--pidfile=${join(dir, `${name}.pid`)}`,
      '--detach',
      `--log-file=${join(dir, `${name}.log`)}`,
      `--unixctl=${join(dir, `${name}.ctl`)}`,
    ];
  }

  before(async () => {
    await ovs('ovsdb-tool', 'create', join(dir, 'conf.db'), SCHEMA);
    await ovs(
      'ovsdb-server',
      join(dir, 'conf.db'),
      `--remote=punix:${join(dir, 'db.sock')}`,
      ...daemonArgs('db'),
    );
    netns = await addPrivateNetnsIfRoot('tsovs-ftd');
    const [cmd, args] = inNetns(netns, 'ovs-vswitchd', [
      `unix:${join(dir, 'db.sock')}`,
      '--enable-dummy=override',
      ...daemonArgs('vsd'),
    ]);
    await ovs(cmd, ...args);
    await ovs(
      'ovs-vsctl',
      `--db=unix:${join(dir, 'db.sock')}`,
      'add-br',
      'br0',
      '--',
      'set',
      'bridge',
      'br0',
      'datapath_type=netdev',
    );
    const mgmt = `unix:${join(dir, 'br0.mgmt')}`;
    await waitFor(() => existsSync(join(dir, 'br0.mgmt')), 10_000, 'br0.mgmt');
    await ovs('ovs-ofctl', '-O', 'OpenFlow15', 'del-flows', mgmt);
    const file = join(dir, 'flows.txt');
    writeFileSync(file, `${cases.map((c) => c.flow).join('\n')}\n`);
    await ovs('ovs-ofctl', '-O', 'OpenFlow15', 'add-flows', mgmt, file);
    const out = await ovs('ovs-ofctl', '-O', 'OpenFlow15', 'dump-flows', '--no-stats', mgmt);
    dumped = out
      .split('\n')
      .filter((l) => l.startsWith(' '))
      .map((l) => l.slice(1));
  });

  after(async () => {
    for (const name of ['vsd', 'db']) {
      const file = join(dir, `${name}.pid`);
      if (!existsSync(file)) continue;
      const pid = Number(readFileSync(file, 'utf8').trim());
      try {
        process.kill(pid, 'SIGTERM');
        await waitFor(() => !alive(pid), 10_000, `${name} to exit`);
      } catch {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
    await deletePrivateNetns(netns);
    rmSync(dir, { recursive: true, force: true });
  });

  test(`the switch holds every flow (${cases.length})`, () => {
    assert.ok(cases.length >= 150);
    assert.equal(dumped.length, cases.length);
  });

  for (const c of cases) {
    test(`dumps ${c.flow}`, () => {
      const ours = flowText({ ...c.parsed, actions: asOpenFlow15(c.parsed.actions) });
      assert.ok(dumped.includes(ours), `not among the switch's flows: ${ours}`);
    });
  }
});
