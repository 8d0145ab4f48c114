// ovs-vsctl's bridge commands (utilities/ovs-vsctl.c): add-br (real, or a fake VLAN bridge on a parent),
// del-br, list-br, br-exists, br-to-vlan, br-to-parent, br-set-external-id and br-get-external-id.
import type { TxnRow } from '../ovsdb/client/txn.js';
import { compareBytes } from '../ovsdb/ovs-json.js';
import { VsctlCache } from './cache.js';
import { type CommandContext, type CommandSpec, hasOption, registerCommands, VsctlError } from './command.js';
import {
  atoi,
  bridgeCache,
  checkConflicts,
  expectIface,
  invalidateBridgeCache,
  mustFindBridge,
  setStringMap,
  sortedLines,
  stringMap,
  vsctlExit,
} from './commands-common.js';

/** Inserts a new bridge's local port (an internal interface of the bridge's name) and returns the Port row. */
function insertLocalPort(ctx: CommandContext, name: string): TxnRow {
  const iface = ctx.txn.insert('Interface', { name, type: 'internal' });
  expectIface(ctx, iface);
  return ctx.txn.insert('Port', { name, interfaces: [iface.uuid] });
}

/** With --may-exist, checks that an existing bridge is the one asked for (or fails as ovs-vsctl does). */
function checkExistingBridge(cache: VsctlCache, name: string, parent: string | null, vlan: number): boolean {
  const br = cache.findBridge(name);
  if (br === undefined) return false;
  if (parent === null) {
    if (br.parent !== null)
      throw new VsctlError(`"--may-exist add-br ${name}" but ${name} is a VLAN bridge for VLAN ${br.vlan}`);
    return true;
  }
  const asked = `"--may-exist add-br ${name} ${parent} ${vlan}"`;
  if (br.parent === null) throw new VsctlError(`${asked} but ${name} is not a VLAN bridge`);
  if (br.parent.name !== parent)
    throw new VsctlError(`${asked} but ${name} has the wrong parent ${br.parent.name}`);
  if (br.vlan !== vlan)
    throw new VsctlError(`${asked} but ${name} is a VLAN bridge for the wrong VLAN ${br.vlan}`);
  return true;
}

function addBr(ctx: CommandContext): void {
  const name = ctx.argv[1];
  if (name === '') throw new VsctlError('bridge name must not be empty string');
  let parentName: string | null = null;
  let vlan = 0;
  if (ctx.argv.length === 4) {
    parentName = ctx.argv[2];
    vlan = atoi(ctx.argv[3]);
    if (vlan < 0 || vlan > 4095) throw new VsctlError(`${ctx.argv[0]}: vlan must be between 0 and 4095`);
  } else if (ctx.argv.length !== 2) {
    throw new VsctlError(`'${ctx.argv[0]}' command takes exactly 1 or 3 arguments`);
  }
  const cache = bridgeCache(ctx);
  if (hasOption(ctx, '--may-exist') && checkExistingBridge(cache, name, parentName, vlan)) return;
  checkConflicts(cache, name, `cannot create a bridge named ${name}`);
  if (parentName === null) {
    const port = insertLocalPort(ctx, name);
    const br = ctx.txn.insert('Bridge', { name, ports: [port.uuid] });
    ctx.ovs.set('bridges', [...ctx.ovs.elements('bridges'), br.uuid]);
  } else {
    const parent = cache.findBridge(parentName);
    if (parent?.parent) throw new VsctlError('cannot create bridge with fake bridge as parent');
    if (parent === undefined) throw new VsctlError(`parent bridge ${parentName} does not exist`);
    const conflict = parent.children.get(vlan);
    if (conflict !== undefined) {
      throw new VsctlError(
        `bridge ${parentName} already has a child VLAN bridge ${conflict.name} on VLAN ${vlan}`,
      );
    }
    const port = insertLocalPort(ctx, name);
    port.set('fake_bridge', true);
    port.set('tag', vlan);
    VsctlCache.insertPortRow(VsctlCache.realRow(parent), port);
  }
  invalidateBridgeCache(ctx);
}

function delBr(ctx: CommandContext): void {
  const cache = bridgeCache(ctx);
  const name = ctx.argv[1];
  const br = hasOption(ctx, '--if-exists') ? cache.findBridge(name) : mustFindBridge(cache, name);
  if (br !== undefined) cache.deleteBridge(br);
}

function listBr(ctx: CommandContext): void {
  let real = hasOption(ctx, '--real');
  let fake = hasOption(ctx, '--fake');
  if (!real && !fake) real = fake = true;
  const names = [...bridgeCache(ctx).bridges.values()]
    .filter((br) => (br.parent !== null ? fake : real))
    .map((br) => br.name);
  ctx.output += sortedLines(names);
}

function brExists(ctx: CommandContext): void {
  if (bridgeCache(ctx).findBridge(ctx.argv[1]) === undefined) vsctlExit(2);
}

function brToVlan(ctx: CommandContext): void {
  ctx.output += `${mustFindBridge(bridgeCache(ctx), ctx.argv[1]).vlan}\n`;
}

function brToParent(ctx: CommandContext): void {
  const br = mustFindBridge(bridgeCache(ctx), ctx.argv[1]);
  ctx.output += `${(br.parent ?? br).name}\n`;
}

/** The row and key prefix a bridge's external ids live in: its Bridge row, or a fake bridge's Port row. */
function externalIdsHome(ctx: CommandContext) {
  const cache = bridgeCache(ctx);
  const br = mustFindBridge(cache, ctx.argv[1]);
  if (br.row !== null) return { row: br.row, prefix: '' };
  const port = cache.ports.get(ctx.argv[1]);
  if (port === undefined) throw new VsctlError(`no port named ${ctx.argv[1]}`);
  return { row: port.row, prefix: 'fake-bridge-' };
}

function brSetExternalId(ctx: CommandContext): void {
  const { row, prefix } = externalIdsHome(ctx);
  const ids = stringMap(row, 'external_ids');
  const key = `${prefix}${ctx.argv[2]}`;
  if (ctx.argv.length >= 4) ids.set(key, ctx.argv[3]);
  else ids.delete(key);
  setStringMap(row, 'external_ids', ids);
}

function brGetExternalId(ctx: CommandContext): void {
  const { row, prefix } = externalIdsHome(ctx);
  const ids = stringMap(row, 'external_ids');
  if (ctx.argv.length >= 3) {
    const value = ids.get(`${prefix}${ctx.argv[2]}`);
    if (value !== undefined) ctx.output += `${value}\n`;
    return;
  }
  const keys = [...ids.keys()].sort(compareBytes);
  for (const key of keys) {
    if (key.startsWith(prefix)) ctx.output += `${key.slice(prefix.length)}=${ids.get(key)}\n`;
  }
}

/** The bridge commands. */
export const BRIDGE_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'add-br',
    minArgs: 1,
    maxArgs: 3,
    usage: 'NEW-BRIDGE [PARENT] [NEW-VLAN]',
    options: ['--may-exist'],
    mode: 'rw',
    run: addBr,
  },
  {
    name: 'del-br',
    minArgs: 1,
    maxArgs: 1,
    usage: 'BRIDGE',
    options: ['--if-exists'],
    mode: 'rw',
    run: delBr,
  },
  {
    name: 'list-br',
    minArgs: 0,
    maxArgs: 0,
    usage: '',
    options: ['--real', '--fake'],
    mode: 'ro',
    run: listBr,
  },
  { name: 'br-exists', minArgs: 1, maxArgs: 1, usage: 'BRIDGE', options: [], mode: 'ro', run: brExists },
  { name: 'br-to-vlan', minArgs: 1, maxArgs: 1, usage: 'BRIDGE', options: [], mode: 'ro', run: brToVlan },
  { name: 'br-to-parent', minArgs: 1, maxArgs: 1, usage: 'BRIDGE', options: [], mode: 'ro', run: brToParent },
  {
    name: 'br-set-external-id',
    minArgs: 2,
    maxArgs: 3,
    usage: 'BRIDGE KEY [VALUE]',
    options: [],
    mode: 'rw',
    run: brSetExternalId,
  },
  {
    name: 'br-get-external-id',
    minArgs: 1,
    maxArgs: 2,
    usage: 'BRIDGE [KEY]',
    options: [],
    mode: 'ro',
    run: brGetExternalId,
  },
];

registerCommands(BRIDGE_COMMANDS);
