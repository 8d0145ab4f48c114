// Linux interface facts shared by the system and internal netdevs: the kernel's counters and carrier from
// /sys/class/net, and the Open vSwitch wording for a device that cannot be opened. Control plane only.
import { readFileSync } from 'node:fs';
import { type IfInfo, isNativeError, type LinkSettings, native } from './native.js';
import { NetdevError, type NetdevStats } from './netdev.js';

const COUNTERS = [
  'rx_packets',
  'rx_bytes',
  'rx_dropped',
  'rx_errors',
  'tx_packets',
  'tx_bytes',
  'tx_dropped',
  'tx_errors',
] as const;

/** A NetdevStats with every counter 0. */
export function zeroStats(): NetdevStats {
  return {
    rx_packets: 0,
    rx_bytes: 0,
    rx_dropped: 0,
    rx_errors: 0,
    tx_packets: 0,
    tx_bytes: 0,
    tx_dropped: 0,
    tx_errors: 0,
  };
}

/** The device's counters from /sys/class/net/<name>/statistics, or undefined when it has none. */
export function kernelStats(name: string): NetdevStats | undefined {
  const stats = zeroStats();
  try {
    for (const c of COUNTERS)
      stats[c] = Number(readFileSync(`/sys/class/net/${name}/statistics/${c}`, 'utf8'));
  } catch {
    return undefined;
  }
  return stats;
}

/** Counters seen from the other side of the device (a TAP's tx is what its reader receives). */
export function swapDirections(s: NetdevStats): NetdevStats {
  return {
    rx_packets: s.tx_packets,
    rx_bytes: s.tx_bytes,
    rx_dropped: s.tx_dropped,
    rx_errors: s.tx_errors,
    tx_packets: s.rx_packets,
    tx_bytes: s.rx_bytes,
    tx_dropped: s.rx_dropped,
    tx_errors: s.rx_errors,
  };
}

/** /sys/class/net/<name>/carrier as a boolean (false when unreadable, e.g. the device is down). */
export function sysfsCarrier(name: string): boolean {
  try {
    return readFileSync(`/sys/class/net/${name}/carrier`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** The NetdevError for a device that could not be opened: "could not open network device X (reason)". */
export function openError(name: string, err: unknown, reason?: string): NetdevError {
  if (err instanceof NetdevError) return err;
  const code = isNativeError(err) ? err.code : 'EIO';
  const why = reason ?? (isNativeError(err) && err.reason !== undefined ? err.reason : String(err));
  return new NetdevError(code, `could not open network device ${name} (${why})`);
}

/** The device's ifindex, MTU, MAC and flags, or undefined when it is gone. */
export function tryIfInfo(name: string): IfInfo | undefined {
  try {
    return native().ifInfo(name);
  } catch {
    return undefined;
  }
}

/** The device's link settings, or null when it has none or is gone. */
export function tryLinkSettings(name: string): LinkSettings | null {
  try {
    return native().ifLinkSettings(name);
  } catch {
    return null;
  }
}
