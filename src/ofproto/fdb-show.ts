// The text of `ovs-appctl fdb/show BRIDGE` as Open vSwitch 3.1 prints it: a header, then one line per
// MAC entry, least recently used first, with the OpenFlow port (or its reserved name), VLAN, MAC, age.
import { formatMac } from './eth-addr.js';

/** One line of fdb/show. */
export interface FdbRow {
  /** OpenFlow port number of the port the MAC was learned on. */
  readonly ofport: number;
  readonly vlan: number;
  readonly mac: number;
  /** Seconds since the entry was last learned. */
  readonly age: number;
}

/** OpenFlow's reserved port numbers and the names ovs-ofctl prints for them. */
const RESERVED_PORT_NAMES: ReadonlyMap<number, string> = new Map([
  [0xfff7, 'UNSET'],
  [0xfff8, 'IN_PORT'],
  [0xfff9, 'TABLE'],
  [0xfffa, 'NORMAL'],
  [0xfffb, 'FLOOD'],
  [0xfffc, 'ALL'],
  [0xfffd, 'CONTROLLER'],
  [0xfffe, 'LOCAL'],
  [0xffff, 'ANY'],
]);

/** An OpenFlow port as OVS prints it without a name map: its number, or its reserved name. */
export function ofportToString(ofport: number): string {
  return RESERVED_PORT_NAMES.get(ofport) ?? String(ofport);
}

/** The whole fdb/show reply. */
export function formatFdbShow(rows: readonly FdbRow[]): string {
  let out = ' port  VLAN  MAC                Age\n';
  for (const r of rows) {
    const port = ofportToString(r.ofport).padStart(5);
    out += `${port}  ${String(r.vlan).padStart(4)}  ${formatMac(r.mac)}  ${String(r.age).padStart(3)}\n`;
  }
  return out;
}
