// The per-port and per-bridge variables of RSTP's state machines (802.1D-2004 17.18-17.19), shared by the
// machine files (info.ts, transitions.ts, topology.ts) and owned by the Rstp class in rstp.ts.
import type { Bpdu } from './bpdu.js';
import { makePortId, type PriorityVector, type RstpTimes } from './priority.js';

/** A port's role in the spanning tree (17.7). */
export type RstpPortRole = 'root' | 'designated' | 'alternate' | 'backup' | 'disabled';

/** A port's forwarding state (17.10); 'disabled' when the port is not enabled. */
export type RstpPortState = 'disabled' | 'discarding' | 'learning' | 'forwarding';

/** Where a port's priority vector came from (17.19.10). */
export type InfoIs = 'disabled' | 'aged' | 'mine' | 'received';

/** States of the Port Protocol Migration machine (17.24). */
export type MigrationState = 'checking' | 'selecting-stp' | 'sensing';

/** States of the Topology Change machine (17.25). */
export type TcState = 'inactive' | 'learning' | 'active';

/** Every variable the machines keep for one port; timers hold the milliseconds left (0 = expired). */
export interface RstpPort {
  portNo: number;
  name: string;
  priority: number;
  portId: number;
  pathCost: number;
  enabled: boolean;
  adminEdge: boolean;
  autoEdge: boolean;
  p2p: boolean;
  operEdge: boolean;
  infoIs: InfoIs;
  portPriority: PriorityVector;
  portTimes: RstpTimes;
  designatedPriority: PriorityVector;
  designatedTimes: RstpTimes;
  role: RstpPortRole;
  selectedRole: RstpPortRole;
  reselect: boolean;
  updtInfo: boolean;
  learn: boolean;
  forward: boolean;
  proposing: boolean;
  proposed: boolean;
  agree: boolean;
  agreed: boolean;
  sync: boolean;
  synced: boolean;
  reRoot: boolean;
  disputed: boolean;
  newInfo: boolean;
  sendRstp: boolean;
  rcvdRstp: boolean;
  rcvdStp: boolean;
  mcheck: boolean;
  migration: MigrationState;
  tcState: TcState;
  rcvdTc: boolean;
  rcvdTcn: boolean;
  rcvdTcAck: boolean;
  tcProp: boolean;
  tcAck: boolean;
  txCount: number;
  fdWhile: number;
  rrWhile: number;
  rbWhile: number;
  tcWhile: number;
  helloWhen: number;
  rcvdInfoWhile: number;
  mdelayWhile: number;
  edgeDelayWhile: number;
  reportedState: RstpPortState;
  txTotal: number;
  rxTotal: number;
  errorCount: number;
  uptime: number;
}

/** What the machines need of the bridge. */
export interface RstpBridge {
  bridgeId: bigint;
  bridgeTimes: RstpTimes;
  rootTimes: RstpTimes;
  rootPriority: PriorityVector;
  rstpVersion: boolean;
  transmitHoldCount: number;
  ports: Map<number, RstpPort>;
  sendBpdu(portNo: number, bpdu: Bpdu): void;
  flushFdb(portNo: number): void;
}

/** Settings a port is created with. */
export interface PortSettings {
  name: string;
  priority: number;
  pathCost: number;
  enabled: boolean;
  adminEdge: boolean;
  autoEdge: boolean;
  p2p: boolean;
}

/** The bridge's own priority vector: it as root, at cost 0 (17.18.3). */
export function bridgePriority(bridgeId: bigint): PriorityVector {
  return {
    rootId: bridgeId,
    rootPathCost: 0,
    designatedBridgeId: bridgeId,
    designatedPortId: 0,
    bridgePortId: 0,
  };
}

/** A new port in its initial (BEGIN) state; `enabled` is applied by the caller. */
export function createPort(bridge: RstpBridge, portNo: number, s: PortSettings): RstpPort {
  const vector = bridgePriority(bridge.bridgeId);
  return {
    portNo,
    ...s,
    enabled: false,
    portId: makePortId(s.priority, portNo),
    operEdge: s.adminEdge,
    infoIs: 'disabled',
    portPriority: { ...vector },
    portTimes: { ...bridge.bridgeTimes },
    designatedPriority: { ...vector },
    designatedTimes: { ...bridge.bridgeTimes },
    role: 'disabled',
    selectedRole: 'disabled',
    reselect: true,
    updtInfo: false,
    learn: false,
    forward: false,
    proposing: false,
    proposed: false,
    agree: false,
    agreed: false,
    sync: false,
    synced: false,
    reRoot: false,
    disputed: false,
    newInfo: false,
    sendRstp: bridge.rstpVersion,
    rcvdRstp: false,
    rcvdStp: false,
    mcheck: false,
    migration: 'checking',
    tcState: 'inactive',
    rcvdTc: false,
    rcvdTcn: false,
    rcvdTcAck: false,
    tcProp: false,
    tcAck: false,
    txCount: 0,
    fdWhile: ms(bridge.bridgeTimes.maxAge),
    rrWhile: 0,
    rbWhile: 0,
    tcWhile: 0,
    helloWhen: 0,
    rcvdInfoWhile: 0,
    mdelayWhile: 0,
    edgeDelayWhile: 0,
    reportedState: 'disabled',
    txTotal: 0,
    rxTotal: 0,
    errorCount: 0,
    uptime: 0,
  };
}

/** The port's current state, derived from learn/forward (software switches instantly, 17.30). */
export function portStateOf(p: RstpPort): RstpPortState {
  if (!p.enabled) return 'disabled';
  if (p.forward) return 'forwarding';
  return p.learn ? 'learning' : 'discarding';
}

/** Milliseconds in a number of seconds. */
export function ms(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** The Forward Delay in force (17.20.6): the root's, as carried in designatedTimes. */
export function fwdDelay(p: RstpPort): number {
  return ms(p.designatedTimes.forwardDelay);
}

/** The Hello Time in force (17.20.8). */
export function helloTime(p: RstpPort): number {
  return ms(p.designatedTimes.helloTime);
}
