// ovs-vsctl's manager commands (utilities/ovs-vsctl.c): get-manager, set-manager (with
// --inactivity-probe) and del-manager, over Open_vSwitch.manager_options and the Manager table.
import type { TxnRow } from '../ovsdb/client/txn.js';
import { referencedRows } from './cache.js';
import { type CommandContext, type CommandSpec, registerCommands } from './command.js';
import { sortedLines } from './commands-common.js';
import { insertTargets } from './commands-controller.js';

/** The Manager rows of manager_options, having read (so verified) their targets (verify_managers). */
function managers(ctx: CommandContext): TxnRow[] {
  const rows = referencedRows(ctx.txn, ctx.ovs, 'manager_options', 'Manager');
  for (const row of rows) row.verify('target');
  return rows;
}

function getManager(ctx: CommandContext): void {
  const targets = new Set(managers(ctx).map((m) => m.string('target')));
  ctx.output += sortedLines(targets);
}

/** Deletes every Manager row of manager_options and empties the column (delete_managers). */
function deleteManagers(ctx: CommandContext, rows: readonly TxnRow[]): void {
  for (const row of rows) row.delete();
  ctx.ovs.set('manager_options', []);
}

function delManager(ctx: CommandContext): void {
  deleteManagers(ctx, managers(ctx));
}

function setManager(ctx: CommandContext): void {
  deleteManagers(ctx, managers(ctx));
  const rows = insertTargets(ctx, 'Manager', ctx.argv.slice(1));
  ctx.ovs.set(
    'manager_options',
    rows.map((r) => r.uuid),
  );
}

/** The manager commands. */
export const MANAGER_COMMANDS: readonly CommandSpec[] = [
  { name: 'get-manager', minArgs: 0, maxArgs: 0, usage: '', options: [], mode: 'ro', run: getManager },
  { name: 'del-manager', minArgs: 0, maxArgs: 0, usage: '', options: [], mode: 'rw', run: delManager },
  {
    name: 'set-manager',
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'TARGET...',
    options: ['--inactivity-probe='],
    mode: 'rw',
    run: setManager,
  },
];

registerCommands(MANAGER_COMMANDS);
