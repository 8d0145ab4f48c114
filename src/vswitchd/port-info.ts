// What OpenFlow port descriptions and port statistics say about an interface, from its netdev: address,
// carrier, administrative state, counters and age. Ofproto asks by port name (src/ofproto/ofproto.ts
// PortInfoSource), and turns devices down and up for OpenFlow port_mod through portAdminControl.

import type { LinkSettings } from '../netdev/native.js';
import type { PortAdminControl, PortInfo } from '../ofproto/ofproto.js';
import type { SwitchState } from './switch.js';

// OpenFlow 1.1+ port feature bits (OFPPF_*).
const OFPPF_10MB_HD = 1 << 0;
const OFPPF_10MB_FD = 1 << 1;
const OFPPF_100MB_HD = 1 << 2;
const OFPPF_100MB_FD = 1 << 3;
const OFPPF_1GB_HD = 1 << 4;
const OFPPF_1GB_FD = 1 << 5;
const OFPPF_10GB_FD = 1 << 6;
const OFPPF_40GB_FD = 1 << 7;
const OFPPF_100GB_FD = 1 << 8;
const OFPPF_1TB_FD = 1 << 9;
const OFPPF_COPPER = 1 << 11;
const OFPPF_FIBER = 1 << 12;
const OFPPF_AUTONEG = 1 << 13;
// ethtool's PORT_TP, PORT_FIBRE and DUPLEX_FULL.
const PORT_TP = 0;
const PORT_FIBRE = 3;
const DUPLEX_FULL = 1;

/**
 * A port's current features from its link settings, as Open vSwitch's netdev-linux reads them: the speed
 * (with duplex below 10 Gb/s), the medium, autonegotiation. A veth or TAP device: 10GB-FD COPPER.
 */
function currentFeatures(link: LinkSettings | null): number {
  if (link === null) return 0;
  const full = link.duplex === DUPLEX_FULL;
  const speeds: Record<number, number> = {
    10: full ? OFPPF_10MB_FD : OFPPF_10MB_HD,
    100: full ? OFPPF_100MB_FD : OFPPF_100MB_HD,
    1000: full ? OFPPF_1GB_FD : OFPPF_1GB_HD,
    10000: OFPPF_10GB_FD,
    40000: OFPPF_40GB_FD,
    100000: OFPPF_100GB_FD,
    1000000: OFPPF_1TB_FD,
  };
  let f = speeds[link.speed] ?? 0;
  if (link.port === PORT_TP) f |= OFPPF_COPPER;
  else if (link.port === PORT_FIBRE) f |= OFPPF_FIBER;
  if (link.autoneg !== 0) f |= OFPPF_AUTONEG;
  return f;
}

/** When each interface was first seen (OpenFlow port statistics report a duration). */
const firstSeen = new WeakMap<object, number>();

/** A PortInfoSource over the switch's interfaces. */
export function portInfoSource(sw: SwitchState, clock: () => number): (name: string) => PortInfo | undefined {
  return (name) => {
    const iface = sw.iface(name);
    if (iface === undefined) return undefined;
    const nd = iface.netdev;
    let since = firstSeen.get(iface);
    if (since === undefined) {
      since = clock();
      firstSeen.set(iface, since);
    }
    if (nd === null) {
      return {
        mac: iface.patchMac ?? '00:00:00:00:00:00',
        linkUp: iface.type === 'patch',
        curr: 0,
        currSpeed: 0,
        stats: null,
        ageMs: clock() - since,
      };
    }
    const s = nd.stats();
    const link = nd.linkSettings?.() ?? null;
    return {
      mac: nd.mac(),
      linkUp: nd.carrier() && nd.adminUp(),
      adminUp: nd.adminUp(),
      curr: currentFeatures(link),
      currSpeed: link === null ? 0 : link.speed * 1000,
      stats: {
        rxPackets: s.rx_packets,
        txPackets: s.tx_packets,
        rxBytes: s.rx_bytes,
        txBytes: s.tx_bytes,
        rxDropped: s.rx_dropped,
        txDropped: s.tx_dropped,
        rxErrors: s.rx_errors,
        txErrors: s.tx_errors,
      },
      ageMs: clock() - since,
    };
  };
}

/**
 * A port_mod's OFPPC_PORT_DOWN on an interface's device (OVS's netdev_turn_flags_on/off): false for
 * interfaces without a device that can (patch ports, tunnels, interfaces that failed to open). On success
 * `linkChanged(name)` runs once the request is done, so that the link change is reported after the
 * port_mod's own port_status, as ovs-vswitchd's next run does.
 */
export function portAdminControl(sw: SwitchState, linkChanged: (name: string) => void): PortAdminControl {
  return (name, up) => {
    const iface = sw.iface(name);
    const nd = iface?.error === null ? iface.netdev : null;
    if (nd === null || nd.setAdminUp === undefined) return false;
    try {
      nd.setAdminUp(up);
    } catch {
      return false;
    }
    setImmediate(() => linkChanged(name));
    return true;
  };
}
