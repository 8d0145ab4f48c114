// OpenFlow table operations on one bridge's pipeline, with Open vSwitch's semantics (ofproto.c):
// flow_mod add / modify[_strict] / delete[_strict], flow statistics queries, timeouts, group_mod.
// Pure functions over a Pipeline; the caller (src/ofproto/ofproto.ts) invalidates cached datapath flows
// and sends the flow_removed messages these return.
import type { OfpAction } from '../openflow/action-text.js';
import type { ParsedFlow } from '../openflow/flow-text.js';
import { OfpError } from '../openflow/wire-errors.js';
import {
  FlowMatch,
  type Group,
  N_TABLES,
  type Pipeline,
  RULE_CHECK_OVERLAP,
  RULE_RESET_COUNTS,
  Rule,
  shareActions,
} from './flow-table.js';
import type {
  FlowModRequest,
  FlowQuery,
  GroupModRequest,
  GroupView,
  RuleView,
  TableView,
} from './of-switch.js';

/** OFPP_NONE / OFPP_ANY in 16-bit numbering, and OFPG_ANY / OFPG_ALL. */
const OFPP_ANY = 0xffff;
const OFPP_MAX = 0xff00;
const OFPP_IN_PORT = 0xfff8;
const OFPG_ANY = 0xffff_ffff;
const OFPG_ALL = 0xffff_fffc;
const OFPG_MAX = 0xffff_ff00;
const TABLE_ALL = 255;

/** A rule that left its table, and why. */
export interface Removed {
  readonly rule: Rule;
  readonly reason: 'idle' | 'hard' | 'delete' | 'group_delete';
}

/** What a flow_mod changed. */
export interface FlowModResult {
  readonly added: readonly Rule[];
  readonly modified: readonly Rule[];
  readonly removed: readonly Removed[];
}

/** Applies a flow_mod (throws OfpError for a bad one, changing nothing). */
export function applyFlowMod(p: Pipeline, fm: FlowModRequest, now: number): FlowModResult {
  if (fm.priority < 0 || fm.priority > 0xffff) throw new OfpError('OFPFMFC_BAD_PRIORITY');
  switch (fm.command) {
    case 'add':
      return addFlow(p, fm, now);
    case 'modify':
    case 'modify_strict':
      return modifyFlows(p, fm, now);
    case 'delete':
    case 'delete_strict': {
      const rules = selectRules(p, toQuery(fm, fm.command === 'delete_strict'));
      for (const r of rules) p.remove(r);
      return { added: [], modified: [], removed: rules.map((rule) => ({ rule, reason: 'delete' as const })) };
    }
  }
}

function toQuery(fm: FlowModRequest, strict: boolean): FlowQuery {
  return {
    tableId: fm.tableId,
    match: fm.match,
    strict,
    priority: fm.priority,
    cookie: fm.cookie,
    cookieMask: fm.cookieMask,
    outPort: fm.outPort,
    outGroup: fm.outGroup,
  };
}

/** OVS's checks of a rule's actions against the switch (ofpacts_check_consistency's switch half). */
export function checkRuleActions(p: Pipeline, actions: readonly OfpAction[], tableId: number): void {
  for (const a of actions) {
    switch (a.type) {
      case 'output':
        if (a.port >= OFPP_MAX && a.port < OFPP_IN_PORT) throw new OfpError('OFPBAC_BAD_OUT_PORT');
        break;
      case 'group':
        if (!p.groups.has(a.groupId)) throw new OfpError('OFPBAC_BAD_OUT_GROUP');
        break;
      case 'goto_table':
        if (a.tableId <= tableId || a.tableId >= N_TABLES) throw new OfpError('OFPBIC_BAD_TABLE_ID');
        break;
      case 'resubmit':
        if (a.tableId !== TABLE_ALL && a.tableId >= N_TABLES) throw new OfpError('OFPBAC_BAD_ARGUMENT');
        break;
      case 'clone':
      case 'write_actions':
        checkRuleActions(p, a.actions, tableId);
        break;
      default:
        break;
    }
  }
}

function addFlow(p: Pipeline, fm: FlowModRequest, now: number): FlowModResult {
  const tableId = fm.tableId === TABLE_ALL ? 0 : fm.tableId;
  if (tableId >= N_TABLES) throw new OfpError('OFPBRC_BAD_TABLE_ID');
  checkRuleActions(p, fm.actions, tableId);
  const match = new FlowMatch(fm.match.value, fm.match.mask);
  const table = p.table(tableId);
  if ((fm.flags & RULE_CHECK_OVERLAP) !== 0) {
    for (const r of table.rules()) {
      if (r.priority === fm.priority && r.match.overlaps(match) && !r.match.equals(match)) {
        throw new OfpError('OFPFMFC_OVERLAP');
      }
    }
  }
  const rule = new Rule(
    {
      priority: fm.priority,
      match,
      actions: fm.actions,
      cookie: fm.newCookie ?? fm.cookie,
      idleTimeout: fm.idleTimeout,
      hardTimeout: fm.hardTimeout,
      importance: fm.importance,
      flags: fm.flags,
    },
    now,
  );
  const old = p.add(tableId, rule);
  // An identical rule is replaced; like OVS, its counters carry over unless reset_counts is asked for.
  if (old !== null && (fm.flags & RULE_RESET_COUNTS) === 0) {
    rule.packets = old.packets;
    rule.bytes = old.bytes;
    rule.created = old.created;
  }
  return { added: [rule], modified: [], removed: [] };
}

function modifyFlows(p: Pipeline, fm: FlowModRequest, now: number): FlowModResult {
  const strict = fm.command === 'modify_strict';
  const rules = selectRules(p, toQuery(fm, strict));
  if (rules.length === 0) {
    // OVS adds the flow when a modify matches nothing, unless it selects by cookie.
    if (fm.cookieMask !== 0n) return { added: [], modified: [], removed: [] };
    return addFlow(p, { ...fm, command: 'add' }, now);
  }
  for (const r of rules) checkRuleActions(p, fm.actions, r.tableId);
  const actions = shareActions(fm.actions);
  for (const r of rules) {
    r.actions = actions;
    if (fm.newCookie !== null) r.cookie = fm.newCookie;
    r.modified = now;
    if ((fm.flags & RULE_RESET_COUNTS) !== 0) {
      r.packets = 0;
      r.bytes = 0;
    }
  }
  return { added: [], modified: rules, removed: [] };
}

/** Whether an action list outputs to OpenFlow port `port` (OVS ofpacts_output_to_port). */
export function outputsToPort(actions: readonly OfpAction[], port: number): boolean {
  for (const a of actions) {
    if ((a.type === 'output' || a.type === 'enqueue') && a.port === port) return true;
    if (a.type === 'controller' && port === 0xfffd) return true;
    if ((a.type === 'clone' || a.type === 'write_actions') && outputsToPort(a.actions, port)) return true;
  }
  return false;
}

/** Whether an action list outputs to group `group`. */
export function outputsToGroup(actions: readonly OfpAction[], group: number): boolean {
  for (const a of actions) {
    if (a.type === 'group' && a.groupId === group) return true;
    if ((a.type === 'clone' || a.type === 'write_actions') && outputsToGroup(a.actions, group)) return true;
  }
  return false;
}

/** The rules a query selects, table by table, each table highest priority first. */
export function selectRules(p: Pipeline, q: FlowQuery): Rule[] {
  if (q.tableId !== TABLE_ALL && q.tableId >= N_TABLES) throw new OfpError('OFPBRC_BAD_TABLE_ID');
  const match = new FlowMatch(q.match.value, q.match.mask);
  const out: Rule[] = [];
  const tables = q.tableId === TABLE_ALL ? p.tables.map((_, i) => i) : [q.tableId];
  for (const t of tables) {
    const table = p.tables[t];
    if (table === undefined || table.size === 0) continue;
    let rules: readonly Rule[];
    if (q.strict) {
      const r = table.findStrict(match, q.priority);
      rules = r === null ? [] : [r];
    } else {
      rules = table.findLoose(match);
    }
    for (const r of rules) {
      if (q.cookieMask !== 0n && (r.cookie & q.cookieMask) !== (q.cookie & q.cookieMask)) continue;
      if (q.outPort !== OFPP_ANY && !outputsToPort(r.actions, q.outPort)) continue;
      if (q.outGroup !== OFPG_ANY && !outputsToGroup(r.actions, q.outGroup)) continue;
      out.push(r);
    }
  }
  return out;
}

/** A rule as statistics report it at `now`. */
export function ruleView(r: Rule, now: number): RuleView {
  return {
    tableId: r.tableId,
    priority: r.priority,
    // The whole words, built once here (a rule keeps only the words its mask covers).
    match: { value: r.match.value, mask: r.match.mask },
    actions: r.actions,
    cookie: r.cookie,
    idleTimeout: r.idleTimeout,
    hardTimeout: r.hardTimeout,
    importance: r.importance,
    flags: r.flags,
    durationMs: Math.max(0, now - r.created),
    idleAgeMs: Math.max(0, now - r.used),
    hardAgeMs: Math.max(0, now - r.modified),
    packets: r.packets,
    bytes: r.bytes,
  };
}

/** Removes the rules whose idle or hard timeout passed by `now`. */
export function expireRules(p: Pipeline, now: number): Removed[] {
  const out: Removed[] = [];
  for (const table of p.tables) {
    if (table.size === 0) continue;
    for (const r of table.rules()) {
      if (r.idleTimeout === 0 && r.hardTimeout === 0) continue;
      const why = r.expiry(now);
      if (why === null) continue;
      table.remove(r);
      out.push({ rule: r, reason: why });
    }
  }
  return out;
}

/** dump-tables statistics: every table OVS reports (0..253; 254 is OVS's hidden internal table). */
export function tableViews(p: Pipeline): TableView[] {
  const out: TableView[] = [];
  for (let t = 0; t < N_TABLES - 1; t++) {
    const table = p.tables[t];
    out.push({
      tableId: t,
      name: table?.name ?? null,
      active: table?.size ?? 0,
      lookups: table?.lookups ?? 0,
      matched: table?.matched ?? 0,
    });
  }
  return out;
}

/** Applies a group_mod; returns the rules removed because they used a deleted group. */
export function applyGroupMod(p: Pipeline, gm: GroupModRequest, now: number): Removed[] {
  if (gm.command !== 'delete' && gm.groupId > OFPG_MAX) throw new OfpError('OFPGMFC_INVALID_GROUP');
  for (const b of gm.buckets) checkRuleActions(p, b.actions, 0);
  if (gm.type === 'indirect' && gm.command !== 'delete' && gm.buckets.length > 1) {
    throw new OfpError('OFPGMFC_INVALID_GROUP');
  }
  const buckets = (): Group['buckets'] =>
    gm.buckets.map((b, i) => ({
      id: i,
      weight: gm.type === 'select' ? b.weight : b.weight,
      watchPort: b.watchPort,
      watchGroup: b.watchGroup,
      actions: b.actions,
      packets: 0,
      bytes: 0,
    }));
  switch (gm.command) {
    case 'add':
      if (p.groups.has(gm.groupId)) throw new OfpError('OFPGMFC_GROUP_EXISTS');
      p.groups.set(gm.groupId, {
        id: gm.groupId,
        type: gm.type,
        buckets: buckets(),
        created: now,
        packets: 0,
        bytes: 0,
      });
      return [];
    case 'modify': {
      const g = p.groups.get(gm.groupId);
      if (g === undefined) throw new OfpError('OFPGMFC_UNKNOWN_GROUP');
      g.type = gm.type;
      g.buckets = buckets();
      return [];
    }
    case 'delete': {
      const ids =
        gm.groupId === OFPG_ALL ? [...p.groups.keys()] : p.groups.has(gm.groupId) ? [gm.groupId] : [];
      const removed: Removed[] = [];
      for (const id of ids) {
        p.groups.delete(id);
        // Rules that output to a deleted group go with it (OpenFlow 1.3 §6.5).
        for (const table of p.tables) {
          for (const r of [...table.rules()]) {
            if (outputsToGroup(r.actions, id)) {
              table.remove(r);
              removed.push({ rule: r, reason: 'group_delete' });
            }
          }
        }
      }
      return removed;
    }
  }
}

/** Groups as group-desc / group-stats report them. */
export function groupViews(p: Pipeline, groupId: number | null, now: number): GroupView[] {
  const ids = [...p.groups.keys()].sort((a, b) => a - b);
  const out: GroupView[] = [];
  for (const id of ids) {
    if (groupId !== null && groupId !== OFPG_ALL && id !== groupId) continue;
    const g = p.groups.get(id) as Group;
    let refs = 0;
    for (const r of p.allRules()) if (outputsToGroup(r.actions, id)) refs++;
    out.push({
      groupId: id,
      type: g.type,
      buckets: g.buckets.map((b) => ({
        weight: b.weight,
        watchPort: b.watchPort,
        watchGroup: b.watchGroup,
        actions: b.actions,
        packets: b.packets,
        bytes: b.bytes,
      })),
      durationMs: Math.max(0, now - g.created),
      packets: g.packets,
      bytes: g.bytes,
      refCount: refs,
    });
  }
  return out;
}

/** A flow_mod from flow text parsed by src/openflow/flow-text.ts (ovs-ofctl's syntax). */
export function flowModFromParsed(p: ParsedFlow): FlowModRequest {
  const command: FlowModRequest['command'] =
    p.command === 'filter' ? 'delete' : p.command === 'modify_strict' ? 'modify_strict' : p.command;
  return {
    command,
    tableId: p.tableId,
    priority: p.priority,
    match: p.match,
    actions: p.actions,
    cookie: p.cookie,
    cookieMask: p.cookieMask,
    newCookie: p.newCookie,
    idleTimeout: p.idleTimeout,
    hardTimeout: p.hardTimeout,
    importance: p.importance,
    flags: p.flags,
    outPort: p.outPort,
    outGroup: p.outGroup,
    bufferId: 0xffff_ffff,
  };
}
