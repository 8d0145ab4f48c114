// OpenFlow port numbers as ovs-ofctl reads and prints them. Ports are kept in OpenFlow 1.0's 16-bit space,
// as Open vSwitch does internally (ofp_port_t): 1..0xfeff are switch ports and the reserved ports sit at
// 0xfff7..0xffff. OpenFlow 1.1+ 32-bit numbers 0xfffffff7.. are folded into the same place.
import { strtoll } from './text-util.js';

/** Highest switch port + 1 (OFPP_MAX). */
export const OFPP_MAX = 0xff00;
/** OVS's "not set" marker (OFPP_UNSET). */
export const OFPP_UNSET = 0xfff7;
/** The port the packet came in on. */
export const OFPP_IN_PORT = 0xfff8;
/** Submit to the first table (packet-out only). */
export const OFPP_TABLE = 0xfff9;
/** Normal L2 switching. */
export const OFPP_NORMAL = 0xfffa;
/** All ports except the input port and those blocked by spanning tree. */
export const OFPP_FLOOD = 0xfffb;
/** All ports except the input port. */
export const OFPP_ALL = 0xfffc;
/** The controller. */
export const OFPP_CONTROLLER = 0xfffd;
/** The local (bridge's own) port. */
export const OFPP_LOCAL = 0xfffe;
/** No port / any port (OFPP_NONE in OpenFlow 1.0, OFPP_ANY in 1.1+). */
export const OFPP_NONE = 0xffff;
export const OFPP_ANY = OFPP_NONE;
/** Offset between OpenFlow 1.1+ and 1.0 reserved port numbers. */
export const OFPP11_OFFSET = 0xffff0000;

/** Reserved port names as ovs-ofctl prints them (ofputil_port_get_reserved_name). */
const RESERVED: ReadonlyMap<number, string> = new Map([
  [OFPP_IN_PORT, 'IN_PORT'],
  [OFPP_TABLE, 'TABLE'],
  [OFPP_NORMAL, 'NORMAL'],
  [OFPP_FLOOD, 'FLOOD'],
  [OFPP_ALL, 'ALL'],
  [OFPP_CONTROLLER, 'CONTROLLER'],
  [OFPP_LOCAL, 'LOCAL'],
  [OFPP_ANY, 'ANY'],
  [OFPP_UNSET, 'UNSET'],
]);

const BY_NAME: ReadonlyMap<string, number> = new Map([
  ...[...RESERVED].map(([n, s]): [string, number] => [s.toLowerCase(), n]),
  ['none', OFPP_NONE],
]);

/** Port names known to the caller (ovs-ofctl's --names), name → number. */
export type PortNames = ReadonlyMap<string, number>;

/**
 * OVS ofputil_port_from_string(): a decimal number (0..0xffff, or an OpenFlow 1.1 reserved number
 * 0xffffff00..0xffffffff), a reserved name in any case (LOCAL, NORMAL, ..., NONE), or a name in `names`
 * (optionally in double quotes). Undefined when it is none of these.
 */
export function parsePort(text: string, names?: PortNames): number | undefined {
  if (text.startsWith('-')) return undefined;
  const r = strtoll(text, 0, 10);
  if (r.end !== 0 && r.end === text.length && !r.errno) {
    const n = Number(r.value);
    if (n < 0 || n > 0xffffffff) return undefined;
    if (n <= 0xffff) return n;
    if (n < 0xffffff00) return undefined;
    return n - OFPP11_OFFSET;
  }
  const named = BY_NAME.get(text.toLowerCase());
  if (named !== undefined) return named;
  if (names) {
    let name = text;
    if (text.startsWith('"')) {
      if (text.length < 2 || !text.endsWith('"')) return undefined;
      name = JSON.parse(text) as string;
    }
    return names.get(name);
  }
  return undefined;
}

/** OVS ofputil_format_port(): the reserved name, else the caller's name for it, else the number. */
export function formatPort(port: number, names?: ReadonlyMap<number, string>): string {
  const reserved = RESERVED.get(port);
  if (reserved) return reserved;
  const name = names?.get(port);
  if (name !== undefined)
    return /^[A-Za-z0-9_.-]+$/.test(name) && !RESERVED.has(Number(name)) ? name : JSON.stringify(name);
  return String(port);
}
