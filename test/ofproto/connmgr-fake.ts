// An in-memory OpenFlowSwitch for the connection manager's tests: rules in an array, a fixed port list,
// groups in a map, packet-outs recorded (and an output to CONTROLLER turned into a packet-in, as a switch
// would), and every call logged.

import type {
  FlowModRequest,
  FlowQuery,
  GroupModRequest,
  GroupView,
  OpenFlowEvents,
  OpenFlowSwitch,
  PacketInEvent,
  RuleView,
  TableView,
} from '../../src/ofproto/of-switch.js';
import type { OfpAction } from '../../src/openflow/action-text.js';
import { catchAllMatch, sameMatch } from '../../src/openflow/match-text.js';
import type { PhyPort, PortStats } from '../../src/openflow/messages.js';
import { OFPP_CONTROLLER } from '../../src/openflow/messages-actions.js';
import { OfpError } from '../../src/openflow/wire-errors.js';

export function port(portNo: number, name: string, mac: string, state = 4): PhyPort {
  return {
    portNo,
    hwAddr: mac,
    name,
    config: 0,
    state,
    curr: 0x82c,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 10000000,
    maxSpeed: 0,
  };
}

export const PORTS: PhyPort[] = [
  port(1, 'p1', 'aa:55:aa:55:00:01'),
  port(2, 'p2', 'aa:55:aa:55:00:02'),
  { ...port(0xfffe, 'br0', '02:00:00:00:12:34', 0), curr: 0, currSpeed: 0, config: 1 },
];

export class FakeSwitch implements OpenFlowSwitch {
  rules: RuleView[] = [];
  groupMap = new Map<number, GroupView>();
  packetOuts: { inPort: number; actions: readonly OfpAction[]; frame: Uint8Array }[] = [];
  controllerStates: [string, boolean][] = [];
  portMods: [number, number, number][] = [];
  sink: OpenFlowEvents | null = null;
  bridges = new Set(['br0', 'br1']);

  hasBridge(bridge: string): boolean {
    return this.bridges.has(bridge);
  }
  datapathId(): bigint {
    return 0x1234n;
  }
  ports(): PhyPort[] {
    return PORTS;
  }
  portStats(_bridge: string, p: number | null): PortStats[] {
    return PORTS.filter((x) => p === null || x.portNo === p).map((x) => ({
      portNo: x.portNo,
      rxPackets: BigInt(10 + (x.portNo & 0xff)),
      txPackets: BigInt(20 + (x.portNo & 0xff)),
      rxBytes: 1000n,
      txBytes: 2000n,
      rxDropped: 0n,
      txDropped: 0n,
      rxErrors: 0n,
      txErrors: 0n,
      rxFrameErr: 0n,
      rxOverErr: 0n,
      rxCrcErr: 0n,
      collisions: 0n,
      durationSec: 5,
      durationNsec: 0,
    }));
  }
  portMod(_bridge: string, p: number, _hw: string, config: number, mask: number): void {
    if (!PORTS.some((x) => x.portNo === p)) throw new OfpError('OFPPMFC_BAD_PORT', `no port ${p}`);
    this.portMods.push([p, config, mask]);
  }
  flowMod(_bridge: string, fm: FlowModRequest): void {
    const table = fm.tableId === 255 ? 0 : fm.tableId;
    const selects = (r: RuleView) =>
      (fm.tableId === 255 || r.tableId === fm.tableId) &&
      (fm.cookieMask === 0n || (r.cookie & fm.cookieMask) === (fm.cookie & fm.cookieMask)) &&
      (fm.command.endsWith('strict') ? sameMatch(r.match, fm.match) && r.priority === fm.priority : true);
    switch (fm.command) {
      case 'add':
        this.rules = this.rules.filter(
          (r) => !(r.tableId === table && r.priority === fm.priority && sameMatch(r.match, fm.match)),
        );
        this.rules.push({
          tableId: table,
          priority: fm.priority,
          match: { value: fm.match.value.slice(), mask: fm.match.mask.slice() },
          actions: fm.actions,
          cookie: fm.newCookie ?? 0n,
          idleTimeout: fm.idleTimeout,
          hardTimeout: fm.hardTimeout,
          importance: fm.importance,
          flags: fm.flags,
          durationMs: 1500,
          idleAgeMs: 1000,
          hardAgeMs: 1000,
          packets: 7,
          bytes: 700,
        });
        return;
      case 'modify':
      case 'modify_strict':
        this.rules = this.rules.map((r) => (selects(r) ? { ...r, actions: fm.actions } : r));
        return;
      default: {
        const gone = this.rules.filter(selects);
        this.rules = this.rules.filter((r) => !selects(r));
        for (const rule of gone) this.sink?.flowRemoved({ bridge: 'br0', rule, reason: 'delete' });
      }
    }
  }
  flowStats(_bridge: string, q: FlowQuery): RuleView[] {
    return this.rules.filter((r) => q.tableId === 255 || r.tableId === q.tableId);
  }
  tableStats(): TableView[] {
    return [{ tableId: 0, name: null, active: this.rules.length, lookups: 5, matched: 3 }];
  }
  groupMod(_bridge: string, gm: GroupModRequest): void {
    if (gm.command === 'delete') {
      if (gm.groupId === 0xfffffffc) this.groupMap.clear();
      else this.groupMap.delete(gm.groupId);
      return;
    }
    if (gm.command === 'add' && this.groupMap.has(gm.groupId))
      throw new OfpError('OFPGMFC_GROUP_EXISTS', `group ${gm.groupId} exists`);
    this.groupMap.set(gm.groupId, {
      groupId: gm.groupId,
      type: gm.type,
      buckets: gm.buckets.map((b) => ({ ...b, packets: 1, bytes: 64 })),
      durationMs: 2000,
      packets: 3,
      bytes: 192,
      refCount: 0,
    });
  }
  groups(_bridge: string, id: number | null): GroupView[] {
    return [...this.groupMap.values()].filter((g) => id === null || g.groupId === id);
  }
  packetOut(bridge: string, inPort: number, actions: readonly OfpAction[], frame: Uint8Array): void {
    this.packetOuts.push({ inPort, actions, frame });
    for (const a of actions) {
      const toController = (a.type === 'output' && a.port === OFPP_CONTROLLER) || a.type === 'controller';
      if (!toController) continue;
      this.sink?.packetIn({
        bridge,
        reason: a.type === 'controller' ? a.reason : 'packet_out',
        tableId: 0,
        cookie: 0xffffffffffffffffn,
        frame,
        totalLen: frame.length,
        inPort,
        metadata: catchAllMatch(),
        controllerId: a.type === 'controller' ? a.controllerId : 0,
        userdata: null,
        maxLen: 65535,
      });
    }
  }
  setControllerState(bridge: string, connected: boolean): void {
    this.controllerStates.push([bridge, connected]);
  }
  setEventSink(sink: OpenFlowEvents | null): void {
    this.sink = sink;
  }

  /** A packet-in as the switch would raise it. */
  emitPacketIn(e: Partial<PacketInEvent> & { frame: Uint8Array }): void {
    this.sink?.packetIn({
      bridge: 'br0',
      reason: 'action',
      tableId: 0,
      cookie: 0n,
      totalLen: e.frame.length,
      inPort: 1,
      metadata: catchAllMatch(),
      controllerId: 0,
      userdata: null,
      maxLen: 65535,
      ...e,
    });
  }
}
