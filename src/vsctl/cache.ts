// ovs-vsctl's model of the switch (utilities/ovs-vsctl.c, vsctl_context_populate_cache): bridges (real
// ones, and "fake" VLAN bridges that are a Port with fake_bridge=true and a tag on a real bridge), their
// ports and interfaces, indexed by name, built from a transaction's view of the Open_vSwitch row. It keeps
// OVS's tie-breaking for inconsistent databases (duplicate names, a port in two bridges) and its warnings,
// and the edits the bridge/port commands make through it (insert/delete a bridge, port or interface).
import type { Transaction, TxnRow } from '../ovsdb/client/txn.js';
import type { Atom } from '../ovsdb/types.js';

/** A bridge as ovs-vsctl sees it: `row` is null and `parent` set for a fake (VLAN) bridge. */
export interface VsctlBridge {
  readonly name: string;
  /** The Bridge row of a real bridge; null for a fake bridge. */
  readonly row: TxnRow | null;
  /** The real bridge a fake bridge lives on, or null. */
  readonly parent: VsctlBridge | null;
  /** A fake bridge's VLAN (0…4095); 0 for a real bridge. */
  readonly vlan: number;
  /** The ports attached to this bridge, in database order. */
  readonly ports: VsctlPort[];
  /** A real bridge's fake bridges, by VLAN. */
  readonly children: Map<number, VsctlBridge>;
}

/** A port and the bridge (real or fake) it belongs to. */
export interface VsctlPort {
  readonly row: TxnRow;
  readonly bridge: VsctlBridge;
  /** Its interfaces, in database order. */
  readonly ifaces: VsctlIface[];
}

/** An interface and its port. */
export interface VsctlIface {
  readonly row: TxnRow;
  readonly port: VsctlPort;
}

/** Where the cache reports what it finds wrong with the database (OVS logs these at WARN and ERR). */
export interface CacheLogger {
  warn(message: string): void;
  error(message: string): void;
}

/** The VLAN of a Port row that is a fake bridge (fake_bridge=true and a tag in 0…4095), else undefined. */
export function fakeBridgeVlan(port: TxnRow): number | undefined {
  if (!port.boolean('fake_bridge')) return undefined;
  return validTag(port);
}

/** A Port's tag when it is in 0…4095, else undefined. */
export function validTag(port: TxnRow): number | undefined {
  const tag = port.number('tag');
  return tag !== undefined && tag >= 0 && tag <= 4095 ? tag : undefined;
}

/** Rows named by a reference column, skipping references to rows that do not exist. */
export function referencedRows(txn: Transaction, row: TxnRow, column: string, table: string): TxnRow[] {
  const out: TxnRow[] = [];
  for (const uuid of row.elements(column)) {
    const target = txn.row(table, uuid as string);
    if (target !== undefined) out.push(target);
  }
  return out;
}

/** The cache of one command: bridges, ports and interfaces by name. */
export class VsctlCache {
  readonly bridges = new Map<string, VsctlBridge>();
  readonly ports = new Map<string, VsctlPort>();
  readonly ifaces = new Map<string, VsctlIface>();
  private verifiedPorts = false;

  private constructor(
    readonly txn: Transaction,
    /** The Open_vSwitch row. */
    readonly ovs: TxnRow,
  ) {}

  /** Builds the cache the way vsctl_context_populate_cache does (two passes over the bridges). */
  static populate(txn: Transaction, ovs: TxnRow, log: CacheLogger): VsctlCache {
    const cache = new VsctlCache(txn, ovs);
    const bridgeRows = referencedRows(txn, ovs, 'bridges', 'Bridge');
    cache.addBridges(bridgeRows, log);
    cache.addPorts(bridgeRows, log);
    return cache;
  }

  /** First pass: real bridges, then the fake bridges their ports define. */
  private addBridges(bridgeRows: TxnRow[], log: CacheLogger): void {
    const bridgeNames = new Set<string>();
    const portNames = new Set<string>();
    for (const brRow of bridgeRows) {
      const name = brRow.string('name');
      if (bridgeNames.has(name)) {
        log.warn(`${name}: database contains duplicate bridge name`);
        continue;
      }
      bridgeNames.add(name);
      const br = this.addBridge(brRow, name, null, 0, log);
      for (const portRow of referencedRows(this.txn, brRow, 'ports', 'Port')) {
        const portName = portRow.string('name');
        if (portNames.has(portName)) continue;
        portNames.add(portName);
        const vlan = fakeBridgeVlan(portRow);
        if (vlan !== undefined && !bridgeNames.has(portName)) {
          bridgeNames.add(portName);
          this.addBridge(null, portName, br, vlan, log);
        }
      }
    }
  }

  /** Second pass: ports and interfaces, skipping duplicates and ports that are duplicate fake bridges. */
  private addPorts(bridgeRows: TxnRow[], log: CacheLogger): void {
    const bridgeNames = new Set<string>();
    for (const brRow of bridgeRows) {
      const name = brRow.string('name');
      if (bridgeNames.has(name)) continue;
      bridgeNames.add(name);
      const br = this.bridges.get(name) as VsctlBridge;
      for (const portRow of referencedRows(this.txn, brRow, 'ports', 'Port')) {
        const portName = portRow.string('name');
        const existing = this.ports.get(portName);
        if (existing !== undefined) {
          if (existing.row === portRow)
            log.warn(`${portName}: port is in multiple bridges (${br.name} and ${existing.bridge.name})`);
          else log.error(`${portName}: database contains duplicate port name`);
          continue;
        }
        if (fakeBridgeVlan(portRow) !== undefined) {
          if (bridgeNames.has(portName)) continue;
          bridgeNames.add(portName);
        }
        const port = this.addPort(br, portRow);
        this.addIfaces(port, log);
      }
    }
  }

  private addIfaces(port: VsctlPort, log: CacheLogger): void {
    for (const ifaceRow of referencedRows(this.txn, port.row, 'interfaces', 'Interface')) {
      const ifaceName = ifaceRow.string('name');
      const existing = this.ifaces.get(ifaceName);
      if (existing !== undefined) {
        if (existing.row === ifaceRow) {
          const ports = `${existing.port.row.string('name')} and ${port.row.string('name')}`;
          log.warn(`${ifaceName}: interface is in multiple ports (${ports})`);
        } else {
          log.error(`${ifaceName}: database contains duplicate interface name`);
        }
        continue;
      }
      this.addIface(port, ifaceRow);
    }
  }

  /** Adds a bridge (add_bridge_to_cache); a second fake bridge for one VLAN is kept out of the parent's children. */
  addBridge(
    row: TxnRow | null,
    name: string,
    parent: VsctlBridge | null,
    vlan: number,
    log: CacheLogger,
  ): VsctlBridge {
    const br: VsctlBridge = { name, row, parent, vlan, ports: [], children: new Map() };
    if (parent !== null) {
      const conflict = parent.children.get(vlan);
      if (conflict !== undefined) {
        log.warn(
          `${parent.name}: bridge has multiple VLAN bridges (${name} and ${conflict.name}) for VLAN ${vlan}, but only one is allowed`,
        );
      } else {
        parent.children.set(vlan, br);
      }
    }
    this.bridges.set(name, br);
    return br;
  }

  /** Adds a port (add_port_to_cache): a port whose tag names a fake bridge of `parent` goes to that bridge. */
  addPort(parent: VsctlBridge, row: TxnRow): VsctlPort {
    const tag = validTag(row);
    const vlanBridge = tag === undefined ? undefined : parent.children.get(tag);
    const bridge = vlanBridge ?? parent;
    const port: VsctlPort = { row, bridge, ifaces: [] };
    bridge.ports.push(port);
    if (!this.ports.has(row.string('name'))) this.ports.set(row.string('name'), port);
    return port;
  }

  /** Adds an interface to a port (add_iface_to_cache). */
  addIface(port: VsctlPort, row: TxnRow): VsctlIface {
    const iface: VsctlIface = { row, port };
    port.ifaces.push(iface);
    if (!this.ifaces.has(row.string('name'))) this.ifaces.set(row.string('name'), iface);
    return iface;
  }

  /** Reads (and so verifies) the bridges' ports and the ports' interfaces once (verify_ports). */
  verifyPorts(): void {
    if (this.verifiedPorts) return;
    this.ovs.verify('bridges');
    for (const br of this.txn.rows('Bridge')) br.verify('ports');
    for (const port of this.txn.rows('Port')) port.verify('interfaces');
    this.verifiedPorts = true;
  }

  /** The bridge named `name`, or undefined (find_bridge without must_exist). */
  findBridge(name: string): VsctlBridge | undefined {
    this.ovs.verify('bridges');
    return this.bridges.get(name);
  }

  /** The port named `name`, unless it is a bridge's local port (find_port without must_exist). */
  findPort(name: string): VsctlPort | undefined {
    let port = this.ports.get(name);
    if (port !== undefined && name === port.bridge.name) port = undefined;
    this.verifyPorts();
    return port;
  }

  /** The interface named `name`, unless it is a bridge's local interface (find_iface without must_exist). */
  findIface(name: string): VsctlIface | undefined {
    let iface = this.ifaces.get(name);
    if (iface !== undefined && name === iface.port.bridge.name) iface = undefined;
    this.verifyPorts();
    return iface;
  }

  /** The Bridge row that holds a bridge's ports (the parent's for a fake bridge). */
  static realRow(br: VsctlBridge): TxnRow {
    return (br.row ?? br.parent?.row) as TxnRow;
  }

  /** Appends a port to a Bridge row's ports (bridge_insert_port). */
  static insertPortRow(brRow: TxnRow, portRow: TxnRow): void {
    brRow.set('ports', [...brRow.elements('ports'), portRow.uuid]);
  }

  /** Deletes a port and its interfaces from the database and the cache (del_port). */
  deletePort(port: VsctlPort): void {
    const brRow = VsctlCache.realRow(port.bridge);
    brRow.set('ports', without(brRow.elements('ports'), port.row.uuid));
    for (const iface of [...port.ifaces]) this.deleteIface(iface);
    removeItem(port.bridge.ports, port);
    if (this.ports.get(port.row.string('name')) === port) this.ports.delete(port.row.string('name'));
    port.row.delete();
  }

  /** Deletes an interface row and forgets it (del_cached_iface). */
  deleteIface(iface: VsctlIface): void {
    removeItem(iface.port.ifaces, iface);
    if (this.ifaces.get(iface.row.string('name')) === iface) this.ifaces.delete(iface.row.string('name'));
    iface.row.delete();
  }

  /** Deletes a bridge with its fake bridges, ports and flow-sample collector sets (del_bridge). */
  deleteBridge(br: VsctlBridge): void {
    for (const child of [...br.children.values()]) this.deleteBridge(child);
    for (const port of [...br.ports]) this.deletePort(port);
    if (br.row !== null) {
      for (const fscs of this.txn.rows('Flow_Sample_Collector_Set'))
        if (fscs.scalar('bridge') === br.row.uuid) fscs.delete();
    }
    if (br.parent !== null && br.parent.children.get(br.vlan) === br) br.parent.children.delete(br.vlan);
    if (br.row !== null) {
      br.row.delete();
      this.ovs.set('bridges', without(this.ovs.elements('bridges'), br.row.uuid));
    }
    this.bridges.delete(br.name);
  }
}

function without(atoms: readonly Atom[], uuid: string): Atom[] {
  return atoms.filter((a) => a !== uuid);
}

function removeItem<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
