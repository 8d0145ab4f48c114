// Open vSwitch's STP knobs (Bridge and Port other_config) read as vswitchd/bridge.c reads them, quirks
// included, into settings for the Stp engine (stp.ts); the reconciler applies them.
import {
  STP_DEFAULT_BRIDGE_PRIORITY,
  STP_DEFAULT_PORT_PRIORITY,
  STP_MAX_PORTS,
  stpCostFromSpeed,
} from './stp.js';

/** Bridge-wide STP settings derived from Bridge.other_config. */
export interface StpBridgeSettings {
  /** priority << 48 | system id. */
  bridgeId: bigint;
  /** Requested times in ms (the engine clamps them). */
  helloTime: number;
  maxAge: number;
  forwardDelay: number;
  /** Problems found, worded like OVS's log messages. */
  warnings: string[];
}

/** Per-port STP settings derived from Port.other_config. */
export interface StpPortSettings {
  /** stp-enable (default true). */
  enabled: boolean;
  /** stp-port-num 1-255 if given; 'invalid' when out of range (OVS then disables STP on the port). */
  portNum: number | 'invalid' | undefined;
  priority: number;
  pathCost: number;
}

/** A column of string pairs (Bridge or Port other_config). */
export type OtherConfig = Readonly<Record<string, string | undefined>>;

/** strtoull-like: leading decimal digits (or hex/octal when base 0), else undefined. */
export function parseUnsigned(text: string | undefined, base: 0 | 10): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (base === 0 && /^0x[0-9a-f]+/i.test(t)) return Number.parseInt(t.slice(2), 16);
  if (base === 0 && /^0[0-7]+/.test(t)) return Number.parseInt(t, 8);
  return /^\d+/.test(t) ? Number.parseInt(t, 10) : undefined;
}

/** smap_get_ullong: the whole value must be a decimal number, else the default. */
export function getUnsigned(config: OtherConfig, key: string, fallback: number): number {
  const text = config[key];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : fallback;
}

/** smap_get_bool: with a true default anything but "false" (any case) is true; else only "true" is. */
export function getBool(config: OtherConfig, key: string, fallback: boolean): boolean {
  const text = (config[key] ?? '').toLowerCase();
  return fallback ? text !== 'false' : text === 'true';
}

/** A MAC address "xx:xx:xx:xx:xx:xx" as a 48-bit number (undefined when malformed). */
export function parseMac(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/.test(text)) return undefined;
  return text.split(':').reduce((acc, byte) => (acc << 8n) | BigInt(Number.parseInt(byte, 16)), 0n);
}

/**
 * Bridge settings as bridge_configure_stp() derives them. Note OVS's quirk, kept: stp-hello-time is read in
 * milliseconds while stp-max-age and stp-forward-delay are read in seconds.
 */
export function stpBridgeSettings(name: string, config: OtherConfig, bridgeMac: bigint): StpBridgeSettings {
  const warnings: string[] = [];
  let systemId = bridgeMac;
  const text = config['stp-system-id'];
  if (text !== undefined) {
    const mac = parseMac(text);
    if (mac === undefined)
      warnings.push(`bridge ${name}: invalid stp-system-id, defaulting to the bridge MAC`);
    else systemId = mac;
  }
  const priority = getUnsigned(config, 'stp-priority', STP_DEFAULT_BRIDGE_PRIORITY) & 0xffff;
  return {
    bridgeId: (BigInt(priority) << 48n) | (systemId & ((1n << 48n) - 1n)),
    helloTime: getUnsigned(config, 'stp-hello-time', 2000),
    maxAge: getUnsigned(config, 'stp-max-age', 20) * 1000,
    forwardDelay: getUnsigned(config, 'stp-forward-delay', 15) * 1000,
    warnings,
  };
}

/** Port settings as port_configure_stp() derives them; `speedMbps` gives the default path cost. */
export function stpPortSettings(config: OtherConfig, speedMbps = 10000): StpPortSettings {
  const enabled = getBool(config, 'stp-enable', true);
  const num = parseUnsigned(config['stp-port-num'], 0);
  const hasNum = config['stp-port-num'] !== undefined;
  const portNum = !hasNum
    ? undefined
    : num !== undefined && num >= 1 && num <= STP_MAX_PORTS
      ? num
      : 'invalid';
  const cost = parseUnsigned(config['stp-path-cost'], 10);
  const priority = parseUnsigned(config['stp-port-priority'], 0);
  return {
    enabled,
    portNum,
    priority: config['stp-port-priority'] === undefined ? STP_DEFAULT_PORT_PRIORITY : (priority ?? 0) & 0xff,
    pathCost: config['stp-path-cost'] === undefined ? stpCostFromSpeed(speedMbps) : (cost ?? 0) & 0xffff,
  };
}
