// Helpers the ovs-vsctl switch commands share (utilities/ovs-vsctl.c): the per-attempt bridge cache,
// find_bridge/find_port/find_iface with their "no … named" errors, check_conflicts, the command's own text
// for "--may-exist" errors, `COLUMN[:KEY]=VALUE` settings (ctl_set_column), ovs-vsctl's WARN log lines,
// an exit status other than 1 (br-exists), and the check of new interfaces after ovs-vswitchd reloaded.
import type { Replica } from '../ovsdb/client/replica.js';
import type { Transaction, TxnRow } from '../ovsdb/client/txn.js';
import { makeDatum } from '../ovsdb/datum.js';
import { compareBytes } from '../ovsdb/ovs-json.js';
import { shashOrder } from '../ovsdb/shash-order.js';
import type { Atom } from '../ovsdb/types.js';
import { type VsctlBridge, VsctlCache, type VsctlIface, type VsctlPort } from './cache.js';
import {
  type CommandContext,
  checkMutable,
  parseAtom,
  parseColumnKeyValue,
  parseDatum,
  VsctlError,
} from './command.js';
import { VsctlExit } from './syntax.js';

/**
 * Ends the invocation at once with `status` and no message, as ovs-vsctl's vsctl_exit does (br-exists → 2):
 * nothing is committed or printed.
 */
export function vsctlExit(status: number): never {
  throw new VsctlExit(status);
}

const CACHE_KEY = 'vsctl-bridge-cache';

/** The bridge cache of this attempt, built on first use (vsctl_context_populate_cache). */
export function bridgeCache(ctx: CommandContext): VsctlCache {
  let cache = ctx.cache.get(CACHE_KEY) as VsctlCache | undefined;
  if (cache === undefined) {
    cache = VsctlCache.populate(ctx.txn, ctx.ovs, {
      warn: (m) => ctx.warn(m, 'vsctl'),
      error: (m) => errorLine(m),
    });
    ctx.cache.set(CACHE_KEY, cache);
  }
  return cache;
}

/** Forgets the bridge cache (vsctl_context_invalidate_cache). */
export function invalidateBridgeCache(ctx: CommandContext): void {
  ctx.cache.delete(CACHE_KEY);
}

/** find_bridge with must_exist: the bridge, or "no bridge named NAME". */
export function mustFindBridge(cache: VsctlCache, name: string): VsctlBridge {
  const br = cache.findBridge(name);
  if (br === undefined) throw new VsctlError(`no bridge named ${name}`);
  return br;
}

/** find_real_bridge with must_exist: also refuses a fake bridge. */
export function mustFindRealBridge(cache: VsctlCache, name: string): VsctlBridge & { row: TxnRow } {
  const br = mustFindBridge(cache, name);
  if (br.parent !== null || br.row === null) throw new VsctlError(`${name} is a fake bridge`);
  return br as VsctlBridge & { row: TxnRow };
}

/** find_port with must_exist. */
export function mustFindPort(cache: VsctlCache, name: string): VsctlPort {
  const port = cache.findPort(name);
  if (port === undefined) throw new VsctlError(`no port named ${name}`);
  return port;
}

/** find_iface with must_exist. */
export function mustFindIface(cache: VsctlCache, name: string): VsctlIface {
  const iface = cache.findIface(name);
  if (iface === undefined) throw new VsctlError(`no interface named ${name}`);
  return iface;
}

/** Fails with "MSG because a bridge/port/interface named NAME already exists …" (check_conflicts). */
export function checkConflicts(cache: VsctlCache, name: string, msg: string): void {
  cache.verifyPorts();
  if (cache.bridges.has(name)) throw new VsctlError(`${msg} because a bridge named ${name} already exists`);
  const port = cache.ports.get(name);
  if (port !== undefined) {
    throw new VsctlError(`${msg} because a port named ${name} already exists on bridge ${port.bridge.name}`);
  }
  const iface = cache.ifaces.get(name);
  if (iface !== undefined) {
    throw new VsctlError(
      `${msg} because an interface named ${name} already exists on bridge ${iface.port.bridge.name}`,
    );
  }
}

/** Words joined by spaces, each quoted when it holds a space, quote or backslash (process_escape_args). */
export function escapeArgs(words: readonly string[]): string {
  return words
    .map((w) => (/[ \t\r\n\v\\'"]/.test(w) ? `"${w.replace(/[\\"]/g, (c) => `\\${c}`)}"` : w))
    .join(' ');
}

/** The command as ovs-vsctl quotes it in errors: its options (in OVS's hash order), then its words. */
export function commandText(ctx: CommandContext): string {
  return escapeArgs([...shashOrder(ctx.options.keys()), ...ctx.argv]);
}

/** A string-keyed map column of a row, as an ordinary Map. */
export function stringMap(row: TxnRow, column: string): Map<string, string> {
  return new Map([...row.map(column)].map(([k, v]) => [String(k), String(v)]));
}

/** Writes a string map to a column. */
export function setStringMap(row: TxnRow, column: string, map: ReadonlyMap<string, string>): void {
  row.set(column, makeDatum([...map.keys()], [...map.values()]));
}

/**
 * Applies one `COLUMN[:KEY]=VALUE` setting to a row (db-ctl-base's ctl_set_column): the whole column, or
 * one key of a map column; errors as ovs-vsctl words them.
 */
export function applySetting(ctx: CommandContext, row: TxnRow, arg: string): void {
  const parsed = parseColumnKeyValue(arg, row.table, ['=']);
  const column = parsed.column;
  const value = parsed.value as string;
  checkMutable(row, column.name);
  if (parsed.key === null) {
    row.set(column.name, parseDatum(column.type, value, ctx.symbols));
    return;
  }
  if (column.type.value === null)
    throw new VsctlError(`cannot specify key to set for non-map column ${column.name}`);
  const key = parseAtom(column.type.key, parsed.key, ctx.symbols)[0];
  const val = parseAtom(column.type.value, value, ctx.symbols)[0];
  const old = row.get(column.name);
  // makeDatum keeps the last of duplicate keys, so the new value replaces an old one.
  const keys: Atom[] = [...old.keys, key];
  const values: Atom[] = [...(old.values ?? []), val];
  row.set(column.name, makeDatum(keys, values));
}

/** C's atoi(): optional spaces and sign, then digits; anything else ends the number (0 if none). */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number.parseInt(m[1], 10);
  return n | 0;
}

/** C's atoll(): like atoi, without the 32-bit wrap. */
export function atoll(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1], 10);
}

/** Names sorted as C's strcmp orders them, one a line (output_sorted). */
export function sortedLines(names: Iterable<string>): string {
  return [...names]
    .sort(compareBytes)
    .map((n) => `${n}\n`)
    .join('');
}

/**
 * Prints an ERR log line as ovs-vsctl's console does. Only the cache's "database contains duplicate …"
 * errors use it, which OVS's name indexes make unreachable; its sequence number is not shared with the
 * runner's warnings (the runner's log has no ERR level).
 */
function errorLine(message: string): void {
  const time = `${new Date().toISOString().slice(0, 19)}Z`;
  process.stderr.write(`${time}|00001|vsctl|ERR|${message}\n`);
}

/** Interfaces each attempt's transaction created, to check once ovs-vswitchd applied it (neoteric_ifaces). */
const newIfaces = new WeakMap<Transaction, string[]>();

/** Records an interface this command creates, for the check after reload (post_db_reload_expect_iface). */
export function expectIface(ctx: CommandContext, row: TxnRow): void {
  const list = newIfaces.get(ctx.txn) ?? [];
  list.push(row.uuid);
  newIfaces.set(ctx.txn, list);
}

/**
 * What ovs-vsctl prints on stderr after ovs-vswitchd applied a transaction that created interfaces
 * (post_db_reload_do_checks): one line per new interface that got no OpenFlow port, then where the logs
 * are. `inserted` maps the transaction's temporary UUIDs to the real ones; `replica` is the reloaded view.
 * For the runner to call after waiting for cur_cfg; '' when all is well.
 */
export function reloadErrors(
  txn: Transaction,
  inserted: ReadonlyMap<string, string>,
  replica: Replica,
  env: NodeJS.ProcessEnv = process.env,
): string {
  let out = '';
  for (const temp of newIfaces.get(txn) ?? []) {
    const uuid = inserted.get(temp);
    const iface = uuid === undefined ? undefined : replica.row('Interface', uuid);
    if (iface === undefined) continue;
    const ofport = iface.number('ofport');
    if (ofport !== undefined && ofport !== -1) continue;
    const name = iface.string('name');
    const error = iface.string('error');
    out +=
      error !== ''
        ? `ovs-vsctl: Error detected while setting up '${name}': ${error}.  See ovs-vswitchd log for details.\n`
        : `ovs-vsctl: Error detected while setting up '${name}'.  See ovs-vswitchd log for details.\n`;
  }
  if (out === '') return '';
  return `${out}ovs-vsctl: The default log directory is "${env.OVS_LOGDIR ?? '/var/log/openvswitch'}".\n`;
}
