// ovs-vsctl's datapath commands (utilities/ovs-vsctl.c, Open vSwitch 3.1): add-zone-tp, del-zone-tp and
// list-zone-tp (connection-tracking timeout policies per zone of a datapath named in
// Open_vSwitch.datapaths) and list-dp-cap (a datapath's capabilities).
import type { TxnRow } from '../ovsdb/client/txn.js';
import { makeDatum } from '../ovsdb/datum.js';
import { shashOrder } from '../ovsdb/shash-order.js';
import type { Atom } from '../ovsdb/types.js';
import { type CommandContext, type CommandSpec, hasOption, registerCommands, VsctlError } from './command.js';
import { atoi, stringMap } from './commands-common.js';

/** The Datapath row Open_vSwitch.datapaths names `name`, or undefined (find_datapath). */
function findDatapath(ctx: CommandContext, name: string): TxnRow | undefined {
  const uuid = ctx.ovs.map('datapaths').get(name);
  return uuid === undefined ? undefined : ctx.txn.row('Datapath', uuid as string);
}

/** The zone number of a "zone=N" argument (ovs_scan "zone=%i": decimal, 0x hex or 0 octal), or 0. */
export function parseZone(arg: string): number {
  const m = /^zone=\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(arg);
  if (m === null) return 0;
  const digits = m[2];
  const n = /^0[xX]/.test(digits)
    ? Number.parseInt(digits.slice(2), 16)
    : digits.startsWith('0')
      ? Number.parseInt(digits, 8)
      : Number.parseInt(digits, 10);
  return m[1] === '-' ? -n : n;
}

/** One "key=value" of a timeout policy (ofputil_parse_key_value), or null when only separators remain. */
export function parseKeyValue(text: string): { key: string; value: string } | null {
  const s = text.replace(/^[, \t\r\n]+/, '');
  if (s === '') return null;
  const keyEnd = s.search(/[:=(, \t\r\n]/);
  if (keyEnd < 0) return { key: s, value: '' };
  const delim = s[keyEnd];
  const rest = s.slice(keyEnd + 1);
  if (delim === ':' || delim === '=') return { key: s.slice(0, keyEnd), value: rest.split(/[, \t\r\n]/)[0] };
  if (delim === '(') return { key: s.slice(0, keyEnd), value: rest.split(')')[0] };
  return { key: s.slice(0, keyEnd), value: '' };
}

/** The CT_Timeout_Policy row with exactly these timeouts, inserted when there is none (create_timeout_policy). */
function timeoutPolicy(ctx: CommandContext, args: readonly string[]): TxnRow {
  const timeouts = new Map<string, number>();
  for (const arg of args) {
    const kv = parseKeyValue(arg);
    if (kv === null) break;
    timeouts.set(kv.key, atoi(kv.value) >>> 0);
  }
  const same = (row: TxnRow) => {
    const have = row.map('timeouts');
    return have.size === timeouts.size && [...timeouts].every(([k, v]) => have.get(k) === v);
  };
  const existing = ctx.txn.rows('CT_Timeout_Policy').find(same);
  if (existing !== undefined) return existing;
  return ctx.txn.insert('CT_Timeout_Policy', {
    timeouts: makeDatum([...timeouts.keys()], [...timeouts.values()]),
  });
}

/** The datapath named by argv[1], or "datapath NAME does not exist". */
function mustFindDatapath(ctx: CommandContext): TxnRow {
  const dp = findDatapath(ctx, ctx.argv[1]);
  if (dp === undefined) throw new VsctlError(`datapath ${ctx.argv[1]} does not exist`);
  return dp;
}

/** A datapath's ct_zones with `zone` set to `uuid` (or removed when null). */
function withZone(dp: TxnRow, zone: number, uuid: string | null): ReturnType<typeof makeDatum> {
  const zones = dp.map('ct_zones');
  if (uuid === null) zones.delete(zone);
  else zones.set(zone, uuid);
  return makeDatum([...zones.keys()], [...zones.values()] as Atom[]);
}

function addZoneTp(ctx: CommandContext): void {
  const zoneId = parseZone(ctx.argv[2]);
  const dp = mustFindDatapath(ctx);
  const policies = ctx.argv.slice(3);
  const zoneUuid = dp.map('ct_zones').get(zoneId);
  if (policies.length === 0) throw new VsctlError('No timeout policy');
  if (zoneUuid !== undefined && !hasOption(ctx, '--may-exist'))
    throw new VsctlError(`zone id ${zoneId} already exists`);
  const tp = timeoutPolicy(ctx, policies);
  const zone = zoneUuid === undefined ? undefined : ctx.txn.row('CT_Zone', zoneUuid as string);
  if (zone !== undefined) {
    zone.set('timeout_policy', tp.uuid);
    return;
  }
  const inserted = ctx.txn.insert('CT_Zone', { timeout_policy: tp.uuid });
  dp.set('ct_zones', withZone(dp, zoneId, inserted.uuid));
}

function delZoneTp(ctx: CommandContext): void {
  const zoneId = parseZone(ctx.argv[2]);
  const dp = mustFindDatapath(ctx);
  const exists = dp.map('ct_zones').has(zoneId);
  if (!exists && !hasOption(ctx, '--if-exists')) throw new VsctlError(`zone id ${zoneId} does not exist`);
  if (exists) dp.set('ct_zones', withZone(dp, zoneId, null));
}

function listZoneTp(ctx: CommandContext): void {
  const dp = findDatapath(ctx, ctx.argv[1]);
  if (dp === undefined) throw new VsctlError(`datapath: ${ctx.argv[1]} record not found`);
  for (const [zoneId, uuid] of dp.map('ct_zones')) {
    const zone = ctx.txn.row('CT_Zone', uuid as string);
    const tpUuid = zone?.scalar('timeout_policy');
    const tp = tpUuid === undefined ? undefined : ctx.txn.row('CT_Timeout_Policy', tpUuid as string);
    const policies =
      tp === undefined ? 'system default' : [...tp.map('timeouts')].map(([k, v]) => `${k}=${v}`).join(' ');
    ctx.output += `Zone:${zoneId}, Timeout Policies: ${policies}\n`;
  }
}

function listDpCap(ctx: CommandContext): void {
  const dp = findDatapath(ctx, ctx.argv[1]);
  if (dp === undefined) throw new VsctlError(`datapath "${ctx.argv[1]}" record not found`);
  const caps = stringMap(dp, 'capabilities');
  const text = shashOrder(caps.keys())
    .map((k) => `${k}=${caps.get(k)}`)
    .join(' ');
  ctx.output += `${text}\n`;
}

/** The datapath commands. */
export const DATAPATH_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'add-zone-tp',
    minArgs: 3,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: '',
    options: ['--may-exist'],
    mode: 'rw',
    run: addZoneTp,
  },
  {
    name: 'del-zone-tp',
    minArgs: 2,
    maxArgs: 2,
    usage: '',
    options: ['--if-exists'],
    mode: 'rw',
    run: delZoneTp,
  },
  { name: 'list-zone-tp', minArgs: 1, maxArgs: 1, usage: '', options: [], mode: 'ro', run: listZoneTp },
  { name: 'list-dp-cap', minArgs: 1, maxArgs: 1, usage: '', options: [], mode: 'ro', run: listDpCap },
];

registerCommands(DATAPATH_COMMANDS);
