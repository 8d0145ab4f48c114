// Open vSwitch's RSTP knobs (Bridge and Port other_config rstp-*) read as vswitchd/bridge.c reads them, and
// filtered the way lib/rstp.c's setters filter them: a value out of range leaves the default in place.
import { getBool, getUnsigned, type OtherConfig, parseMac, parseUnsigned } from '../stp/config.js';
import { pathCostForSpeed, RSTP_DEFAULT_PORT_PRIORITY, RSTP_DEFAULT_PRIORITY } from './priority.js';

/** Bridge-wide RSTP settings derived from Bridge.other_config. */
export interface RstpBridgeSettings {
  /** priority << 48 | rstp-address (or the bridge MAC). */
  bridgeId: bigint;
  /** Seconds. */
  maxAge: number;
  forwardDelay: number;
  ageingTime: number;
  transmitHoldCount: number;
  /** rstp-force-protocol-version: 0 (STP compatibility) or 2. */
  forceProtocolVersion: 0 | 2;
  /** Problems found, worded like OVS's log messages. */
  warnings: string[];
}

/** Per-port RSTP settings derived from Port.other_config. */
export interface RstpPortSettings {
  /** rstp-enable (default true). */
  enabled: boolean;
  /** rstp-port-num 1-4095 if given; 'invalid' when out of range (OVS then keeps the port out of RSTP). */
  portNum: number | 'invalid' | undefined;
  priority: number;
  pathCost: number;
  /** rstp-admin-port-state: false keeps the port administratively disabled. */
  adminPortState: boolean;
  adminEdge: boolean;
  autoEdge: boolean;
  /** rstp-admin-p2p-mac: 0 forces "not point-to-point"; 1 (default) and 2 (auto, full duplex) mean it is. */
  adminP2P: boolean;
  mcheck: boolean;
}

const RSTP_MAX_PORTS = 4095;
const HELLO_TIME = 2;

function inRange(value: number, min: number, max: number, fallback: number): number {
  return value >= min && value <= max ? value : fallback;
}

/** Bridge settings as bridge_configure_rstp() and the rstp_set_bridge_*() setters derive them. */
export function rstpBridgeSettings(name: string, config: OtherConfig, bridgeMac: bigint): RstpBridgeSettings {
  const warnings: string[] = [];
  let address = bridgeMac;
  const text = config['rstp-address'];
  if (text !== undefined) {
    const mac = parseMac(text);
    if (mac === undefined) {
      const ea = bridgeMac
        .toString(16)
        .padStart(12, '0')
        .replace(/(..)(?!$)/g, '$1:');
      warnings.push(`bridge ${name}: invalid rstp-address, defaulting to ${ea}`);
    } else address = mac;
  }
  const rawPriority = getUnsigned(config, 'rstp-priority', RSTP_DEFAULT_PRIORITY);
  const stepped = rawPriority - (rawPriority % 4096);
  const priority = inRange(stepped, 0, 61440, RSTP_DEFAULT_PRIORITY);
  // The setters run in OVS's order (max age checked against the default forward delay, then forward
  // delay against the max age kept), each refusing a value that breaks 17.13's relations.
  let maxAge = 20;
  let forwardDelay = 15;
  const wantMaxAge = getUnsigned(config, 'rstp-max-age', 20);
  if (
    wantMaxAge >= 6 &&
    wantMaxAge <= 40 &&
    2 * (forwardDelay - 1) >= wantMaxAge &&
    wantMaxAge >= 2 * HELLO_TIME
  ) {
    maxAge = wantMaxAge;
  }
  const wantDelay = getUnsigned(config, 'rstp-forward-delay', 15);
  if (wantDelay >= 4 && wantDelay <= 30 && 2 * (wantDelay - 1) >= maxAge) forwardDelay = wantDelay;
  const fpv = getUnsigned(config, 'rstp-force-protocol-version', 2);
  return {
    bridgeId: (BigInt(priority) << 48n) | (address & ((1n << 48n) - 1n)),
    maxAge,
    forwardDelay,
    ageingTime: inRange(getUnsigned(config, 'rstp-ageing-time', 300), 10, 1_000_000, 300),
    transmitHoldCount: inRange(getUnsigned(config, 'rstp-transmit-hold-count', 6), 1, 10, 6),
    forceProtocolVersion: fpv === 0 ? 0 : 2,
    warnings,
  };
}

/** Port settings as port_configure_rstp() derives them; `speedMbps` gives the default path cost. */
export function rstpPortSettings(config: OtherConfig, speedMbps = 10000): RstpPortSettings {
  const hasNum = config['rstp-port-num'] !== undefined;
  const num = parseUnsigned(config['rstp-port-num'], 0) ?? 0;
  const cost = parseUnsigned(config['rstp-path-cost'], 10) ?? 0;
  const prio = parseUnsigned(config['rstp-port-priority'], 0) ?? 0;
  return {
    enabled: getBool(config, 'rstp-enable', true),
    portNum: !hasNum ? undefined : num >= 1 && num <= RSTP_MAX_PORTS ? num : 'invalid',
    priority:
      config['rstp-port-priority'] !== undefined && prio <= 240
        ? prio - (prio % 16)
        : RSTP_DEFAULT_PORT_PRIORITY,
    pathCost:
      config['rstp-path-cost'] !== undefined && cost >= 1 && cost <= 200_000_000
        ? cost
        : pathCostForSpeed(speedMbps),
    adminPortState: getBool(config, 'rstp-admin-port-state', true),
    adminEdge: getBool(config, 'rstp-port-admin-edge', false),
    autoEdge: getBool(config, 'rstp-port-auto-edge', true),
    adminP2P: getUnsigned(config, 'rstp-admin-p2p-mac', 1) !== 0,
    mcheck: getBool(config, 'rstp-port-mcheck', false),
  };
}

/** Whether two bridge settings give the same tree (warnings aside). */
export function sameRstpBridgeSettings(a: RstpBridgeSettings, b: RstpBridgeSettings): boolean {
  return (
    a.bridgeId === b.bridgeId &&
    a.maxAge === b.maxAge &&
    a.forwardDelay === b.forwardDelay &&
    a.ageingTime === b.ageingTime &&
    a.transmitHoldCount === b.transmitHoldCount &&
    a.forceProtocolVersion === b.forceProtocolVersion
  );
}
