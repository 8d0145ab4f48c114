// Lab files: YAML in, a validated Lab (model.ts) out, or every problem at once with its line, column and
// field. Pure: reads the text (and tsovs's schema file for column types), creates nothing. The format is
// documented in README.md ("Lab files") and shown by labs/seed-*.yaml.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { parseFlow } from '../openflow/flow-text.js';
import { columnSettings, type LabTable, settableColumns } from './columns.js';
import type {
  CaptureCheck,
  ColumnSetting,
  Lab,
  LabAddress,
  LabBridge,
  LabCheck,
  LabHost,
  LabNamespace,
  LabPort,
  LabUnderlay,
  LabVeth,
  LinkEnd,
  PingCheck,
} from './model.js';
import { type At, type Entry, type LabIssue, Walker } from './yaml-walk.js';

export type { LabIssue } from './yaml-walk.js';

/** A lab file that cannot be used: every issue found, each with its line and field. */
export class LabFileError extends Error {
  readonly code = 'LAB_INVALID';
  constructor(
    readonly file: string,
    readonly issues: readonly LabIssue[],
  ) {
    super(formatIssues(file, issues));
  }
}

/** "FILE:LINE:COL: FIELD: message" lines, one per issue. */
export function formatIssues(file: string, issues: readonly LabIssue[]): string {
  return issues
    .map((i) => `${file}:${i.line}:${i.col}: ${i.field === '' ? '' : `${i.field}: `}${i.message}`)
    .join('\n');
}

/** Reads and validates a lab file; throws LabFileError. */
export function loadLab(file: string): Lab {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new LabFileError(file, [
      { line: 0, col: 0, field: '', message: `cannot read the lab file: ${reason}` },
    ]);
  }
  return parseLab(text, file);
}

const TOP_KEYS = ['name', 'description', 'underlay', 'hosts', 'checks'];
const HOST_KEYS = ['underlay', 'sysctl', 'routes', 'namespaces', 'veths', 'addresses', 'bridges'];
const NS_KEYS = ['addresses', 'sysctl', 'routes'];
const LAB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const NS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const DEV_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,14}$/;
/** Port types whose device the switch makes (or that need no device in the host namespace). */
const VIRTUAL_PORT_TYPES = new Set([
  'internal',
  'gre',
  'vxlan',
  'geneve',
  'patch',
  'dummy',
  'tap',
  'stt',
  'lisp',
]);

/** Validates the YAML text of a lab file (`file` names it in messages and in the Lab). */
export function parseLab(text: string, file: string): Lab {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const w = new Walker(lines);
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const p = e.linePos?.[0] ?? { line: 0, col: 0 };
      const message = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { line: p.line, col: p.col, field: '', message: `not valid YAML: ${message}` };
    });
    throw new LabFileError(file, issues);
  }
  const root: At = { node: doc.contents as At['node'], path: '', fallback: { line: 1, col: 1 } };
  const lab = new LabBuilder(w, file).build(root);
  if (w.issues.length > 0 || lab === undefined) {
    const sorted = [...w.issues].sort((a, b) => a.line - b.line || a.col - b.col);
    throw new LabFileError(file, sorted);
  }
  return lab;
}

/** The devices of one namespace the lab knows about, with where each was defined. */
type Devices = Map<string, Map<string, string>>;

class LabBuilder {
  /** Namespace name → what defined it (for clash messages). */
  private readonly namespaces = new Map<string, string>();
  /** Namespace → device → kind (veth, underlay, bridge, internal). */
  private readonly devices: Devices = new Map();
  /** The underlay's device name (eth1 unless the file says otherwise). */
  private underlayDev = 'eth1';
  /** Hosts that have an underlay: key (valid or not). */
  private readonly underlayHosts = new Set<string>();

  constructor(
    private readonly w: Walker,
    private readonly file: string,
  ) {}

  build(root: At): Lab | undefined {
    const w = this.w;
    if (root.node === null) {
      w.issue(root, 'the file is empty; a lab needs at least name: and hosts:');
      return undefined;
    }
    const top = w.map(root, TOP_KEYS);
    if (top === undefined) return undefined;
    const get = (k: string) => top.find((e) => e.key === k);
    const nameEntry = get('name');
    let name = '';
    if (nameEntry === undefined) w.issue(root, 'the lab has no name: (add e.g. "name: my-lab" at the top)');
    else {
      name = w.text(nameEntry.value, 'a name') ?? '';
      if (name !== '' && !LAB_NAME.test(name))
        w.issue(
          nameEntry.value,
          'must be 1–32 letters, digits, "_", "." or "-", starting with a letter or digit',
        );
    }
    const description = get('description') ? (w.text((get('description') as Entry).value) ?? '') : '';
    const underlayEntry = get('underlay');
    const hostsEntry = get('hosts');
    if (hostsEntry === undefined) {
      w.issue(root, 'the lab has no hosts: (each host is a namespace with its own switch)');
      return undefined;
    }
    this.underlayDev = this.underlayDevice(underlayEntry);
    const hosts = this.hosts(hostsEntry.value);
    const underlay = this.underlay(underlayEntry, hosts);
    if (underlay !== undefined && hosts.length > 2)
      this.claimNamespace(underlayEntry?.value ?? root, `${name}-underlay`, "the underlay's Linux bridge");
    const checksEntry = get('checks');
    const checks = checksEntry === undefined ? [] : this.checks(checksEntry.value);
    return { name, description, file: resolve(this.file), underlay, hosts, checks };
  }

  /** Registers a namespace name; a second use is an error. */
  private claimNamespace(at: At, name: string, what: string): boolean {
    if (!NS_NAME.test(name)) {
      this.w.issue(
        at,
        `"${name}" is not a usable namespace name (letters, digits, "_", "." and "-", at most 64)`,
      );
      return false;
    }
    const before = this.namespaces.get(name);
    if (before !== undefined) {
      this.w.issue(at, `the namespace name "${name}" is already used by ${before}`);
      return false;
    }
    this.namespaces.set(name, what);
    this.devices.set(name, new Map([['lo', 'loopback']]));
    return true;
  }

  /** Registers a device in a namespace; a second definition is an error. */
  private claimDevice(at: At, ns: string, dev: string, kind: string): boolean {
    if (!DEV_NAME.test(dev)) {
      this.w.issue(
        at,
        `"${dev}" is not a usable interface name (at most 15 characters: letters, digits, "_", ".", "-")`,
      );
      return false;
    }
    const devs = this.devices.get(ns);
    if (devs === undefined) return false;
    const before = devs.get(dev);
    if (before !== undefined) {
      this.w.issue(at, `namespace ${ns} already has an interface named ${dev} (${before})`);
      return false;
    }
    devs.set(dev, kind);
    return true;
  }

  private hosts(at: At): LabHost[] {
    const entries = this.w.map(at) ?? [];
    if (entries.length === 0 && at.node !== null) this.w.issue(at, 'needs at least one host');
    if (at.node === null) this.w.issue(at, 'needs at least one host (e.g. "node3:")');
    // Namespaces first (hosts, then theirs), so that links may name any of them.
    for (const e of entries) this.claimNamespace(e.value, e.key, `host ${e.key}`);
    const shells = entries.map((e) => ({ e, parts: this.w.map(e.value, HOST_KEYS) }));
    for (const { e, parts } of shells) {
      const nsEntry = parts?.find((p) => p.key === 'namespaces');
      for (const n of nsEntry === undefined ? [] : (this.w.map(nsEntry.value) ?? []))
        this.claimNamespace(n.value, n.key, `a namespace of host ${e.key}`);
    }
    return shells.map(({ e, parts }) => this.host(e, parts ?? []));
  }

  private host(h: Entry, parts: Entry[]): LabHost {
    const get = (k: string) => parts.find((p) => p.key === k);
    const namespaces: LabNamespace[] = [];
    const addresses: LabAddress[] = [];
    const nsEntries =
      get('namespaces') === undefined ? [] : (this.w.map((get('namespaces') as Entry).value) ?? []);
    const nsParts = nsEntries.map((n) => ({ n, parts: this.w.map(n.value, NS_KEYS) ?? [] }));
    for (const { n, parts: np } of nsParts) {
      const sysctl = this.sysctl(np.find((p) => p.key === 'sysctl'));
      const routes = this.routes(np.find((p) => p.key === 'routes'));
      namespaces.push({ name: n.key, pos: n.keyPos, host: h.key, sysctl, routes });
    }
    const ownNs = new Set([h.key, ...namespaces.map((n) => n.name)]);
    const veths = this.veths(get('veths'), h.key, ownNs);
    const addrAt = get('underlay');
    const underlayAddress = addrAt === undefined ? undefined : this.cidr(addrAt.value);
    if (addrAt !== undefined) this.underlayHosts.add(h.key);
    if (addrAt !== undefined) this.claimDevice(addrAt.value, h.key, this.underlayDev, 'the underlay');
    const bridges = this.bridges(get('bridges'), h.key);
    // Addresses last: they may sit on veth ends, bridges' internal ports, internal ports.
    addresses.push(...this.addresses(get('addresses'), h.key));
    for (const { n, parts: np } of nsParts)
      addresses.push(
        ...this.addresses(
          np.find((p) => p.key === 'addresses'),
          n.key,
        ),
      );
    return {
      name: h.key,
      pos: h.keyPos,
      underlayAddress,
      sysctl: this.sysctl(get('sysctl')),
      routes: this.routes(get('routes')),
      namespaces,
      veths,
      addresses,
      bridges,
    };
  }

  private sysctl(e: Entry | undefined): [string, string][] {
    if (e === undefined) return [];
    const out: [string, string][] = [];
    for (const s of this.w.map(e.value) ?? []) {
      if (!/^[a-z0-9_][a-z0-9_.\-/]*$/i.test(s.key)) {
        this.w.issue(s.value, `"${s.key}" is not a sysctl name (like net.ipv4.ip_forward)`, s.keyPos);
        continue;
      }
      const v = this.w.text(s.value, 'a value');
      if (v !== undefined) out.push([s.key, v === 'true' ? '1' : v === 'false' ? '0' : v]);
    }
    return out;
  }

  private routes(e: Entry | undefined): string[] {
    if (e === undefined) return [];
    const out: string[] = [];
    for (const r of this.w.list(e.value, true) ?? []) {
      const t = this.w.text(r, 'a route (as for `ip route add`, e.g. "default via 192.168.10.254")');
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  private cidr(at: At): string | undefined {
    const t = this.w.text(at, 'an address with its prefix length (10.10.10.1/24)');
    if (t === undefined) return undefined;
    const m = /^([^/]+)\/(\d{1,3})$/.exec(t);
    const family = m === null ? 0 : isIP(m[1]);
    if (m === null || family === 0 || Number(m[2]) > (family === 4 ? 32 : 128)) {
      this.w.issue(at, `"${t}" is not an address with a prefix length, like 192.168.10.1/24`);
      return undefined;
    }
    return t;
  }

  /** "DEV" (on the host) or "NS:DEV" (NS one of this host's namespaces). */
  private end(at: At, host: string, own: Set<string>): LinkEnd | undefined {
    const t = this.w.text(at, 'an interface: DEV on the host, or NAMESPACE:DEV');
    if (t === undefined) return undefined;
    const i = t.indexOf(':');
    const ns = i < 0 ? host : t.slice(0, i);
    const dev = i < 0 ? t : t.slice(i + 1);
    if (!own.has(ns)) {
      const other = this.namespaces.get(ns);
      this.w.issue(
        at,
        other === undefined
          ? `no namespace "${ns}" on host ${host} (declare it under hosts.${host}.namespaces)`
          : `${ns} is ${other}: a veth of host ${host} joins only ${[...own].join(', ')}`,
      );
      return undefined;
    }
    return { ns, dev };
  }

  private veths(e: Entry | undefined, host: string, own: Set<string>): LabVeth[] {
    if (e === undefined) return [];
    const out: LabVeth[] = [];
    for (const item of this.w.list(e.value) ?? []) {
      let ends: At[] | undefined;
      let mtu: number | undefined;
      if (isSeq(item.node)) {
        ends = this.w.list(item);
      } else {
        const m = this.w.map(item, ['ends', 'mtu']);
        if (m === undefined) continue;
        const endsEntry = m.find((x) => x.key === 'ends');
        const mtuEntry = m.find((x) => x.key === 'mtu');
        if (mtuEntry !== undefined) mtu = this.w.int(mtuEntry.value, 68, 65535);
        if (endsEntry === undefined) {
          this.w.issue(item, 'a veth needs its two ends: [DEV, NAMESPACE:DEV] or {ends: [..], mtu: N}');
          continue;
        }
        ends = this.w.list(endsEntry.value);
      }
      if (ends === undefined) continue;
      if (ends.length !== 2) {
        this.w.issue(item, `a veth has two ends, not ${ends.length}: [DEV, NAMESPACE:DEV]`);
        continue;
      }
      const a = this.end(ends[0], host, own);
      const b = this.end(ends[1], host, own);
      if (a === undefined || b === undefined) continue;
      const okA = this.claimDevice(ends[0], a.ns, a.dev, `a veth end on line ${this.w.pos(ends[0]).line}`);
      const okB = this.claimDevice(ends[1], b.ns, b.dev, `a veth end on line ${this.w.pos(ends[1]).line}`);
      if (okA && okB) out.push(mtu === undefined ? { a, b } : { a, b, mtu });
    }
    return out;
  }

  private addresses(e: Entry | undefined, ns: string): LabAddress[] {
    if (e === undefined) return [];
    const out: LabAddress[] = [];
    for (const a of this.w.map(e.value) ?? []) {
      if (!this.devices.get(ns)?.has(a.key)) {
        const known = [...(this.devices.get(ns)?.keys() ?? [])].filter((d) => d !== 'lo');
        this.w.issue(
          a.value,
          `namespace ${ns} has no interface ${a.key}${known.length > 0 ? ` (it has ${known.join(', ')})` : ''}`,
          a.keyPos,
        );
        continue;
      }
      for (const item of this.w.list(a.value, true) ?? []) {
        const cidr = this.cidr(item);
        if (cidr !== undefined) out.push({ ns, dev: a.key, cidr });
      }
    }
    return out;
  }

  private bridges(e: Entry | undefined, host: string): LabBridge[] {
    if (e === undefined) return [];
    const entries = this.w.map(e.value) ?? [];
    // Bridges' internal ports are devices of the host: claim them before the ports refer to devices.
    for (const b of entries) this.claimDevice(b.value, host, b.key, `bridge ${b.key}`);
    const portNames = new Map<string, string>(entries.map((b) => [b.key, `bridge ${b.key}`]));
    return entries.map((b) => this.bridge(b, host, portNames));
  }

  private bridge(b: Entry, host: string, portNames: Map<string, string>): LabBridge {
    const cols = settableColumns('Bridge');
    const allowed = ['ports', 'flows', ...[...cols.keys()]];
    const parts = this.w.map(b.value, allowed) ?? [];
    const columns: ColumnSetting[] = [];
    let ports: LabPort[] = [];
    let flows: string[] = [];
    for (const p of parts) {
      if (p.key === 'ports') ports = this.ports(p.value, host, b.key, portNames);
      else if (p.key !== 'flows') columns.push(...columnSettings(this.w, 'Bridge', p.key, p.value));
    }
    const flowsEntry = parts.find((p) => p.key === 'flows');
    if (flowsEntry !== undefined) flows = this.flows(flowsEntry.value, b.key, ports);
    return { name: b.key, columns, ports, flows };
  }

  private ports(at: At, host: string, bridge: string, portNames: Map<string, string>): LabPort[] {
    const list: Entry[] = [];
    if (isSeq(at.node)) {
      for (const item of this.w.list(at) ?? []) {
        const name = this.w.text(item, 'a port name');
        if (name !== undefined)
          list.push({ key: name, keyPos: this.w.pos(item), value: { ...item, node: null } });
      }
    } else list.push(...(this.w.map(at) ?? []));
    const out: LabPort[] = [];
    for (const p of list) {
      const port = this.port(p, host);
      if (port === undefined) continue;
      const before = portNames.get(p.key);
      if (before !== undefined && before !== `bridge ${bridge}`) {
        this.w.issue(p.value, `port ${p.key} is already ${before} on host ${host}`, p.keyPos);
        continue;
      }
      if (before !== undefined) {
        this.w.issue(p.value, `${p.key} is the bridge's own port; list only other ports`, p.keyPos);
        continue;
      }
      portNames.set(p.key, `a port of bridge ${bridge}`);
      out.push(port);
    }
    return out;
  }

  private port(p: Entry, host: string): LabPort | undefined {
    const portCols = settableColumns('Port');
    const ifaceCols = settableColumns('Interface');
    const only = (a: Map<string, unknown>, b: Map<string, unknown>) => [...a.keys()].filter((k) => !b.has(k));
    const both = [...portCols.keys()].filter((k) => ifaceCols.has(k));
    const allowed = [
      'port',
      'interface',
      ...only(portCols, ifaceCols),
      ...only(ifaceCols, portCols),
      ...both,
    ];
    const parts = this.w.map(p.value, allowed);
    if (parts === undefined) return undefined;
    for (const e of parts.filter((x) => both.includes(x.key))) {
      const hint = `${e.key} is a column of both Port and Interface: write it under port: or interface:`;
      this.w.issue(e.value, `${hint} (port: {${e.key}: …})`, e.keyPos);
    }
    const port: ColumnSetting[] = [];
    const iface: ColumnSetting[] = [];
    const section = (e: Entry, table: LabTable, into: ColumnSetting[]) => {
      const cols = settableColumns(table);
      for (const c of this.w.map(e.value, [...cols.keys()]) ?? [])
        into.push(...columnSettings(this.w, table, c.key, c.value));
    };
    for (const e of parts) {
      if (e.key === 'port') section(e, 'Port', port);
      else if (e.key === 'interface') section(e, 'Interface', iface);
      else if (both.includes(e.key)) continue;
      else if (portCols.has(e.key)) port.push(...columnSettings(this.w, 'Port', e.key, e.value));
      else iface.push(...columnSettings(this.w, 'Interface', e.key, e.value));
    }
    const type = iface.find((s) => s.column === 'type')?.value.replace(/"/g, '') ?? '';
    const at = { ...p.value, fallback: p.keyPos };
    if (type === 'internal') {
      if (!this.claimDevice(at, host, p.key, `an internal port`)) return undefined;
    } else if (!VIRTUAL_PORT_TYPES.has(type)) {
      const kind = this.devices.get(host)?.get(p.key);
      if (kind === undefined) {
        this.w.issue(
          at,
          `host ${host} has no interface ${p.key}: declare it under hosts.${host}.veths, or give the port a type (internal, gre, vxlan, geneve, patch)`,
          p.keyPos,
        );
        return undefined;
      }
      if (kind.startsWith('bridge ')) {
        this.w.issue(at, `${p.key} is ${kind}'s own port and cannot join another bridge`, p.keyPos);
        return undefined;
      }
    }
    return { name: p.key, port, iface };
  }

  private flows(at: At, bridge: string, ports: LabPort[]): string[] {
    const names = new Map(ports.map((p, i) => [p.name, i + 1]));
    const out: string[] = [];
    for (const item of this.w.list(at) ?? []) {
      const flow = this.w.text(item, 'a flow in ovs-ofctl syntax ("priority=10,ip,actions=normal")');
      if (flow === undefined) continue;
      try {
        parseFlow(flow, { ports: names });
        out.push(flow);
      } catch (err) {
        this.w.issue(item, `bad flow for ${bridge}: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** The underlay section's device name (checked; eth1 by default). */
  private underlayDevice(e: Entry | undefined): string {
    if (e === undefined) return 'eth1';
    const devEntry = (this.w.map(e.value, ['dev', 'mtu']) ?? []).find((p) => p.key === 'dev');
    if (devEntry === undefined) return 'eth1';
    const dev = this.w.text(devEntry.value, 'an interface name') ?? 'eth1';
    if (DEV_NAME.test(dev)) return dev;
    this.w.issue(devEntry.value, `"${dev}" is not a usable interface name (at most 15 characters)`);
    return 'eth1';
  }

  private underlay(e: Entry | undefined, hosts: LabHost[]): LabUnderlay | undefined {
    if (e === undefined && this.underlayHosts.size === 0) return undefined;
    let mtu = 1500;
    const at: At = e?.value ?? { node: null, path: 'underlay', fallback: { line: 1, col: 1 } };
    const mtuEntry = e === undefined ? undefined : (this.w.map(e.value) ?? []).find((p) => p.key === 'mtu');
    if (mtuEntry !== undefined) mtu = this.w.int(mtuEntry.value, 68, 65535) ?? mtu;
    if (hosts.length < 2) this.w.issue(at, 'an underlay joins two or more hosts; this lab has one');
    for (const h of hosts) {
      if (!this.underlayHosts.has(h.name))
        this.w.issue(at, `host ${h.name} has no underlay address (add "underlay: 10.10.10.N/24" under it)`);
    }
    return { dev: this.underlayDev, mtu };
  }

  private checks(at: At): LabCheck[] {
    const out: LabCheck[] = [];
    for (const item of this.w.list(at) ?? []) {
      const parts = this.w.map(item, ['ping', 'capture']);
      if (parts === undefined) continue;
      if (parts.length !== 1) {
        this.w.issue(item, 'each check is one of ping: or capture:');
        continue;
      }
      const [c] = parts;
      const check = c.key === 'ping' ? this.ping(c) : this.capture(c);
      if (check !== undefined) out.push(check);
    }
    return out;
  }

  private namespaceRef(at: At, name: string): boolean {
    if (this.namespaces.has(name)) return true;
    this.w.issue(at, `no namespace "${name}" in this lab (it has ${[...this.namespaces.keys()].join(', ')})`);
    return false;
  }

  private ping(c: Entry): PingCheck | undefined {
    const pos = this.w.pos(c.value);
    let from: string | undefined;
    let to: string | undefined;
    let expect: 'reply' | 'no-reply' = 'reply';
    let count = 3;
    let within = 60;
    let name: string | undefined;
    if (isScalar(c.value.node)) {
      const t = this.w.text(c.value, '"FROM ADDRESS" or a mapping with from: and to:') ?? '';
      [from, to] = t.split(/\s+/);
      if (to === undefined) this.w.issue(c.value, 'a ping is "FROM ADDRESS" (e.g. "B1 192.168.10.10")');
    } else {
      const m = this.w.map(c.value, ['name', 'from', 'to', 'expect', 'count', 'within']) ?? [];
      for (const p of m) {
        if (p.key === 'name') name = this.w.text(p.value, 'a short description');
        else if (p.key === 'from') from = this.w.text(p.value, 'a namespace name');
        else if (p.key === 'to') to = this.w.text(p.value, 'an address');
        else if (p.key === 'count') count = this.w.int(p.value, 1, 100) ?? count;
        else if (p.key === 'within') within = this.w.seconds(p.value) ?? within;
        else {
          const e = this.w.text(p.value);
          if (e === 'reply' || e === 'no-reply') expect = e;
          else this.w.issue(p.value, 'must be reply or no-reply');
        }
      }
      if (from === undefined || to === undefined) this.w.issue(c.value, 'a ping needs from: and to:');
    }
    if (from === undefined || to === undefined) return undefined;
    if (!this.namespaceRef(c.value, from)) return undefined;
    if (isIP(to) === 0) {
      this.w.issue(c.value, `"${to}" is not an IP address`);
      return undefined;
    }
    const check: PingCheck = { kind: 'ping', from, to, expect, count, within, pos };
    return name === undefined ? check : { ...check, name };
  }

  private capture(c: Entry): CaptureCheck | undefined {
    const pos = this.w.pos(c.value);
    const m = this.w.map(c.value, ['name', 'link', 'match', 'args', 'within']) ?? [];
    let name: string | undefined;
    let link: LinkEnd | undefined;
    let match: RegExp | undefined;
    const args: string[] = [];
    let within = 20;
    for (const p of m) {
      if (p.key === 'name') name = this.w.text(p.value, 'a short description');
      else if (p.key === 'link') link = this.linkRef(p.value);
      else if (p.key === 'within') within = this.w.seconds(p.value) ?? within;
      else if (p.key === 'args') {
        for (const a of this.w.list(p.value, true) ?? []) {
          const t = this.w.text(a, 'a tcpdump argument');
          if (t !== undefined) args.push(t);
        }
      } else {
        const t = this.w.text(p.value, 'a regular expression');
        if (t === undefined) continue;
        try {
          match = new RegExp(t);
        } catch (err) {
          this.w.issue(p.value, `not a regular expression: ${(err as Error).message}`);
        }
      }
    }
    if (m.length > 0 && (m.every((p) => p.key !== 'link') || m.every((p) => p.key !== 'match')))
      this.w.issue(c.value, 'a capture needs link: (NAMESPACE:DEV) and match: (a regular expression)');
    if (link === undefined || match === undefined) return undefined;
    const check: CaptureCheck = { kind: 'capture', link, match, args, within, pos };
    return name === undefined ? check : { ...check, name };
  }

  /** "NS:DEV", an interface the lab makes. */
  private linkRef(at: At): LinkEnd | undefined {
    const t = this.w.text(at, 'NAMESPACE:DEV');
    if (t === undefined) return undefined;
    const i = t.indexOf(':');
    if (i < 0) {
      this.w.issue(at, `"${t}" names no namespace: write NAMESPACE:DEV, e.g. node3:eth1`);
      return undefined;
    }
    const ns = t.slice(0, i);
    const dev = t.slice(i + 1);
    if (!this.namespaceRef(at, ns)) return undefined;
    if (!this.devices.get(ns)?.has(dev)) {
      const known = [...(this.devices.get(ns)?.keys() ?? [])];
      this.w.issue(at, `namespace ${ns} has no interface ${dev} (it has ${known.join(', ')})`);
      return undefined;
    }
    return { ns, dev };
  }
}
