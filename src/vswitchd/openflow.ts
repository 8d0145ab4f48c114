// vswitchd's OpenFlow side (OVS bridge.c bridge_configure_remotes and refresh_controller_status): after
// each reconfiguration pass, every bridge of the switch gets its management socket
// punix:$RUNDIR/BRIDGE.mgmt (and punix:$RUNDIR/BRIDGE.snoop for ovs-ofctl snoop) and the controllers of its Bridge.controller rows in the connection manager
// (src/ofproto/connmgr.ts); bridges that went away lose theirs. The Controller rows' is_connected, role
// and status are written back with the other status columns.
import { join } from 'node:path';
import type { ControllerStatus } from '../ofproto/connmgr.js';
import { ConnectionManager } from '../ofproto/connmgr.js';
import type { OpenFlowSwitch } from '../ofproto/of-switch.js';
import { Ofproto } from '../ofproto/ofproto.js';
import { DEFAULT_VERSIONS } from '../openflow/conn.js';
import { versionFromName } from '../openflow/wire.js';
import type { Replica, ReplicaRow } from '../ovsdb/client/replica.js';
import type { Transaction } from '../ovsdb/client/txn.js';
import type { Atom } from '../ovsdb/types.js';
import { controllerConfig, controllerRows } from './controllers.js';
import { ColumnWriter } from './status.js';
import type { OfprotoApi } from './switch.js';
import type { ModuleLog } from './vlog.js';

/**
 * ADAPTER (for the lead): the switch as OpenFlow sees it. Ofproto implements OpenFlowSwitch; a build
 * without it (tests with their own ofproto) gets no OpenFlow service.
 */
export function openFlowSwitchOf(ofproto: OfprotoApi): OpenFlowSwitch | null {
  return ofproto instanceof Ofproto ? ofproto : null;
}

/** The Bridge rows by name. */
function bridgeRows(replica: Replica): Map<string, ReplicaRow> {
  const out = new Map<string, ReplicaRow>();
  for (const row of replica.rows('Bridge').values()) out.set(row.string('name'), row);
  return out;
}

export interface OpenFlowServiceOptions {
  /** Where BRIDGE.mgmt sockets go ($TSOVS_RUNDIR). */
  readonly rundir: string;
  readonly log: ModuleLog;
  readonly clock?: () => number;
}

/** The connection manager, driven from the database. */
export class OpenFlowService {
  readonly manager: ConnectionManager;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    readonly sw: OpenFlowSwitch,
    private readonly opts: OpenFlowServiceOptions,
  ) {
    this.manager = new ConnectionManager(sw, { log: opts.log, clock: opts.clock, rundir: opts.rundir });
  }

  /** The management socket of `bridge`. */
  mgmtPath(bridge: string): string {
    return join(this.opts.rundir, `${bridge}.mgmt`);
  }

  /**
   * Brings the manager in line with the replica for the bridges the switch has (`bridges`); resolves once
   * listeners are bound. Errors are logged, never thrown.
   */
  configure(replica: Replica, bridges: readonly string[]): Promise<void> {
    const rows = bridgeRows(replica);
    const wanted = new Set(bridges);
    const work = async () => {
      for (const name of this.manager.bridgeNames())
        if (!wanted.has(name)) await this.manager.removeBridge(name);
      for (const name of bridges) {
        const row = rows.get(name);
        const controllers = row === undefined ? [] : controllerRows(replica, row).map(controllerConfig);
        await this.manager.setBridge(name, {
          mgmtPath: this.mgmtPath(name),
          snoopPath: join(this.opts.rundir, `${name}.snoop`),
          controllers: controllers.filter((c) => c.target !== ''),
          failMode: row?.string('fail_mode') ?? null,
          versions: row === undefined ? undefined : bridgeVersions(row),
        });
      }
    };
    this.pending = this.pending.then(work).catch((err: unknown) => {
      this.opts.log.warn(
        `OpenFlow configuration failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    return this.pending;
  }

  /**
   * Adds the Controller rows' status to `txn` (is_connected and role always, the status map with the
   * statistics as OVS refreshes it, or when the state changed); returns how many columns.
   */
  writeStatus(txn: Transaction, withStats: boolean): number {
    const w = new ColumnWriter(txn);
    const replica = txn.replica;
    for (const [name, row] of bridgeRows(replica)) {
      const info = this.manager.controllerStatus(name);
      for (const c of controllerRows(replica, row)) {
        const st: ControllerStatus = info.get(c.string('target')) ?? {
          isConnected: false,
          role: null,
          status: {},
        };
        w.set('Controller', c.uuid, 'is_connected', st.isConnected);
        w.set('Controller', c.uuid, 'role', st.role ?? []);
        const stateChanged = c.map('status').get('state') !== (st.status.state ?? undefined);
        if (withStats || stateChanged) {
          w.set('Controller', c.uuid, 'status', new Map<Atom, Atom>(Object.entries(st.status)));
        }
      }
    }
    return w.count;
  }

  /** Closes every listener and connection. */
  async close(): Promise<void> {
    await this.pending;
    await this.manager.close();
  }
}

/**
 * The versions Bridge.protocols allows, among those tsovs speaks (1.0, 1.3, 1.4, 1.5); an empty column (or one
 * naming none of them) means the default, as in Open vSwitch.
 */
function bridgeVersions(row: ReplicaRow): number | undefined {
  let bits = 0;
  for (const name of row.elements('protocols')) {
    const v = versionFromName(String(name));
    if (v !== undefined) bits |= 1 << v;
  }
  const usable = (bits & DEFAULT_VERSIONS) >>> 0;
  return usable === 0 ? undefined : usable;
}
