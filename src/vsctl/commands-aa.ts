// ovs-vsctl's Auto Attach commands (utilities/ovs-vsctl.c): add-aa-mapping, del-aa-mapping and
// get-aa-mapping, over a bridge's AutoAttach row (I-SID → VLAN mappings).
import type { TxnRow } from '../ovsdb/client/txn.js';
import { makeDatum } from '../ovsdb/datum.js';
import type { Atom } from '../ovsdb/types.js';
import { VsctlCache } from './cache.js';
import { type CommandContext, type CommandSpec, registerCommands, VsctlError } from './command.js';
import { bridgeCache, mustFindBridge } from './commands-common.js';

/** strtoull(…, 10) as ovs-vsctl checks it: a number must start the argument, else "Invalid argument ARG". */
export function parseMappingNumber(arg: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(arg);
  if (m === null) throw new VsctlError(`Invalid argument ${arg}`);
  const n = BigInt.asIntN(64, BigInt.asUintN(64, BigInt(m[2])) * (m[1] === '-' ? -1n : 1n));
  return Number(n);
}

/** The real bridge's Bridge row for argv[1] (a fake bridge's parent). */
function bridgeRow(ctx: CommandContext): TxnRow {
  return VsctlCache.realRow(mustFindBridge(bridgeCache(ctx), ctx.argv[1]));
}

/** The AutoAttach row a bridge names, or undefined. */
function autoAttach(ctx: CommandContext, br: TxnRow): TxnRow | undefined {
  const uuid = br.scalar('auto_attach');
  return uuid === undefined ? undefined : ctx.txn.row('AutoAttach', uuid as string);
}

function mappingArgs(ctx: CommandContext): [number, number] {
  return [parseMappingNumber(ctx.argv[2]), parseMappingNumber(ctx.argv[3])];
}

function addAaMapping(ctx: CommandContext): void {
  const [isid, vlan] = mappingArgs(ctx);
  const br = bridgeRow(ctx);
  let aa = autoAttach(ctx, br);
  if (aa === undefined) {
    aa = ctx.txn.insert('AutoAttach');
    br.set('auto_attach', aa.uuid);
  }
  const old = aa.get('mappings');
  // The new pair is appended; OVS's sort then keeps the first of duplicate keys, so an existing I-SID stays.
  if (old.has(isid)) return;
  aa.set('mappings', makeDatum([...old.keys, isid], [...(old.values ?? []), vlan]));
}

function delAaMapping(ctx: CommandContext): void {
  const [isid, vlan] = mappingArgs(ctx);
  const aa = autoAttach(ctx, bridgeRow(ctx));
  if (aa === undefined) return;
  const old = aa.get('mappings');
  const values = old.values ?? [];
  if (!old.keys.some((k, i) => k === isid && values[i] === vlan)) return;
  // As ovs-vsctl does, this keeps only mappings whose I-SID and VLAN both differ from the ones named.
  const keys: Atom[] = [];
  const kept: Atom[] = [];
  old.keys.forEach((k, i) => {
    if (k !== isid && values[i] !== vlan) {
      keys.push(k);
      kept.push(values[i]);
    }
  });
  aa.set('mappings', makeDatum(keys, kept));
}

function getAaMapping(ctx: CommandContext): void {
  const br = bridgeRow(ctx);
  const aa = autoAttach(ctx, br);
  if (aa === undefined) return;
  for (const [isid, vlan] of aa.map('mappings')) ctx.output += `${isid} ${vlan}\n`;
}

/** The Auto Attach commands. */
export const AA_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'add-aa-mapping',
    minArgs: 3,
    maxArgs: 3,
    usage: 'BRIDGE ARG ARG',
    options: [],
    mode: 'rw',
    run: addAaMapping,
  },
  {
    name: 'del-aa-mapping',
    minArgs: 3,
    maxArgs: 3,
    usage: 'BRIDGE ARG ARG',
    options: [],
    mode: 'rw',
    run: delAaMapping,
  },
  {
    name: 'get-aa-mapping',
    minArgs: 1,
    maxArgs: 1,
    usage: 'BRIDGE',
    options: [],
    mode: 'ro',
    run: getAaMapping,
  },
];

registerCommands(AA_COMMANDS);
