// The lab model: what a validated lab file describes (src/lab/validate.ts builds it from YAML), in the
// shape the planner (plan.ts) turns into namespaces, veths, daemons and switch configuration, and the
// checks (checks.ts) run against. Every name here is exactly as written in the file: labs use the names
// the user chose (the seed's A1, b12.1 …), and a clash with something that already exists is an error.

/** Where something was written in the lab file (1-based). */
export interface SourcePos {
  readonly line: number;
  readonly col: number;
}

/** One interface end: device `dev` in namespace `ns`. */
export interface LinkEnd {
  readonly ns: string;
  readonly dev: string;
}

/** An address (CIDR) on a device of a namespace. */
export interface LabAddress extends LinkEnd {
  readonly cidr: string;
}

/** A veth pair, both ends inside namespaces of one host. */
export interface LabVeth {
  readonly a: LinkEnd;
  readonly b: LinkEnd;
  readonly mtu?: number;
}

/** One column setting for `ovs-vsctl set TABLE RECORD COLUMN[:KEY]=VALUE` (VALUE already in its syntax). */
export interface ColumnSetting {
  readonly column: string;
  readonly key?: string;
  readonly value: string;
}

/** A port on a bridge, with Port and Interface columns. */
export interface LabPort {
  readonly name: string;
  readonly port: readonly ColumnSetting[];
  readonly iface: readonly ColumnSetting[];
}

/** A bridge: its Bridge columns, ports and OpenFlow flows (ovs-ofctl add-flow syntax). */
export interface LabBridge {
  readonly name: string;
  readonly columns: readonly ColumnSetting[];
  readonly ports: readonly LabPort[];
  readonly flows: readonly string[];
}

/** A namespace standing for a machine on a host (the seed's A1, B1). */
export interface LabNamespace {
  readonly name: string;
  readonly pos: SourcePos;
  readonly host: string;
  readonly sysctl: readonly (readonly [string, string])[];
  readonly routes: readonly string[];
}

/** A host: a namespace with its own ovsdb-server and vswitchd, and its address on the underlay. */
export interface LabHost {
  readonly name: string;
  readonly pos: SourcePos;
  /** This host's address (CIDR) on the underlay device, when there is an underlay. */
  readonly underlayAddress?: string;
  readonly sysctl: readonly (readonly [string, string])[];
  readonly routes: readonly string[];
  readonly namespaces: readonly LabNamespace[];
  readonly veths: readonly LabVeth[];
  readonly addresses: readonly LabAddress[];
  readonly bridges: readonly LabBridge[];
}

/** The link joining the hosts (the seed's eth1): a veth pair for two hosts, a Linux bridge for more. */
export interface LabUnderlay {
  readonly dev: string;
  readonly mtu: number;
}

/** "Does FROM reach TO": pings from a namespace. */
export interface PingCheck {
  readonly kind: 'ping';
  /** What the check shows, in words (optional; tables use it instead of the generated text). */
  readonly name?: string;
  readonly from: string;
  readonly to: string;
  /** `reply`: some ping is answered within `within` seconds; `no-reply`: none of `count` is. */
  readonly expect: 'reply' | 'no-reply';
  readonly count: number;
  readonly within: number;
  readonly pos: SourcePos;
}

/** "A capture on this link shows this": tcpdump on a link until `match` appears in its output. */
export interface CaptureCheck {
  readonly kind: 'capture';
  readonly name?: string;
  readonly link: LinkEnd;
  readonly match: RegExp;
  /** Extra tcpdump arguments (options such as -q, or a filter expression). */
  readonly args: readonly string[];
  readonly within: number;
  readonly pos: SourcePos;
}

export type LabCheck = PingCheck | CaptureCheck;

/** A whole validated lab file. */
export interface Lab {
  readonly name: string;
  readonly description: string;
  /** The file it came from (absolute). */
  readonly file: string;
  readonly underlay?: LabUnderlay;
  readonly hosts: readonly LabHost[];
  readonly checks: readonly LabCheck[];
}

/** Every namespace a lab makes, hosts first (the order they are created in). */
export function labNamespaces(lab: Lab): string[] {
  const names = lab.hosts.map((h) => h.name);
  for (const h of lab.hosts) names.push(...h.namespaces.map((n) => n.name));
  if (underlayHub(lab) !== undefined) names.push(underlayHub(lab) as string);
  return names;
}

/** The namespace holding the underlay's Linux bridge when the lab has more than two hosts. */
export function underlayHub(lab: Lab): string | undefined {
  return lab.underlay !== undefined && lab.hosts.length > 2 ? `${lab.name}-underlay` : undefined;
}

/** The host a namespace belongs to (itself for a host). */
export function hostOf(lab: Lab, ns: string): LabHost | undefined {
  return lab.hosts.find((h) => h.name === ns || h.namespaces.some((n) => n.name === ns));
}

/** A check in words, for tables and progress lines. */
export function describeCheck(c: LabCheck): string {
  if (c.name !== undefined) return c.name;
  if (c.kind === 'ping') return `${c.from} ping ${c.to}${c.expect === 'no-reply' ? ' (no reply)' : ''}`;
  const re = c.match.source.length > 40 ? `${c.match.source.slice(0, 39)}…` : c.match.source;
  return `capture ${c.link.ns}:${c.link.dev} /${re}/`;
}
