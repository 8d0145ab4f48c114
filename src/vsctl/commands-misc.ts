// ovs-vsctl's whole-switch commands (utilities/ovs-vsctl.c, lib/db-ctl-base.c): init (the runner creates
// the Open_vSwitch row if there is none, so nothing is left to do), show, and emer-reset.
import type { TxnRow } from '../ovsdb/client/txn.js';
import { makeDatum } from '../ovsdb/datum.js';
import { type CommandContext, type CommandSpec, registerCommands, tableRows } from './command.js';
import { invalidateBridgeCache } from './commands-common.js';
import { formatShow } from './show.js';

function show(ctx: CommandContext): void {
  ctx.output += formatShow({
    rows: (table) => tableRows(ctx, table),
    row: (table, uuid) => ctx.txn.row(table, uuid),
  });
}

/** Keeps only the "hwaddr" key of a bridge's other_config. */
function resetBridge(br: TxnRow): void {
  for (const column of ['controller', 'fail_mode', 'mirrors', 'netflow', 'sflow', 'ipfix', 'flood_vlans'])
    br.set(column, []);
  const hwaddr = br.map('other_config').get('hwaddr');
  br.set('other_config', hwaddr === undefined ? makeDatum([], []) : makeDatum(['hwaddr'], [hwaddr]));
}

/** Tables whose every row emer-reset deletes. */
const RESET_TABLES = [
  'Mirror',
  'Controller',
  'Manager',
  'NetFlow',
  'SSL',
  'sFlow',
  'IPFIX',
  'Flow_Sample_Collector_Set',
];

function emerReset(ctx: CommandContext): void {
  ctx.ovs.set('manager_options', []);
  ctx.ovs.set('ssl', []);
  for (const br of tableRows(ctx, 'Bridge')) resetBridge(br);
  for (const port of tableRows(ctx, 'Port')) port.set('other_config', makeDatum([], []));
  for (const iface of tableRows(ctx, 'Interface')) {
    iface.set('ingress_policing_rate', 0);
    iface.set('ingress_policing_burst', 0);
  }
  for (const table of RESET_TABLES) for (const row of tableRows(ctx, table)) row.delete();
  invalidateBridgeCache(ctx);
}

/** init, show and emer-reset. */
export const MISC_COMMANDS: readonly CommandSpec[] = [
  { name: 'init', minArgs: 0, maxArgs: 0, usage: '', options: [], mode: 'rw', run: () => {} },
  { name: 'show', minArgs: 0, maxArgs: 0, usage: '', options: [], mode: 'ro', run: show },
  { name: 'emer-reset', minArgs: 0, maxArgs: 0, usage: '', options: [], mode: 'rw', run: emerReset },
];

registerCommands(MISC_COMMANDS);
