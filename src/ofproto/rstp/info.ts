// RSTP's Port Information and Port Role Selection machines (802.1D-2004 17.27-17.28): what a received BPDU
// means for a port's priority vector, ageing of received information, and the spanning tree computation.
import type { Bpdu, ConfigBpdu, RstBpdu } from './bpdu.js';
import { bridgePriority, ms, type RstpBridge, type RstpPort } from './port.js';
import { bridgeMac, comparePriority, type PriorityVector, type RstpTimes, timesEqual } from './priority.js';

/** The classification of a received message against the port's priority (17.21.8). */
type RcvdInfo = 'superior' | 'repeated' | 'inferior-designated' | 'inferior-root-alternate' | 'other';

function messagePriority(p: RstpPort, b: ConfigBpdu | RstBpdu): PriorityVector {
  return {
    rootId: b.rootId,
    rootPathCost: b.rootPathCost,
    designatedBridgeId: b.bridgeId,
    designatedPortId: b.portId,
    bridgePortId: p.portId,
  };
}

function messageTimes(b: ConfigBpdu | RstBpdu): RstpTimes {
  return { messageAge: b.messageAge, maxAge: b.maxAge, helloTime: b.helloTime, forwardDelay: b.forwardDelay };
}

/** Whether the message comes from the same designated bridge and port as the port's current info. */
function sameDesignator(a: PriorityVector, b: PriorityVector): boolean {
  return (
    bridgeMac(a.designatedBridgeId) === bridgeMac(b.designatedBridgeId) &&
    (a.designatedPortId & 0xfff) === (b.designatedPortId & 0xfff)
  );
}

/** The role a message claims: Config BPDUs and RST BPDUs of unknown role count as designated (9.2.9). */
function claimedRole(b: ConfigBpdu | RstBpdu): 'designated' | 'root' | 'alternate-backup' {
  if (b.type === 'config' || b.role === 'unknown') return 'designated';
  return b.role;
}

function classify(p: RstpPort, b: ConfigBpdu | RstBpdu): RcvdInfo {
  const msg = messagePriority(p, b);
  const cmp = comparePriority(msg, p.portPriority);
  if (claimedRole(b) === 'designated') {
    const same = cmp === 0 && timesEqual(messageTimes(b), p.portTimes);
    if (cmp < 0 || (sameDesignator(msg, p.portPriority) && !same)) return 'superior';
    return same ? 'repeated' : 'inferior-designated';
  }
  return cmp >= 0 ? 'inferior-root-alternate' : 'other';
}

function setTcFlags(p: RstpPort, b: Bpdu): void {
  if (b.type === 'tcn') {
    p.rcvdTcn = true;
    return;
  }
  if (b.tc) p.rcvdTc = true;
  if (b.tca) p.rcvdTcAck = true;
}

function recordProposal(p: RstpPort, b: ConfigBpdu | RstBpdu): void {
  if (b.type === 'rst' && b.role === 'designated' && b.proposal) p.proposed = true;
}

function recordAgreement(bridge: RstpBridge, p: RstpPort, b: ConfigBpdu | RstBpdu): void {
  if (bridge.rstpVersion && p.p2p && b.type === 'rst' && b.agreement) {
    p.agreed = true;
    p.proposing = false;
  } else {
    p.agreed = false;
  }
}

function updtRcvdInfoWhile(p: RstpPort): void {
  const t = p.portTimes;
  p.rcvdInfoWhile = t.messageAge + 1 <= t.maxAge ? ms(3 * t.helloTime) : 0;
}

function acceptSuperior(p: RstpPort, b: ConfigBpdu | RstBpdu): void {
  const msg = messagePriority(p, b);
  const betterOrSame = p.infoIs === 'received' && comparePriority(msg, p.portPriority) <= 0;
  p.agreed = false;
  p.proposing = false;
  recordProposal(p, b);
  setTcFlags(p, b);
  p.agree = p.agree && betterOrSame;
  p.portPriority = msg;
  p.portTimes = messageTimes(b);
  updtRcvdInfoWhile(p);
  p.infoIs = 'received';
  p.reselect = true;
}

/** Applies a validated BPDU received on an enabled port (17.27 RECEIVE and what follows it). */
export function receiveInfo(bridge: RstpBridge, p: RstpPort, b: Bpdu): void {
  if (b.type === 'rst') p.rcvdRstp = true;
  else p.rcvdStp = true;
  p.operEdge = false;
  p.edgeDelayWhile = ms(3);
  if (b.type === 'tcn') {
    setTcFlags(p, b);
    return;
  }
  switch (classify(p, b)) {
    case 'superior':
      acceptSuperior(p, b);
      break;
    case 'repeated':
      recordProposal(p, b);
      setTcFlags(p, b);
      updtRcvdInfoWhile(p);
      break;
    case 'inferior-designated':
      if (b.type === 'rst' && b.learning) {
        p.disputed = true;
        p.agreed = false;
      }
      break;
    case 'inferior-root-alternate':
      recordAgreement(bridge, p, b);
      setTcFlags(p, b);
      break;
    case 'other':
      break;
  }
}

/** Marks received information that has timed out as aged (17.27 AGED); true if anything changed. */
export function ageInfo(p: RstpPort): boolean {
  if (p.infoIs !== 'received' || p.rcvdInfoWhile > 0) return false;
  p.infoIs = 'aged';
  p.reselect = true;
  return true;
}

/** The port's information when it is disabled (17.27 DISABLED). */
export function disableInfo(p: RstpPort): void {
  p.proposing = p.proposed = p.agree = p.agreed = false;
  p.rcvdInfoWhile = 0;
  p.infoIs = 'disabled';
  p.reselect = true;
}

/** The best root priority vector over the bridge's own and every port's received one (17.21.25 a-c). */
function chooseRoot(bridge: RstpBridge): RstpPort | undefined {
  let best = bridgePriority(bridge.bridgeId);
  let rootPort: RstpPort | undefined;
  bridge.rootTimes = { ...bridge.bridgeTimes };
  for (const p of bridge.ports.values()) {
    if (p.infoIs !== 'received') continue;
    if (bridgeMac(p.portPriority.designatedBridgeId) === bridgeMac(bridge.bridgeId)) continue;
    const candidate = { ...p.portPriority, rootPathCost: p.portPriority.rootPathCost + p.pathCost };
    if (comparePriority(candidate, best) < 0) {
      best = candidate;
      rootPort = p;
      bridge.rootTimes = { ...p.portTimes, messageAge: p.portTimes.messageAge + 1 };
    }
  }
  bridge.rootPriority = best;
  return rootPort;
}

function setDesignatedVector(bridge: RstpBridge, p: RstpPort): void {
  const root = bridge.rootPriority;
  p.designatedPriority = {
    rootId: root.rootId,
    rootPathCost: root.rootPathCost,
    designatedBridgeId: bridge.bridgeId,
    designatedPortId: p.portId,
    bridgePortId: p.portId,
  };
  p.designatedTimes = { ...bridge.rootTimes, helloTime: bridge.bridgeTimes.helloTime };
}

function selectRole(bridge: RstpBridge, p: RstpPort, rootPort: RstpPort | undefined): void {
  p.updtInfo = false;
  if (p.infoIs === 'disabled') p.selectedRole = 'disabled';
  else if (p.infoIs === 'aged') {
    p.selectedRole = 'designated';
    p.updtInfo = true;
  } else if (p.infoIs === 'mine') {
    p.selectedRole = 'designated';
    const same = comparePriority(p.portPriority, p.designatedPriority) === 0;
    p.updtInfo = !same || !timesEqual(p.portTimes, p.designatedTimes);
  } else if (p === rootPort) p.selectedRole = 'root';
  else if (comparePriority(p.designatedPriority, p.portPriority) > 0) {
    const mine = bridgeMac(p.portPriority.designatedBridgeId) === bridgeMac(bridge.bridgeId);
    p.selectedRole = mine ? 'backup' : 'alternate';
  } else {
    p.selectedRole = 'designated';
    p.updtInfo = true;
  }
}

/** Replaces a port's information with the bridge's designated information (17.27 UPDATE). */
function updateInfo(p: RstpPort): void {
  const betterOrSame = p.infoIs === 'mine' && comparePriority(p.designatedPriority, p.portPriority) <= 0;
  p.proposing = p.proposed = false;
  p.agreed = p.agreed && betterOrSame;
  p.synced = p.synced && p.agreed;
  p.portPriority = { ...p.designatedPriority };
  p.portTimes = { ...p.designatedTimes };
  p.updtInfo = false;
  p.infoIs = 'mine';
  p.newInfo = true;
}

/** Recomputes every port's role if any port asked to (17.28); true if it ran. */
export function selectRoles(bridge: RstpBridge): boolean {
  const ports = [...bridge.ports.values()];
  if (!ports.some((p) => p.reselect)) return false;
  for (const p of ports) p.reselect = false;
  const rootPort = chooseRoot(bridge);
  for (const p of ports) setDesignatedVector(bridge, p);
  for (const p of ports) selectRole(bridge, p, rootPort);
  for (const p of ports) if (p.updtInfo) updateInfo(p);
  return true;
}
