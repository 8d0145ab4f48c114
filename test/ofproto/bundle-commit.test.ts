// Bundles commit all or nothing: a failing flow or group mod undoes every earlier change of the bundle
// (adds, replaced rules, modifies, deletes, group changes and the rules a group delete took along).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BundleChange, BundleChangeError, commitChanges } from '../../src/ofproto/bundle-commit.js';
import { applyGroupMod, flowModFromParsed } from '../../src/ofproto/flow-mod.js';
import { Pipeline } from '../../src/ofproto/flow-table.js';
import { actionsText } from '../../src/openflow/action-text.js';
import { parseFlow } from '../../src/openflow/flow-text.js';

function flow(text: string, command: 'add' | 'modify' | 'delete_strict' = 'add'): BundleChange {
  return { kind: 'flow', fm: flowModFromParsed(parseFlow(text, { command })) };
}

/** The pipeline as text: every rule (table, priority, cookie, actions, counters) and every group. */
function snapshot(p: Pipeline): string {
  const rules = [...p.allRules()].map(
    (r) => `${r.tableId}/${r.priority}/${r.cookie}/${actionsText(r.actions)}/${r.packets}`,
  );
  const groups = [...p.groups.values()].map((g) => `${g.id}:${g.type}:${g.buckets.length}`);
  return `${rules.sort().join('\n')}\n--\n${groups.sort().join('\n')}`;
}

describe('commitChanges', () => {
  it('applies every change when all succeed', () => {
    const p = Pipeline.withDefaultFlow(0);
    commitChanges(p, [flow('priority=5,in_port=1,actions=output:2'), flow('table=3,actions=drop')], 1);
    assert.equal([...p.allRules()].length, 3);
  });

  it('a failing last change leaves everything as it was', () => {
    const p = Pipeline.withDefaultFlow(0);
    applyGroupMod(p, { command: 'add', groupId: 7, type: 'all', buckets: [] }, 0);
    commitChanges(
      p,
      [flow('priority=5,in_port=1,actions=group:7'), flow('cookie=0x3,priority=9,actions=drop')],
      0,
    );
    for (const r of p.allRules()) r.packets = 4;
    const before = snapshot(p);
    const changes: BundleChange[] = [
      flow('priority=9,actions=output:3'), // replaces an identical rule
      flow('actions=output:LOCAL', 'modify'), // modifies every rule
      flow('priority=5,in_port=1', 'delete_strict'),
      { kind: 'group', gm: { command: 'delete', groupId: 7, type: 'all', buckets: [] } },
      flow('table=4,priority=1,actions=drop'),
      flow('priority=6,actions=group:5'), // no group 5: OFPBAC_BAD_OUT_GROUP
    ];
    assert.throws(
      () => commitChanges(p, changes, 5),
      (e: unknown) =>
        e instanceof BundleChangeError && e.index === 5 && e.error.code === 'OFPBAC_BAD_OUT_GROUP',
    );
    assert.equal(snapshot(p), before);
  });
});
