// ovs-vsctl's OpenFlow controller and fail-mode commands (utilities/ovs-vsctl.c): get-controller,
// set-controller (with --inactivity-probe), del-controller, get-fail-mode, set-fail-mode, del-fail-mode.
import type { TxnRow } from '../ovsdb/client/txn.js';
import { referencedRows, VsctlCache } from './cache.js';
import {
  type CommandContext,
  type CommandSpec,
  optionValue,
  registerCommands,
  VsctlError,
} from './command.js';
import { atoll, bridgeCache, mustFindBridge, mustFindRealBridge, sortedLines } from './commands-common.js';

const ACTIVE_CLASSES = ['tcp', 'unix', 'ssl'];
const PASSIVE_CLASSES = ['ptcp', 'punix', 'pssl'];

/** True when `target` starts with one of `classes` and a colon (vconn_lookup_class / stream_lookup_class). */
function hasClass(target: string, classes: readonly string[]): boolean {
  const colon = target.indexOf(':');
  return colon >= 0 && classes.includes(target.slice(0, colon));
}

/** Warns, as ovs-vsctl does, about a target that is neither an active nor a passive connection name. */
export function warnUnknownTarget(ctx: CommandContext, target: string): void {
  if (!hasClass(target, ACTIVE_CLASSES) && !hasClass(target, PASSIVE_CLASSES))
    ctx.warn(`target type "${target}" is possibly erroneous`, 'vsctl');
}

/** A bridge's Controller rows, having read (so verified) their targets (verify_controllers). */
function controllers(ctx: CommandContext, br: TxnRow): TxnRow[] {
  const rows = referencedRows(ctx.txn, br, 'controller', 'Controller');
  for (const row of rows) row.verify('target');
  return rows;
}

function getController(ctx: CommandContext): void {
  const br = mustFindBridge(bridgeCache(ctx), ctx.argv[1]);
  const row = VsctlCache.realRow(br);
  ctx.output += sortedLines(controllers(ctx, row).map((c) => c.string('target')));
}

function delController(ctx: CommandContext): void {
  const br = mustFindRealBridge(bridgeCache(ctx), ctx.argv[1]).row;
  const rows = controllers(ctx, br);
  if (rows.length === 0) return;
  for (const row of rows) row.delete();
  br.set('controller', []);
}

/** Inserts Controller or Manager rows for `targets`, with --inactivity-probe when given. */
export function insertTargets(ctx: CommandContext, table: string, targets: readonly string[]): TxnRow[] {
  const probe = optionValue(ctx, '--inactivity-probe');
  return targets.map((target) => {
    warnUnknownTarget(ctx, target);
    const row = ctx.txn.insert(table, { target });
    if (probe !== null) row.set('inactivity_probe', atoll(probe));
    return row;
  });
}

function setController(ctx: CommandContext): void {
  const br = mustFindRealBridge(bridgeCache(ctx), ctx.argv[1]).row;
  for (const row of controllers(ctx, br)) row.delete();
  const rows = insertTargets(ctx, 'Controller', ctx.argv.slice(2));
  br.set(
    'controller',
    rows.map((r) => r.uuid),
  );
}

function getFailMode(ctx: CommandContext): void {
  const br = mustFindBridge(bridgeCache(ctx), ctx.argv[1]);
  const mode = VsctlCache.realRow(br).string('fail_mode');
  if (mode !== '') ctx.output += `${mode}\n`;
}

function delFailMode(ctx: CommandContext): void {
  mustFindRealBridge(bridgeCache(ctx), ctx.argv[1]).row.set('fail_mode', []);
}

function setFailMode(ctx: CommandContext): void {
  const br = mustFindRealBridge(bridgeCache(ctx), ctx.argv[1]).row;
  const mode = ctx.argv[2];
  if (mode !== 'standalone' && mode !== 'secure')
    throw new VsctlError('fail-mode must be "standalone" or "secure"');
  br.set('fail_mode', mode);
}

const spec = (
  name: string,
  args: [number, number],
  usage: string,
  mode: 'ro' | 'rw',
  run: (ctx: CommandContext) => void,
  options: string[] = [],
): CommandSpec => ({ name, minArgs: args[0], maxArgs: args[1], usage, options, mode, run });

/** The controller and fail-mode commands. */
export const CONTROLLER_COMMANDS: readonly CommandSpec[] = [
  spec('get-controller', [1, 1], 'BRIDGE', 'ro', getController),
  spec('del-controller', [1, 1], 'BRIDGE', 'rw', delController),
  spec('set-controller', [1, Number.POSITIVE_INFINITY], 'BRIDGE TARGET...', 'rw', setController, [
    '--inactivity-probe=',
  ]),
  spec('get-fail-mode', [1, 1], 'BRIDGE', 'ro', getFailMode),
  spec('del-fail-mode', [1, 1], 'BRIDGE', 'rw', delFailMode),
  spec('set-fail-mode', [2, 2], 'BRIDGE MODE', 'rw', setFailMode),
];

registerCommands(CONTROLLER_COMMANDS);
