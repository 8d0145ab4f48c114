// What an OpenFlow connection manager (src/ofproto/connmgr.ts) needs from the switch, in the text layer's
// terms (matches as flow words, actions as OfpAction): the operations behind flow_mod, group_mod,
// packet_out, port_mod and the statistics requests, and the asynchronous events (packet_in, flow_removed,
// port_status) it relays to controllers. Implemented by Ofproto (src/ofproto/ofproto.ts), one instance per
// vswitchd serving every bridge; the manager speaks the wire protocol and converts (src/openflow/convert.ts).
import type { OfpAction, PacketInReason } from '../openflow/action-text.js';
import type { MatchWords } from '../openflow/match-text.js';
import type { PhyPort, PortStats } from '../openflow/messages.js';
import type { BundleChange } from './bundle-commit.js';
import type { GroupType } from './flow-table.js';

/** OFPFC_* flow-mod commands. */
export type FlowModCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict';

/** A flow_mod, decoded. Ports are 16-bit OpenFlow ports (OFPP_ANY = 0xffff as OFPP_NONE). */
export interface FlowModRequest {
  readonly command: FlowModCommand;
  /** Table; 255 = all tables (delete / modify in OpenFlow 1.1+ and Nicira with table id). */
  readonly tableId: number;
  readonly priority: number;
  readonly match: MatchWords;
  readonly actions: readonly OfpAction[];
  /** Cookie and cookie mask the rules to modify/delete must match (mask 0: any). */
  readonly cookie: bigint;
  readonly cookieMask: bigint;
  /** Cookie the new or modified rule gets; null leaves a modified rule's cookie alone. */
  readonly newCookie: bigint | null;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly importance: number;
  /** RULE_* flags (send_flow_rem, check_overlap, reset_counts, no_pkt_counts, no_byt_counts). */
  readonly flags: number;
  /** delete/modify filters: only rules that output to this port / group (0xffff / 0xffffffff: any). */
  readonly outPort: number;
  readonly outGroup: number;
  /** A buffered packet to run through the new rule (NO_BUFFER = 0xffffffff: none). */
  readonly bufferId: number;
}

/** A flow_stats / aggregate request, decoded. */
export interface FlowQuery {
  readonly tableId: number;
  readonly match: MatchWords;
  /** true: only rules with exactly this match and priority. */
  readonly strict: boolean;
  readonly priority: number;
  readonly cookie: bigint;
  readonly cookieMask: bigint;
  readonly outPort: number;
  readonly outGroup: number;
}

/** One rule as statistics report it. */
export interface RuleView {
  readonly tableId: number;
  readonly priority: number;
  readonly match: MatchWords;
  readonly actions: readonly OfpAction[];
  readonly cookie: bigint;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly importance: number;
  readonly flags: number;
  /** Milliseconds since the rule was added; since its last use; since its last modification. */
  readonly durationMs: number;
  readonly idleAgeMs: number;
  readonly hardAgeMs: number;
  readonly packets: number;
  readonly bytes: number;
}

/** dump-tables statistics of one table. */
export interface TableView {
  readonly tableId: number;
  readonly name: string | null;
  readonly active: number;
  readonly lookups: number;
  readonly matched: number;
}

/** A group_mod, decoded. */
export interface GroupModRequest {
  readonly command: 'add' | 'modify' | 'delete';
  /** OFPG_ALL (0xfffffffc) with delete: every group. */
  readonly groupId: number;
  readonly type: GroupType;
  readonly buckets: readonly {
    readonly weight: number;
    readonly watchPort: number;
    readonly watchGroup: number;
    readonly actions: readonly OfpAction[];
  }[];
}

/** A group as group-desc and group-stats report it. */
export interface GroupView {
  readonly groupId: number;
  readonly type: GroupType;
  readonly buckets: readonly {
    readonly weight: number;
    readonly watchPort: number;
    readonly watchGroup: number;
    readonly actions: readonly OfpAction[];
    readonly packets: number;
    readonly bytes: number;
  }[];
  readonly durationMs: number;
  readonly packets: number;
  readonly bytes: number;
  /** Rules that output to it. */
  readonly refCount: number;
}

/** A packet_in to send to controllers. */
export interface PacketInEvent {
  readonly bridge: string;
  readonly reason: PacketInReason;
  readonly tableId: number;
  /** The rule's cookie; 0xffffffffffffffff (OVS's "no rule") for a packet_out's own actions. */
  readonly cookie: bigint;
  /** The frame (already cut to maxLen by the caller when it asked for that; totalLen is the original). */
  readonly frame: Uint8Array;
  readonly totalLen: number;
  /** The OpenFlow port it came in on (OFPP_NONE / OFPP_CONTROLLER for packet-outs). */
  readonly inPort: number;
  /** Pipeline fields worth reporting (metadata, registers, tunnel): a match over the flow words. */
  readonly metadata: MatchWords;
  /** controller(id=N) / controller(userdata=...) from the action (0 / null when not given). */
  readonly controllerId: number;
  readonly userdata: Uint8Array | null;
  /** Bytes the action asked for (65535: all); the manager honours miss_send_len for table misses. */
  readonly maxLen: number;
  /**
   * A table miss with no table-miss flow (OVS's OFPR_IMPLICIT_MISS): sent, with reason no_match, only to
   * controllers that speak OpenFlow 1.0–1.2, as Open vSwitch does (1.3 requires an explicit table-miss
   * flow).
   */
  readonly implicitMiss?: boolean;
}

/** A rule that left its table for a reason controllers are told about. */
export interface FlowRemovedEvent {
  readonly bridge: string;
  readonly rule: RuleView;
  readonly reason: 'idle' | 'hard' | 'delete' | 'group_delete' | 'meter_delete' | 'eviction';
}

/** A port added, removed or changed. */
export interface PortStatusEvent {
  readonly bridge: string;
  readonly reason: 'add' | 'delete' | 'modify';
  readonly port: PhyPort;
  /**
   * For a modify, the port as controllers saw it before, when known: a connection to which the port looks
   * the same in its version (LIVE does not exist in OpenFlow 1.0) is not told, as in Open vSwitch.
   */
  readonly old?: PhyPort;
}

/** A flow table change, as flow monitors report it (OVS ofmonitor_report). */
export interface FlowUpdateEvent {
  readonly event: 'added' | 'modified' | 'deleted';
  readonly rule: RuleView;
  /** Why a deleted rule went. */
  readonly reason?: FlowRemovedEvent['reason'];
  /** A modified rule's actions before the change, when they changed (out_port filters see either). */
  readonly oldActions?: readonly OfpAction[];
}

/** What the switch tells a connection manager. */
export interface OpenFlowEvents {
  packetIn(e: PacketInEvent): void;
  flowRemoved(e: FlowRemovedEvent): void;
  portStatus(e: PortStatusEvent): void;
  /** Whether anyone watches the bridge's flow tables (the switch skips building updates when not). */
  watchesFlows?(bridge: string): boolean;
  /** The changes one operation (a flow_mod, an expiry pass, a learn action) made to a bridge's tables. */
  flowUpdates?(bridge: string, updates: readonly FlowUpdateEvent[]): void;
}

/** The switch as OpenFlow sees it. Methods throw OfpError (src/openflow/wire-errors.ts) for bad requests. */
export interface OpenFlowSwitch {
  /** Whether the bridge exists. */
  hasBridge(bridge: string): boolean;
  /** The bridge's datapath id (other_config:datapath-id, else derived from its MAC as OVS does). */
  datapathId(bridge: string): bigint;
  /** The bridge's ports, OFPP_LOCAL included, in OpenFlow port order (port numbers in 1.0 numbering). */
  ports(bridge: string): PhyPort[];
  /** Port statistics; `port` null = every port. */
  portStats(bridge: string, port: number | null): PortStats[];
  /** OFPT_PORT_MOD: OFPPC_* config bits under `mask` (port_down, no_flood, no_fwd, no_packet_in …). */
  portMod(bridge: string, port: number, hwAddr: string, config: number, mask: number): void;
  flowMod(bridge: string, fm: FlowModRequest): void;
  flowStats(bridge: string, q: FlowQuery): RuleView[];
  tableStats(bridge: string): TableView[];
  groupMod(bridge: string, gm: GroupModRequest): void;
  /**
   * An OpenFlow bundle's flow and group mods, all or nothing (throws BundleChangeError naming the failing
   * one, having changed nothing). Optional: without it bundles are refused.
   */
  commitBundle?(bridge: string, changes: readonly BundleChange[]): void;
  /** Groups (id null: all), by id. */
  groups(bridge: string, groupId: number | null): GroupView[];
  /** OFPT_PACKET_OUT: runs `actions` on `frame` as if it arrived on `inPort` (OFPP_CONTROLLER/NONE: none). */
  packetOut(bridge: string, inPort: number, actions: readonly OfpAction[], frame: Uint8Array): void;
  /** Whether `fail_mode=secure` (else standalone), and whether any controller is connected — the switch
   *  falls back to NORMAL forwarding in standalone mode while no controller is connected. */
  setControllerState(bridge: string, connected: boolean): void;
  /** Registers the receiver of asynchronous events (one per switch). */
  setEventSink(sink: OpenFlowEvents | null): void;
}
