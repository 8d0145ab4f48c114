// What OpenFlow port descriptions and port statistics say about an interface, from its netdev: address,
// carrier, administrative state, counters and age. Ofproto asks by port name (src/ofproto/ofproto.ts
// PortInfoSource), and turns devices down and up for OpenFlow port_mod through portAdminControl.
import type { PortAdminControl, PortInfo } from '../ofproto/ofproto.js';
import type { SwitchState } from './switch.js';

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
    return {
      mac: nd.mac(),
      linkUp: nd.carrier() && nd.adminUp(),
      adminUp: nd.adminUp(),
      curr: 0,
      currSpeed: 0,
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
