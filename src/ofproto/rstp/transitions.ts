// RSTP's Port Role Transitions, Bridge Detection and Port Protocol Migration machines (802.1D-2004 17.29,
// 17.23, 17.24): how a port's role becomes learn/forward, the proposal/agreement sync, edge and STP mode.
import { fwdDelay, helloTime, ms, type RstpBridge, type RstpPort } from './port.js';
import { RSTP_MIGRATE_TIME } from './priority.js';

function otherPorts(bridge: RstpBridge, p: RstpPort): RstpPort[] {
  return [...bridge.ports.values()].filter((q) => q !== p);
}

/** allSynced (17.20.3): roles settled, and every port but this one (or but the root port) synced. */
function allSynced(bridge: RstpBridge, p: RstpPort): boolean {
  for (const q of bridge.ports.values()) {
    if (q.role !== q.selectedRole || q.updtInfo) return false;
    const exempt = p.role === 'designated' ? q === p : q.role === 'root';
    if (!exempt && !q.synced) return false;
  }
  return true;
}

/** reRooted (17.20.10): no other port is still a recent root port. */
function reRooted(bridge: RstpBridge, p: RstpPort): boolean {
  return otherPorts(bridge, p).every((q) => q.rrWhile === 0);
}

function setSyncTree(bridge: RstpBridge): void {
  for (const q of bridge.ports.values()) q.sync = true;
}

function setReRootTree(bridge: RstpBridge): void {
  for (const q of bridge.ports.values()) q.reRoot = true;
}

/** Entry actions when a port takes its newly selected role (DISABLE_PORT, ROOT_PORT, BLOCK_PORT …). */
function enterRole(p: RstpPort): void {
  p.role = p.selectedRole;
  if (p.role === 'root') p.rrWhile = fwdDelay(p);
  if (p.role === 'designated' || p.role === 'root') return;
  p.learn = p.forward = false;
  p.fdWhile = p.role === 'disabled' ? ms(p.designatedTimes.maxAge) : fwdDelay(p);
  p.synced = true;
  p.rrWhile = 0;
  p.sync = p.reRoot = false;
}

/** ROOT_PROPOSED / ALTERNATE_PROPOSED and ROOT_AGREED / ALTERNATE_AGREED. */
function answerProposal(bridge: RstpBridge, p: RstpPort): boolean {
  if (p.proposed && !p.agree) {
    setSyncTree(bridge);
    p.proposed = false;
    return true;
  }
  if ((allSynced(bridge, p) && !p.agree) || (p.proposed && p.agree)) {
    p.proposed = false;
    p.sync = false;
    p.agree = true;
    p.newInfo = true;
    return true;
  }
  return false;
}

function rootPortStep(bridge: RstpBridge, p: RstpPort): boolean {
  p.rrWhile = fwdDelay(p);
  if (answerProposal(bridge, p)) return true;
  if (!p.forward && !p.reRoot) {
    setReRootTree(bridge);
    return true;
  }
  if (p.reRoot && p.forward) {
    p.reRoot = false;
    return true;
  }
  const mayGo = p.fdWhile === 0 || (reRooted(bridge, p) && p.rbWhile === 0 && bridge.rstpVersion);
  if (!mayGo || p.forward) return false;
  if (!p.learn) p.learn = true;
  else p.forward = true;
  p.fdWhile = p.forward ? 0 : fwdDelay(p);
  return true;
}

function designatedSyncStep(p: RstpPort): boolean {
  if (p.disputed || (p.sync && !p.synced) || (p.reRoot && p.rrWhile !== 0)) {
    if (p.operEdge || !(p.learn || p.forward)) return false;
    p.learn = p.forward = p.disputed = false;
    p.fdWhile = fwdDelay(p);
    return true;
  }
  return false;
}

function designatedPortStep(p: RstpPort): boolean {
  if (!p.forward && !p.agreed && !p.proposing && !p.operEdge) {
    p.proposing = true;
    p.edgeDelayWhile = p.p2p ? ms(RSTP_MIGRATE_TIME) : ms(p.designatedTimes.maxAge);
    p.newInfo = true;
    return true;
  }
  const idle = !p.learn && !p.forward;
  if ((idle || p.agreed || p.operEdge) && !p.synced) {
    p.rrWhile = 0;
    p.synced = true;
    p.sync = false;
    return true;
  }
  if (p.sync && p.synced) {
    p.rrWhile = 0;
    p.sync = false;
    return true;
  }
  if (p.rrWhile === 0 && p.reRoot) {
    p.reRoot = false;
    return true;
  }
  if (designatedSyncStep(p)) return true;
  return designatedForwardStep(p);
}

function designatedForwardStep(p: RstpPort): boolean {
  const ready = (p.fdWhile === 0 || p.agreed || p.operEdge) && (p.rrWhile === 0 || !p.reRoot) && !p.sync;
  if (!ready || p.forward) return false;
  if (!p.learn) {
    p.learn = true;
    p.fdWhile = fwdDelay(p);
  } else {
    p.forward = true;
    p.agreed = p.sendRstp;
    p.fdWhile = 0;
  }
  return true;
}

function alternatePortStep(bridge: RstpBridge, p: RstpPort): boolean {
  if (answerProposal(bridge, p)) return true;
  if (p.sync || p.reRoot || !p.synced) {
    p.synced = true;
    p.sync = p.reRoot = false;
    p.rrWhile = 0;
    return true;
  }
  p.fdWhile = fwdDelay(p);
  if (p.role === 'backup') p.rbWhile = 2 * helloTime(p);
  return false;
}

/** One step of the Port Role Transitions machine (17.29); true if anything changed. */
export function roleTransition(bridge: RstpBridge, p: RstpPort): boolean {
  if (p.role !== p.selectedRole) {
    enterRole(p);
    return true;
  }
  switch (p.role) {
    case 'root':
      return rootPortStep(bridge, p);
    case 'designated':
      return designatedPortStep(p);
    case 'alternate':
    case 'backup':
      return alternatePortStep(bridge, p);
    case 'disabled':
      return false;
  }
}

/** Bridge Detection (17.23): an auto-edge designated port that proposes and hears nothing becomes edge. */
export function detectEdge(p: RstpPort): boolean {
  if (!p.enabled) {
    const changed = p.operEdge !== p.adminEdge;
    p.operEdge = p.adminEdge;
    return changed;
  }
  if (!p.operEdge && p.autoEdge && p.edgeDelayWhile === 0 && p.sendRstp && p.proposing) {
    p.operEdge = true;
    return true;
  }
  return false;
}

function enterChecking(bridge: RstpBridge, p: RstpPort): void {
  p.migration = 'checking';
  p.mcheck = false;
  p.sendRstp = bridge.rstpVersion;
  p.mdelayWhile = ms(RSTP_MIGRATE_TIME);
}

function enterSensing(p: RstpPort): void {
  p.migration = 'sensing';
  p.rcvdRstp = p.rcvdStp = false;
}

/** Port Protocol Migration (17.24): falls back to STP BPDUs when a legacy bridge speaks, and back. */
export function migrate(bridge: RstpBridge, p: RstpPort): boolean {
  if (!p.enabled) {
    if (p.migration === 'checking' && p.sendRstp === bridge.rstpVersion) return false;
    enterChecking(bridge, p);
    return true;
  }
  const mdelayDone = p.mdelayWhile === 0;
  if (p.migration === 'checking' && mdelayDone) enterSensing(p);
  else if (p.migration === 'selecting-stp' && (mdelayDone || p.mcheck)) enterSensing(p);
  else if (p.migration !== 'sensing') return false;
  else if (p.mcheck || (bridge.rstpVersion && !p.sendRstp && p.rcvdRstp)) enterChecking(bridge, p);
  else if (p.sendRstp && p.rcvdStp) {
    p.migration = 'selecting-stp';
    p.sendRstp = false;
    p.mdelayWhile = ms(RSTP_MIGRATE_TIME);
  } else return false;
  return true;
}
