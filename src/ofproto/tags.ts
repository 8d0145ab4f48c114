// Names of the state a translation depends on (XlateResult.tags). The datapath drops every cached flow
// carrying a tag when ofproto calls `invalidate(tag)`, so each piece of state has exactly one name.
import { formatMac } from './eth-addr.js';

/** Everything about a bridge's ports and configuration (set on every flow that passes the bridge). */
export function bridgeTag(bridge: string): string {
  return `bridge:${bridge}`;
}

/** The MAC table entry for `mac` in `vlan` of `bridge` (set by every destination lookup, hit or miss). */
export function macTag(bridge: string, vlan: number, mac: number): string {
  return `mac:${bridge}:${vlan}:${formatMac(mac)}`;
}

/** A port by name, wherever it is (set when resolving a patch peer, which may live in any bridge). */
export function portTag(port: string): string {
  return `port:${port}`;
}

/** Whatever port owns datapath port `n` (set on flows dropped because no port owns it). */
export function dpPortTag(n: number): string {
  return `dpport:${n}`;
}

/** Everything that consulted a port's spanning-tree state in `bridge`. */
export function stpTag(bridge: string): string {
  return `stp:${bridge}`;
}

/** Everything about a bridge's OpenFlow tables and groups (set on every flow that runs them). */
export function flowsTag(bridge: string): string {
  return `flows:${bridge}`;
}
