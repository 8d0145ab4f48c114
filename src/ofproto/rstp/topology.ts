// RSTP's Topology Change and Port Transmit machines (802.1D-2004 17.25-17.26): TC detection, propagation
// and the MAC-table flushes it asks for, and which BPDU each port sends when.
import type { Bpdu, BpduBody, BpduRole } from './bpdu.js';
import { helloTime, ms, type RstpBridge, type RstpPort } from './port.js';

function isActiveRole(p: RstpPort): boolean {
  return p.role === 'root' || p.role === 'designated';
}

/** newTcWhile (17.21.7): starts the TC timer if it is not running. */
function newTcWhile(bridge: RstpBridge, p: RstpPort): void {
  if (p.tcWhile !== 0) return;
  if (p.sendRstp) {
    p.tcWhile = helloTime(p) + 1000;
    p.newInfo = true;
  } else {
    p.tcWhile = ms(bridge.rootTimes.maxAge + bridge.rootTimes.forwardDelay);
  }
}

function setTcPropTree(bridge: RstpBridge, p: RstpPort): void {
  for (const q of bridge.ports.values()) if (q !== p) q.tcProp = true;
}

function flush(bridge: RstpBridge, p: RstpPort): void {
  bridge.flushFdb(p.portNo);
}

function anyTcInput(p: RstpPort): boolean {
  return p.rcvdTc || p.rcvdTcn || p.rcvdTcAck || p.tcProp;
}

function enterInactive(bridge: RstpBridge, p: RstpPort): void {
  p.tcState = 'inactive';
  flush(bridge, p);
  p.tcWhile = 0;
  p.tcAck = false;
}

function enterLearning(p: RstpPort): void {
  p.tcState = 'learning';
  p.rcvdTc = p.rcvdTcn = p.rcvdTcAck = p.tcProp = false;
}

function learningStep(bridge: RstpBridge, p: RstpPort): boolean {
  if (isActiveRole(p) && p.forward && !p.operEdge) {
    newTcWhile(bridge, p);
    setTcPropTree(bridge, p);
    p.tcState = 'active';
    return true;
  }
  if (!isActiveRole(p) && !p.learn && !anyTcInput(p)) {
    enterInactive(bridge, p);
    return true;
  }
  if (!anyTcInput(p)) return false;
  enterLearning(p);
  return true;
}

function notifiedTc(bridge: RstpBridge, p: RstpPort): void {
  p.rcvdTcn = p.rcvdTc = false;
  if (p.role === 'designated') p.tcAck = true;
  setTcPropTree(bridge, p);
}

function activeStep(bridge: RstpBridge, p: RstpPort): boolean {
  if (!isActiveRole(p) || p.operEdge) enterLearning(p);
  else if (p.rcvdTcn) {
    newTcWhile(bridge, p);
    notifiedTc(bridge, p);
  } else if (p.rcvdTc) notifiedTc(bridge, p);
  else if (p.tcProp && !p.operEdge) {
    newTcWhile(bridge, p);
    flush(bridge, p);
    p.tcProp = false;
  } else if (p.rcvdTcAck) {
    p.tcWhile = 0;
    p.rcvdTcAck = false;
  } else return false;
  return true;
}

/** One step of the Topology Change machine (17.25); true if anything changed. */
export function topologyChange(bridge: RstpBridge, p: RstpPort): boolean {
  switch (p.tcState) {
    case 'inactive':
      if (!p.learn) return false;
      enterLearning(p);
      return true;
    case 'learning':
      return learningStep(bridge, p);
    case 'active':
      return activeStep(bridge, p);
  }
}

function roleCode(p: RstpPort): BpduRole {
  if (p.role === 'root') return 'root';
  if (p.role === 'designated') return 'designated';
  return p.role === 'disabled' ? 'unknown' : 'alternate-backup';
}

function body(p: RstpPort): BpduBody {
  const v = p.designatedPriority;
  const t = p.designatedTimes;
  return {
    rootId: v.rootId,
    rootPathCost: v.rootPathCost,
    bridgeId: v.designatedBridgeId,
    portId: v.designatedPortId,
    ...t,
  };
}

/** The BPDU a port would send now (17.21.19-21), or undefined if it sends none in its role and mode. */
function bpduFor(p: RstpPort): Bpdu | undefined {
  const tc = p.tcWhile !== 0;
  if (p.sendRstp) {
    const flags = { tc, proposal: p.proposing, role: roleCode(p), agreement: p.agree, tca: false };
    return { type: 'rst', ...body(p), ...flags, learning: p.learn, forwarding: p.forward };
  }
  if (p.role === 'designated') {
    const tca = p.tcAck;
    p.tcAck = false;
    return { type: 'config', ...body(p), tc, tca };
  }
  return p.role === 'root' && tc ? { type: 'tcn' } : undefined;
}

/** Port Transmit (17.26): periodic hellos and new information, within the transmit hold count. */
export function transmit(bridge: RstpBridge, p: RstpPort): void {
  if (!p.enabled || p.selectedRole !== p.role || p.updtInfo) return;
  if (p.helloWhen === 0) {
    p.newInfo = p.newInfo || p.role === 'designated' || (p.role === 'root' && p.tcWhile !== 0);
    p.helloWhen = helloTime(p);
  }
  if (!p.newInfo || p.txCount >= bridge.transmitHoldCount) return;
  p.newInfo = false;
  const bpdu = bpduFor(p);
  if (!bpdu) return;
  p.txCount++;
  p.txTotal++;
  p.helloWhen = helloTime(p);
  bridge.sendBpdu(p.portNo, bpdu);
}
