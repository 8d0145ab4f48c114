// Nicira flow monitors on the switch side (Open vSwitch's ofmonitor_* in ofproto/connmgr.c and
// handle_flow_monitor_request in ofproto.c): a connection registers monitors with NXST_FLOW_MONITOR (id,
// flags, table, out_port, match), gets the flows they cover at once (with NXFMF_INITIAL) in the reply, and
// from then on an NXST_FLOW_MONITOR reply with xid 0 after every change to matching flows, whichever
// connection made it: ADDED / MODIFIED / DELETED updates, or — for the connection's own changes, unless it
// asked for NXFMF_OWN — one ABBREV update carrying the xid of its request. NXT_FLOW_MONITOR_CANCEL removes
// a monitor. OVS pauses a connection's updates when 128 KiB back up (NXT_FLOW_MONITOR_PAUSED/RESUMED);
// tsovs does not (the socket buffers instead).
import type { OfpAction } from '../openflow/action-text.js';
import type { MatchWords } from '../openflow/match-text.js';
import type { OfMessage } from '../openflow/messages.js';
import type { OfAction } from '../openflow/messages-actions.js';
import {
  type FlowUpdate,
  NXFMF_ACTIONS,
  NXFMF_ADD,
  NXFMF_DELETE,
  NXFMF_INITIAL,
  NXFMF_MODIFY,
  NXFMF_OWN,
  type NxFlowMonitorRequestMsg,
} from '../openflow/messages-monitor.js';
import { OfpError } from '../openflow/wire-errors.js';
import type { WireConvert } from './connmgr-convert.js';
import { multipart, N_VISIBLE_TABLES } from './connmgr-handle.js';
import type { Ofconn } from './connmgr-ofconn.js';
import type { FlowUpdateEvent, OpenFlowSwitch, RuleView } from './of-switch.js';

/** One registered monitor (OVS struct ofmonitor). */
interface Monitor {
  readonly id: number;
  readonly flags: number;
  readonly outPort: number;
  readonly tableId: number;
  readonly match: MatchWords;
}

const OFPP_ANY = 0xffff;
const OFPP_CONTROLLER = 0xfffd;
const TABLE_ALL = 0xff;

/** The request flag an update event needs. */
const EVENT_FLAG: Record<FlowUpdateEvent['event'], number> = {
  added: NXFMF_ADD,
  modified: NXFMF_MODIFY,
  deleted: NXFMF_DELETE,
};

const REMOVED_REASON: Record<NonNullable<FlowUpdateEvent['reason']>, number> = {
  idle: 0,
  hard: 1,
  delete: 2,
  group_delete: 3,
  meter_delete: 4,
  eviction: 5,
};

/** Whether actions output to `port` (OVS ofpacts_output_to_port; OFPP_ANY: always). */
function outputsTo(actions: readonly OfpAction[], port: number): boolean {
  if (port === OFPP_ANY) return true;
  for (const a of actions) {
    if ((a.type === 'output' || a.type === 'enqueue') && a.port === port) return true;
    if (a.type === 'controller' && port === OFPP_CONTROLLER) return true;
    if ((a.type === 'clone' || a.type === 'write_actions') && outputsTo(a.actions, port)) return true;
  }
  return false;
}

/** OVS cls_rule_is_loose_match(): the rule matches at least what the monitor's match asks for. */
export function looseMatch(rule: MatchWords, criteria: MatchWords): boolean {
  for (let i = 0; i < criteria.mask.length; i++) {
    const m = criteria.mask[i];
    if (m === 0) continue;
    if ((rule.mask[i] & m) >>> 0 !== m >>> 0) return false;
    if (((rule.value[i] ^ criteria.value[i]) & m) !== 0) return false;
  }
  return true;
}

/** The flow monitors of every connection of one connection manager. */
export class FlowMonitors {
  private readonly byConn = new Map<Ofconn, Map<number, Monitor>>();

  constructor(
    private readonly sw: OpenFlowSwitch,
    private readonly convert: WireConvert,
    private readonly warn: (msg: string) => void,
  ) {}

  /** Whether some connection of `bridge` has a monitor. */
  watches(bridge: string): boolean {
    for (const [oc, monitors] of this.byConn) if (oc.bridge === bridge && monitors.size > 0) return true;
    return false;
  }

  /** Forgets a connection's monitors (it closed). */
  forget(oc: Ofconn): void {
    this.byConn.delete(oc);
  }

  /**
   * NXST_FLOW_MONITOR request: adds its monitors (all or none: a bad one or an id in use fails the request
   * with its error) and replies with the flows those with NXFMF_INITIAL cover.
   */
  request(oc: Ofconn, msg: OfMessage & NxFlowMonitorRequestMsg): void {
    const mine = this.byConn.get(oc) ?? new Map<number, Monitor>();
    const added: Monitor[] = [];
    for (const r of msg.monitors) {
      if (r.tableId !== TABLE_ALL && r.tableId >= N_VISIBLE_TABLES + 1) {
        throw new OfpError('OFPBRC_BAD_TABLE_ID', `no table ${r.tableId}`);
      }
      if (mine.has(r.id) || added.some((m) => m.id === r.id)) {
        throw new OfpError('OFPMOFC_MONITOR_EXISTS', `monitor ${r.id} exists`);
      }
      const match = this.convert.matchFromWire(r.match, { strict: true });
      added.push({ id: r.id, flags: r.flags, outPort: r.outPort, tableId: r.tableId, match });
    }
    for (const m of added) mine.set(m.id, m);
    this.byConn.set(oc, mine);
    const updates = this.initialUpdates(oc, added);
    multipart(oc, msg, updates, (part, flags) => ({ type: 'nx_flow_monitor_reply', flags, updates: part }));
  }

  /** NXT_FLOW_MONITOR_CANCEL. */
  cancel(oc: Ofconn, id: number): void {
    const mine = this.byConn.get(oc);
    if (!mine?.delete(id)) throw new OfpError('OFPMOFC_UNKNOWN_MONITOR', `no monitor ${id}`);
  }

  /** The flows the new monitors cover, each once (OVS ofproto_collect_ofmonitor_initial_rules). */
  private initialUpdates(oc: Ofconn, monitors: readonly Monitor[]): FlowUpdate[] {
    const seen = new Map<string, { rule: RuleView; flags: number }>();
    for (const m of monitors) {
      if ((m.flags & NXFMF_INITIAL) === 0) continue;
      const rules = this.sw.flowStats(oc.bridge, {
        tableId: m.tableId,
        match: m.match,
        strict: false,
        priority: 0,
        cookie: 0n,
        cookieMask: 0n,
        outPort: m.outPort,
        outGroup: 0xffffffff,
      });
      for (const rule of rules) {
        const key = ruleKey(rule);
        const entry = seen.get(key) ?? { rule, flags: 0 };
        entry.flags |= m.flags & NXFMF_ACTIONS;
        seen.set(key, entry);
      }
    }
    return [...seen.values()].map(({ rule, flags }) => this.fullUpdate(oc, 'added', rule, flags, 0));
  }

  /**
   * Sends the updates `changes` (one operation's) to each of `conns` whose monitors cover them. `source`
   * made the change with request `sourceXid` (null for the switch's own changes: expiry, learning).
   */
  report(
    conns: Iterable<Ofconn>,
    changes: readonly FlowUpdateEvent[],
    source: Ofconn | null,
    sourceXid: number,
  ): void {
    for (const oc of conns) {
      const monitors = this.byConn.get(oc);
      if (monitors === undefined || monitors.size === 0 || oc.conn.isClosed) continue;
      const out: FlowUpdate[] = [];
      let abbreviated = false;
      for (const c of changes) {
        if (c.rule.tableId >= N_VISIBLE_TABLES) continue;
        let flags = 0;
        for (const m of monitors.values()) if (covers(m, c)) flags |= m.flags;
        if (flags === 0) continue;
        if (flags & NXFMF_OWN || oc !== source) {
          const reason = c.event === 'deleted' ? REMOVED_REASON[c.reason ?? 'delete'] : 0;
          out.push(this.fullUpdate(oc, c.event, c.rule, flags, reason));
        } else if (!abbreviated) {
          out.push({ event: 'abbrev', xid: sourceXid });
          abbreviated = true;
        }
      }
      if (out.length === 0) continue;
      const update: OfMessage = {
        type: 'nx_flow_monitor_reply',
        flags: 0,
        updates: [],
        version: oc.version,
        xid: 0,
      };
      multipart(oc, update, out, (part, flags) => ({ type: 'nx_flow_monitor_reply', flags, updates: part }));
    }
  }

  /** A full update of `rule` for `oc` (actions only when a monitor asked for them). */
  private fullUpdate(
    oc: Ofconn,
    event: 'added' | 'modified' | 'deleted',
    rule: RuleView,
    flags: number,
    reason: number,
  ): FlowUpdate {
    let actions: OfAction[] = [];
    if (flags & NXFMF_ACTIONS) {
      try {
        const insts = this.convert.instructionsToWire(rule.actions, oc.version, { match: rule.match });
        actions = insts.flatMap((i) => (i.type === 'apply_actions' ? i.actions : []));
      } catch (err) {
        this.warn(`${oc.bridge}: flow monitor update without actions: ${(err as Error).message}`);
      }
    }
    return {
      event,
      reason,
      priority: rule.priority,
      idleTimeout: rule.idleTimeout,
      hardTimeout: rule.hardTimeout,
      tableId: rule.tableId,
      cookie: rule.cookie,
      match: this.convert.matchToWire(rule.match, 0),
      actions,
    };
  }
}

/** Whether monitor `m` wants to hear of change `c` (OVS ofmonitor_report's test). */
function covers(m: Monitor, c: FlowUpdateEvent): boolean {
  if ((m.flags & EVENT_FLAG[c.event]) === 0) return false;
  if (m.tableId !== TABLE_ALL && m.tableId !== c.rule.tableId) return false;
  const out =
    outputsTo(c.rule.actions, m.outPort) ||
    (c.oldActions !== undefined && outputsTo(c.oldActions, m.outPort));
  return out && looseMatch(c.rule.match, m.match);
}

function ruleKey(r: RuleView): string {
  return `${r.tableId}/${r.priority}/${r.match.value.join(',')}/${r.match.mask.join(',')}`;
}
