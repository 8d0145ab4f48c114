// RSTP's value types (802.1D-2004 17.5-17.6): bridge and port identifiers, priority vectors and their
// ordering, timer sets, default path costs, and the text forms Open vSwitch prints for identifiers.

/** OVS's defaults (lib/rstp.h). */
export const RSTP_DEFAULT_PRIORITY = 32768;
export const RSTP_DEFAULT_PORT_PRIORITY = 128;
export const RSTP_DEFAULT_PORT_PATH_COST = 2000;
/** MigrateTime, fixed at 3 s (Table 17-1). */
export const RSTP_MIGRATE_TIME = 3;

/** A spanning tree priority vector (17.5); lower is better, compared field by field. */
export interface PriorityVector {
  rootId: bigint;
  rootPathCost: number;
  designatedBridgeId: bigint;
  designatedPortId: number;
  bridgePortId: number;
}

/** The timer values carried with a priority vector, in seconds (17.19.22). */
export interface RstpTimes {
  messageAge: number;
  maxAge: number;
  helloTime: number;
  forwardDelay: number;
}

/** Negative if `a` is better (superior) than `b`, 0 if the same, positive if worse. */
export function comparePriority(a: PriorityVector, b: PriorityVector): number {
  if (a.rootId !== b.rootId) return a.rootId < b.rootId ? -1 : 1;
  if (a.rootPathCost !== b.rootPathCost) return a.rootPathCost - b.rootPathCost;
  if (a.designatedBridgeId !== b.designatedBridgeId)
    return a.designatedBridgeId < b.designatedBridgeId ? -1 : 1;
  if (a.designatedPortId !== b.designatedPortId) return a.designatedPortId - b.designatedPortId;
  return a.bridgePortId - b.bridgePortId;
}

/** Whether two timer sets are equal. */
export function timesEqual(a: RstpTimes, b: RstpTimes): boolean {
  return (
    a.messageAge === b.messageAge &&
    a.maxAge === b.maxAge &&
    a.helloTime === b.helloTime &&
    a.forwardDelay === b.forwardDelay
  );
}

const MAC_BITS = (1n << 48n) - 1n;

/** The 48-bit MAC part of a bridge identifier. */
export function bridgeMac(id: bigint): bigint {
  return id & MAC_BITS;
}

/** A bridge identifier from a priority (multiple of 4096) and a 48-bit MAC (9.2.5). */
export function makeBridgeId(priority: number, mac: number): bigint {
  return (BigInt(priority & 0xffff) << 48n) | (BigInt(mac) & MAC_BITS);
}

/** A port identifier (9.2.7): priority / 16 in the top 4 bits, the port number in the low 12. */
export function makePortId(priority: number, portNo: number): number {
  return (((priority >> 4) & 0xf) << 12) | (portNo & 0xfff);
}

/** OVS's RSTP_ID_FMT: "P.SSS.MMMMMMMMMMMM" (priority nibble, system id extension, MAC), in hex. */
export function formatRstpId(id: bigint): string {
  const priority = (id >> 60n) & 0xfn;
  const system = (id >> 48n) & 0xfffn;
  const mac = id & MAC_BITS;
  return `${priority.toString(16)}.${system.toString(16).padStart(3, '0')}.${mac.toString(16).padStart(12, '0')}`;
}

/** OVS's RSTP_PORT_ID_FMT: four hex digits. */
export function formatPortId(portId: number): string {
  return portId.toString(16).padStart(4, '0');
}

/** The default Port Path Cost for a link speed in Mb/s (Table 17-3, as OVS's rstp_convert_speed_to_cost). */
export function pathCostForSpeed(mbps: number | undefined): number {
  if (mbps === undefined || !(mbps >= 1)) return RSTP_DEFAULT_PORT_PATH_COST;
  if (mbps >= 10_000_000) return 2;
  if (mbps >= 1_000_000) return 20;
  if (mbps >= 100_000) return 200;
  if (mbps >= 10_000) return 2_000;
  if (mbps >= 1_000) return 20_000;
  if (mbps >= 100) return 200_000;
  if (mbps >= 10) return 2_000_000;
  return 20_000_000;
}
