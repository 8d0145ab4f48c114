// ovs-vsctl's port, bond and interface commands (utilities/ovs-vsctl.c): list-ports, add-port, add-bond,
// add-bond-iface, del-bond-iface, del-port (with --with-iface), port-to-br, list-ifaces and iface-to-br.
import { compareBytes } from '../ovsdb/ovs-json.js';
import type { VsctlPort } from './cache.js';
import { referencedRows, VsctlCache } from './cache.js';
import { type CommandContext, type CommandSpec, hasOption, registerCommands, VsctlError } from './command.js';
import {
  applySetting,
  bridgeCache,
  checkConflicts,
  commandText,
  expectIface,
  mustFindBridge,
  mustFindIface,
  mustFindPort,
  sortedLines,
} from './commands-common.js';

function listPorts(ctx: CommandContext): void {
  const cache = bridgeCache(ctx);
  const br = mustFindBridge(cache, ctx.argv[1]);
  VsctlCache.realRow(br).verify('ports');
  const names = br.ports.map((p) => p.row.string('name')).filter((n) => n !== br.name);
  ctx.output += sortedLines(names);
}

/** What add-port and add-bond ask for. */
interface PortRequest {
  readonly bridge: string;
  readonly port: string;
  readonly ifaces: readonly string[];
  readonly fakeIface: boolean;
  readonly settings: readonly string[];
}

/** With --may-exist: true when the port exists as asked; fails when it exists otherwise. */
function portExistsAsAsked(ctx: CommandContext, port: VsctlPort, req: PortRequest): boolean {
  const want = [...req.ifaces].sort(compareBytes);
  const have = referencedRows(ctx.txn, port.row, 'interfaces', 'Interface')
    .map((i) => i.string('name'))
    .sort(compareBytes);
  if (port.bridge.name !== req.bridge) {
    throw new VsctlError(
      `"${commandText(ctx)}" but ${req.port} is actually attached to bridge ${port.bridge.name}`,
    );
  }
  if (want.join('\0') !== have.join('\0')) {
    throw new VsctlError(
      `"${commandText(ctx)}" but ${req.port} actually has interface(s) ${have.join(', ')}`,
    );
  }
  return true;
}

/** add_port: the checks, then the Interface and Port rows, the settings, and the bridge's ports. */
function addPort(ctx: CommandContext, req: PortRequest): void {
  if (req.port === '') throw new VsctlError('port name must not be empty string');
  if (req.ifaces.some((i) => i === '')) throw new VsctlError('interface name must not be empty string');
  const cache = bridgeCache(ctx);
  if (hasOption(ctx, '--may-exist')) {
    const existing = cache.findPort(req.port);
    if (existing !== undefined && portExistsAsAsked(ctx, existing, req)) return;
  }
  checkConflicts(cache, req.port, `cannot create a port named ${req.port}`);
  for (const iface of req.ifaces) checkConflicts(cache, iface, `cannot create an interface named ${iface}`);
  const bridge = mustFindBridge(cache, req.bridge);
  const ifaceRows = req.ifaces.map((name) => ctx.txn.insert('Interface', { name }));
  for (const row of ifaceRows) expectIface(ctx, row);
  const port = ctx.txn.insert('Port', {
    name: req.port,
    interfaces: ifaceRows.map((i) => i.uuid),
    bond_fake_iface: req.fakeIface,
  });
  if (bridge.parent !== null) port.set('tag', bridge.vlan);
  for (const setting of req.settings) applySetting(ctx, port, setting);
  VsctlCache.insertPortRow(VsctlCache.realRow(bridge), port);
  const cached = cache.addPort(bridge, port);
  for (const row of ifaceRows) cache.addIface(cached, row);
}

function addPortCommand(ctx: CommandContext): void {
  const [, bridge, port, ...settings] = ctx.argv;
  addPort(ctx, { bridge, port, ifaces: [port], fakeIface: false, settings });
}

function addBond(ctx: CommandContext): void {
  const [, bridge, port, ...rest] = ctx.argv;
  let count = rest.findIndex((arg) => arg.includes('='));
  if (count < 0) count = rest.length;
  if (count < 2)
    throw new VsctlError(`add-bond requires at least 2 interfaces, but only ${count} were specified`);
  const fakeIface = hasOption(ctx, '--fake-iface');
  addPort(ctx, { bridge, port, ifaces: rest.slice(0, count), fakeIface, settings: rest.slice(count) });
}

function addBondIface(ctx: CommandContext): void {
  const cache = bridgeCache(ctx);
  const port = mustFindPort(cache, ctx.argv[1]);
  const name = ctx.argv[2];
  if (hasOption(ctx, '--may-exist')) {
    const iface = cache.findIface(name);
    if (iface?.port === port) return;
    if (iface !== undefined) {
      const owner = iface.port.row.string('name');
      throw new VsctlError(`"${commandText(ctx)}" but ${name} is actually attached to port ${owner}`);
    }
  }
  checkConflicts(cache, name, `cannot create an interface named ${name}`);
  const row = ctx.txn.insert('Interface', { name });
  expectIface(ctx, row);
  port.row.set('interfaces', [...port.row.elements('interfaces'), row.uuid]);
  cache.addIface(port, row);
}

function delBondIface(ctx: CommandContext): void {
  const cache = bridgeCache(ctx);
  const name = ctx.argv[ctx.argv.length - 1];
  const iface = hasOption(ctx, '--if-exists') ? cache.findIface(name) : mustFindIface(cache, name);
  if (iface === undefined) return;
  if (ctx.argv.length > 2 && mustFindPort(cache, ctx.argv[1]) !== iface.port)
    throw new VsctlError(`port ${ctx.argv[1]} does not have an interface ${name}`);
  if (iface.port.ifaces.length <= 1)
    throw new VsctlError(`cannot delete last interface from port ${iface.port.row.string('name')}`);
  const portRow = iface.port.row;
  portRow.set(
    'interfaces',
    portRow.elements('interfaces').filter((u) => u !== iface.row.uuid),
  );
  cache.deleteIface(iface);
}

/** The port del-port names: by port, or with --with-iface also by one of its interfaces. */
function portToDelete(ctx: CommandContext, cache: VsctlCache, target: string): VsctlPort | undefined {
  const mustExist = !hasOption(ctx, '--if-exists');
  if (cache.findBridge(target) !== undefined) {
    if (mustExist) {
      throw new VsctlError(
        `cannot delete port ${target} because it is the local port for bridge ${target} (deleting this port requires deleting the entire bridge)`,
      );
    }
    return undefined;
  }
  if (!hasOption(ctx, '--with-iface'))
    return mustExist ? mustFindPort(cache, target) : cache.findPort(target);
  const port = cache.findPort(target) ?? cache.findIface(target)?.port;
  if (mustExist && port === undefined) throw new VsctlError(`no port or interface named ${target}`);
  return port;
}

function delPort(ctx: CommandContext): void {
  const cache = bridgeCache(ctx);
  const port = portToDelete(ctx, cache, ctx.argv[ctx.argv.length - 1]);
  if (port === undefined) return;
  if (ctx.argv.length === 3) {
    const bridge = mustFindBridge(cache, ctx.argv[1]);
    if (port.bridge !== bridge) {
      if (port.bridge.parent === bridge) {
        throw new VsctlError(
          `bridge ${ctx.argv[1]} does not have a port ${ctx.argv[2]} (although its child bridge ${port.bridge.name} does)`,
        );
      }
      throw new VsctlError(`bridge ${ctx.argv[1]} does not have a port ${ctx.argv[2]}`);
    }
  }
  cache.deletePort(port);
}

function portToBr(ctx: CommandContext): void {
  ctx.output += `${mustFindPort(bridgeCache(ctx), ctx.argv[1]).bridge.name}\n`;
}

function listIfaces(ctx: CommandContext): void {
  const cache = bridgeCache(ctx);
  const br = mustFindBridge(cache, ctx.argv[1]);
  cache.verifyPorts();
  const names = br.ports
    .flatMap((p) => p.ifaces.map((i) => i.row.string('name')))
    .filter((n) => n !== br.name);
  ctx.output += sortedLines(names);
}

function ifaceToBr(ctx: CommandContext): void {
  ctx.output += `${mustFindIface(bridgeCache(ctx), ctx.argv[1]).port.bridge.name}\n`;
}

const ro = (name: string, usage: string, run: (ctx: CommandContext) => void): CommandSpec => ({
  name,
  minArgs: 1,
  maxArgs: 1,
  usage,
  options: [],
  mode: 'ro',
  run,
});

/** The port, bond and interface commands. */
export const PORT_COMMANDS: readonly CommandSpec[] = [
  ro('list-ports', 'BRIDGE', listPorts),
  {
    name: 'add-port',
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'BRIDGE NEW-PORT [COLUMN[:KEY]=VALUE]...',
    options: ['--may-exist'],
    mode: 'rw',
    run: addPortCommand,
  },
  {
    name: 'del-port',
    minArgs: 1,
    maxArgs: 2,
    usage: '[BRIDGE] PORT|IFACE',
    options: ['--if-exists', '--with-iface'],
    mode: 'rw',
    run: delPort,
  },
  ro('port-to-br', 'PORT', portToBr),
  {
    name: 'add-bond',
    minArgs: 4,
    maxArgs: Number.POSITIVE_INFINITY,
    usage: 'BRIDGE BOND IFACE... [COLUMN[:KEY]=VALUE]...',
    options: ['--may-exist', '--fake-iface'],
    mode: 'rw',
    run: addBond,
  },
  {
    name: 'add-bond-iface',
    minArgs: 2,
    maxArgs: 2,
    usage: 'BOND IFACE',
    options: ['--may-exist'],
    mode: 'rw',
    run: addBondIface,
  },
  {
    name: 'del-bond-iface',
    minArgs: 1,
    maxArgs: 2,
    usage: '[BOND] IFACE',
    options: ['--if-exists'],
    mode: 'rw',
    run: delBondIface,
  },
  ro('list-ifaces', 'BRIDGE', listIfaces),
  ro('iface-to-br', 'IFACE', ifaceToBr),
];

registerCommands(PORT_COMMANDS);
