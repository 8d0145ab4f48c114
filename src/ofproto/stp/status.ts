// What Open vSwitch writes to the database for STP: Bridge.status, Port.status and Port.statistics keys,
// formatted as vswitchd/bridge.c does, computed from an Stp engine (stp.ts).
import type { Stp } from './stp.js';

const MAC_BITS = (1n << 48n) - 1n;

/** A bridge id as OVS prints it (STP_ID_FMT): "8000.5254001234ab". */
export function formatStpId(id: bigint): string {
  const priority = Number(BigInt.asUintN(64, id) >> 48n);
  const mac = id & MAC_BITS;
  return `${priority.toString(16).padStart(4, '0')}.${mac.toString(16).padStart(12, '0')}`;
}

/** A 48-bit MAC held in a bigint as "aa:bb:cc:dd:ee:ff". */
export function formatStpMac(id: bigint): string {
  const hex = (id & MAC_BITS).toString(16).padStart(12, '0');
  return hex.match(/../g)?.join(':') ?? hex;
}

/** Bridge.status keys: stp_bridge_id, stp_designated_root, stp_root_path_cost. */
export function stpBridgeStatus(stp: Stp): Record<string, string> {
  return {
    stp_bridge_id: formatStpId(stp.bridgeId),
    stp_designated_root: formatStpId(stp.designatedRoot),
    stp_root_path_cost: String(stp.rootPathCost),
  };
}

/** Port.status keys: stp_port_id (decimal, as OVS writes it), stp_state, stp_sec_in_state, stp_role. */
export function stpPortStatus(stp: Stp, portNo: number, now = stp.now): Record<string, string> {
  const info = stp.portInfo(portNo, now);
  return {
    stp_port_id: String(info.portId),
    stp_state: info.state,
    stp_sec_in_state: String(info.secondsInState),
    stp_role: info.role,
  };
}

/** Port.statistics keys: stp_tx_count, stp_rx_count, stp_error_count. */
export function stpPortStatistics(stp: Stp, portNo: number): Record<string, number> {
  const info = stp.portInfo(portNo);
  return { stp_tx_count: info.txCount, stp_rx_count: info.rxCount, stp_error_count: info.errorCount };
}
