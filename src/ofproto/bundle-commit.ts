// Atomic application of an OpenFlow bundle's flow and group mods to one bridge's pipeline, with Open
// vSwitch's commit semantics (ofproto.c do_bundle_commit): every message is applied in order; when one
// fails, everything the earlier ones changed is undone, in reverse order, and the error names the failing
// message. Built on applyFlowMod / applyGroupMod and the Pipeline's public add/remove, not on classifier
// internals: before each change it notes what that change will touch, so the undo restores exactly that.
import { OfpError } from '../openflow/wire-errors.js';
import { applyFlowMod, applyGroupMod, type Removed, selectRules } from './flow-mod.js';
import type { Group, Pipeline, Rule } from './flow-table.js';
import type { FlowModRequest, GroupModRequest } from './of-switch.js';

/** One change a bundle carries. */
export type BundleChange =
  | { readonly kind: 'flow'; readonly fm: FlowModRequest }
  | { readonly kind: 'group'; readonly gm: GroupModRequest };

/** A change that failed: its position in the bundle and the error it raised. */
export class BundleChangeError extends Error {
  constructor(
    readonly index: number,
    readonly error: OfpError,
  ) {
    super(`bundle message ${index} failed: ${error.code}`);
    this.name = 'BundleChangeError';
  }
}

const TABLE_ALL = 255;

/** What a modified rule looked like before. */
interface RuleState {
  readonly rule: Rule;
  readonly actions: Rule['actions'];
  readonly cookie: bigint;
  readonly modified: number;
  readonly packets: number;
  readonly bytes: number;
}

type Undo = () => void;

function snapshot(r: Rule): RuleState {
  return {
    rule: r,
    actions: r.actions,
    cookie: r.cookie,
    modified: r.modified,
    packets: r.packets,
    bytes: r.bytes,
  };
}

function restore(s: RuleState): void {
  s.rule.actions = s.actions;
  s.rule.cookie = s.cookie;
  s.rule.modified = s.modified;
  s.rule.packets = s.packets;
  s.rule.bytes = s.bytes;
}

/** Applies one flow mod and returns how to take it back, and the rules it removed. */
function flowChange(p: Pipeline, fm: FlowModRequest, now: number): { undo: Undo; removed: Removed[] } {
  const modify = fm.command === 'modify' || fm.command === 'modify_strict';
  const before = modify
    ? selectRules(p, {
        tableId: fm.tableId,
        match: fm.match,
        strict: fm.command === 'modify_strict',
        priority: fm.priority,
        cookie: fm.cookie,
        cookieMask: fm.cookieMask,
        outPort: fm.outPort,
        outGroup: fm.outGroup,
      }).map(snapshot)
    : [];
  // An add replaces an identical rule (same table, priority and match): keep it to put it back.
  const addTable = fm.tableId === TABLE_ALL ? 0 : fm.tableId;
  const replaced =
    fm.command === 'add' || (modify && before.length === 0)
      ? selectRules(p, {
          tableId: addTable,
          match: fm.match,
          strict: true,
          priority: fm.priority,
          cookie: 0n,
          cookieMask: 0n,
          outPort: 0xffff,
          outGroup: 0xffffffff,
        })
      : [];
  const result = applyFlowMod(p, fm, now);
  const undo = () => {
    for (const r of result.added) p.remove(r);
    for (const r of replaced) p.add(r.tableId, r);
    for (const s of before) restore(s);
    for (const x of result.removed) p.add(x.rule.tableId, x.rule);
  };
  return { undo, removed: [...result.removed] };
}

/** Applies one group mod and returns how to take it back, and the rules it removed. */
function groupChange(p: Pipeline, gm: GroupModRequest, now: number): { undo: Undo; removed: Removed[] } {
  const saved = new Map<number, { group: Group; type: Group['type']; buckets: Group['buckets'] }>();
  for (const [id, g] of p.groups) saved.set(id, { group: g, type: g.type, buckets: g.buckets });
  const removed = applyGroupMod(p, gm, now);
  const undo = () => {
    for (const id of [...p.groups.keys()]) if (!saved.has(id)) p.groups.delete(id);
    for (const [id, s] of saved) {
      s.group.type = s.type;
      s.group.buckets = s.buckets;
      p.groups.set(id, s.group);
    }
    for (const x of removed) p.add(x.rule.tableId, x.rule);
  };
  return { undo, removed };
}

/**
 * Applies `changes` in order, all or nothing. Returns the rules removed (for flow_removed messages, to be
 * sent only now that the commit stands); throws BundleChangeError, with nothing changed, when one fails.
 */
export function commitChanges(p: Pipeline, changes: readonly BundleChange[], now: number): Removed[] {
  const undos: Undo[] = [];
  const removed: Removed[] = [];
  for (const [i, c] of changes.entries()) {
    try {
      const r = c.kind === 'flow' ? flowChange(p, c.fm, now) : groupChange(p, c.gm, now);
      undos.push(r.undo);
      removed.push(...r.removed);
    } catch (err) {
      for (let j = undos.length - 1; j >= 0; j--) undos[j]();
      if (err instanceof OfpError) throw new BundleChangeError(i, err);
      throw new BundleChangeError(
        i,
        new OfpError('OFPBRC_EPERM', err instanceof Error ? err.message : String(err)),
      );
    }
  }
  return removed;
}
