// What OpenFlow port descriptions and port statistics say about an interface, from its netdev: address,
// carrier, counters and age. Ofproto asks by port name (src/ofproto/ofproto.ts PortInfoSource).
import type { PortInfo } from '../ofproto/ofproto.js';
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
