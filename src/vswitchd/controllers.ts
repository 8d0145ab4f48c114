// The Controller rows of a Bridge as vswitchd reads them (OVS bridge.c bridge_configure_remotes): their
// settings for the connection manager, and how many primary controllers a bridge has (what fail_mode is
// about). Pure functions over replica rows.
import type { ControllerConfig } from '../ofproto/connmgr.js';
import type { Replica, ReplicaRow } from '../ovsdb/client/replica.js';

/** A Controller row as the connection manager takes it. */
export function controllerConfig(row: ReplicaRow): ControllerConfig {
  const type = row.string('type');
  const async = row.scalar('enable_async_messages');
  return {
    target: row.string('target'),
    type: type === 'primary' || type === 'service' ? type : null,
    maxBackoffMs: row.number('max_backoff') ?? null,
    inactivityProbeMs: row.number('inactivity_probe') ?? null,
    enableAsyncMessages: async === undefined ? null : async === true,
  };
}

/**
 * How many primary controllers a Bridge row configures (connmgr_has_controllers): active targets unless
 * the row says type=service, passive ones only with type=primary. What fail_mode applies to.
 */
export function primaryControllerCount(replica: Replica, bridge: ReplicaRow): number {
  let n = 0;
  for (const row of controllerRows(replica, bridge)) {
    const c = controllerConfig(row);
    const active = /^(tcp|unix):/.test(c.target);
    const passive = /^p(tcp|unix):/.test(c.target);
    if ((active && c.type !== 'service') || (passive && c.type === 'primary')) n++;
  }
  return n;
}

/** The Controller rows a Bridge row references, in the row's order. */
export function controllerRows(replica: Replica, bridge: ReplicaRow): ReplicaRow[] {
  const out: ReplicaRow[] = [];
  for (const id of bridge.elements('controller')) {
    const row = replica.row('Controller', String(id));
    if (row !== undefined) out.push(row);
  }
  return out;
}
