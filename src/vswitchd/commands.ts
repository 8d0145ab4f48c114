// vswitchd's unixctl commands, with Open vSwitch 3.1's names, usage strings, output layouts and error
// texts: fdb/*, dpif/*, dpctl/*, memory/show, coverage/*, vlog/*, exit, and with --enable-dummy the
// netdev-dummy/* commands that let tests drive a vswitchd child process without root.

import { DummyNetdev } from '../netdev/dummy.js';
import type { NetdevStats } from '../netdev/netdev.js';
import { TunnelNetdev } from '../netdev/tunnel.js';
import { formatTunnelPort } from '../netdev/tunnel-config.js';
import { OfprotoError } from '../ofproto/ofproto.js';
import type { Replica } from '../ovsdb/client/replica.js';
import { UnixctlError, type UnixctlServer } from '../unixctl/server.js';
import type { Coverage } from './coverage.js';
import type { TypedDummyNetdev } from './netdevs.js';
import type { Iface, SwitchState } from './switch.js';
import { ofprotoTrace } from './trace.js';
import { type Vlog, VlogSpecError } from './vlog.js';

/** What the commands work on. */
export interface CommandContext {
  readonly sw: SwitchState;
  readonly replica: Replica;
  readonly vlog: Vlog;
  readonly coverage: Coverage;
  readonly clock: () => number;
  /** Whether --enable-dummy was given (registers netdev-dummy/*). */
  readonly dummies: boolean;
  /** Starts an orderly exit (the `exit` command). */
  readonly exit: () => void;
  /** Waits until pending reconfiguration is done (so replies reflect the database). */
  readonly settled: () => Promise<void>;
}

const MANY = Number.MAX_SAFE_INTEGER;

/** Registers every vswitchd command on `server`. */
export function registerCommands(server: UnixctlServer, ctx: CommandContext): void {
  const reg = (
    name: string,
    usage: string,
    min: number,
    max: number,
    fn: (args: string[]) => string | Promise<string>,
  ) => server.register(name, usage, min, max, fn);
  reg('exit', '[--cleanup]', 0, 1, () => {
    setImmediate(ctx.exit);
    return '';
  });
  reg('fdb/show', 'bridge', 1, 1, ([br]) => ctx.sw.ofproto.fdbShow(requireBridge(ctx, br), ctx.clock()));
  reg('fdb/flush', '[bridge]', 0, 1, ([br]) => {
    ctx.sw.ofproto.fdbFlush(br === undefined ? null : requireBridge(ctx, br));
    return 'table successfully flushed';
  });
  const treeCommand = (
    name: string,
    method: 'stpShow' | 'stpTcn' | 'rstpShow' | 'rstpTcn',
    missing: string,
  ): void =>
    reg(name, '[bridge]', 0, 1, ([br]) => {
      const fn: ((bridge: string | null) => unknown) | undefined = ctx.sw.ofproto[method];
      if (fn === undefined) throw new UnixctlError(missing);
      try {
        const reply = fn.call(ctx.sw.ofproto, br ?? null);
        return typeof reply === 'string' ? reply : 'OK';
      } catch (err) {
        if (err instanceof OfprotoError) throw new UnixctlError(err.message);
        throw err;
      }
    });
  treeCommand('stp/show', 'stpShow', 'no such stp object');
  treeCommand('stp/tcn', 'stpTcn', 'no such stp object');
  treeCommand('rstp/show', 'rstpShow', 'No such RSTP object');
  treeCommand('rstp/tcn', 'rstpTcn', 'No such RSTP object');
  reg('dpif/show', '', 0, 0, () => dpifShow(ctx.sw));
  reg('ofproto/list-tunnels', '', 0, 0, () => listTunnels(ctx.sw));
  reg('ofproto/trace', '[--plain] [dp] bridge flow [-generate]', 2, 5, async (args) => {
    await ctx.settled();
    return ofprotoTrace(ctx.sw, args, ctx.clock());
  });
  reg('dpif/dump-dps', '', 0, 0, () =>
    ctx.sw
      .bridges()
      .map((b) => `${ctx.sw.datapath.type}@${b.name}\n`)
      .join(''),
  );
  reg('dpif/dump-flows', '[-m] [--names | --no-names] bridge', 1, 4, (args) => dpifDumpFlows(ctx, args));
  reg('dpctl/show', '[-s] [dp...]', 0, MANY, (args) => dpctlShow(ctx.sw, args));
  reg('dpctl/dump-dps', '', 0, 0, () => (hasDatapath(ctx.sw) ? `${dpName(ctx.sw)}\n` : ''));
  reg('dpctl/dump-flows', '[-m] [--names] [dp] [filter=..] [type=..] [pmd=..]', 0, 6, (args) =>
    dpctlDumpFlows(ctx, args),
  );
  reg('memory/show', '', 0, 0, () => memoryShow(ctx));
  reg('coverage/show', '', 0, 0, () => ctx.coverage.show());
  reg('coverage/read-counter', 'COUNTER', 1, 1, ([name]) => {
    const n = ctx.coverage.read(name);
    if (n === undefined) throw new UnixctlError('No such counter');
    return `${n}\n`;
  });
  reg('vlog/list', '', 0, 0, () => ctx.vlog.list());
  reg('vlog/set', '{spec | PATTERN:destination:pattern}', 0, MANY, (args) => vlogSet(ctx.vlog, args));
  if (ctx.dummies) registerDummyCommands(reg, ctx);
}

type Register = (
  name: string,
  usage: string,
  min: number,
  max: number,
  fn: (args: string[]) => string | Promise<string>,
) => void;

function requireBridge(ctx: CommandContext, name: string): string {
  if (ctx.sw.bridge(name) === undefined) throw new UnixctlError('no such bridge');
  return name;
}

function vlogSet(vlog: Vlog, args: string[]): string {
  if (args.length === 0) vlog.setLevels(undefined, undefined, 'dbg');
  for (const spec of args) {
    try {
      vlog.set(spec);
    } catch (err) {
      if (err instanceof VlogSpecError) throw new UnixctlError(err.message);
      throw err;
    }
  }
  return '';
}

/** "netdev@ovs-netdev". */
function dpName(sw: SwitchState): string {
  return `${sw.datapath.type}@${sw.datapath.name}`;
}

/** OVS creates its datapath with the first bridge; so do our listings. */
function hasDatapath(sw: SwitchState): boolean {
  return sw.bridges().length > 0;
}

/** The type a port shows in dpif/show and dpctl/show (the netdev datapath opens internal ports as taps). */
function shownType(iface: Iface): string {
  const type = iface.netdev?.type ?? iface.type;
  return type === 'internal' ? 'tap' : type;
}

/** ": key=value, key=value" for the types whose configuration OVS prints (patch, tunnels). */
function shownConfig(iface: Iface): string {
  if (iface.netdev !== null && iface.type !== 'patch') return '';
  const entries = [...iface.options].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.map(([k, v], i) => `${i === 0 ? ':' : ','} ${k}=${v}`).join('');
}

/** `dpif/show`: the datapath's counters, then each bridge's ports with their OpenFlow/datapath numbers. */
export function dpifShow(sw: SwitchState): string {
  if (!hasDatapath(sw)) return '';
  const s = sw.datapath.stats();
  let out = `${dpName(sw)}: hit:${s.hit} missed:${s.missed}\n`;
  for (const br of sw.bridges()) {
    out += `  ${br.name}:\n`;
    const ifaces = [...br.ifaces.values()].filter((i) => i.error === null);
    ifaces.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const i of ifaces) {
      out += `    ${i.name} ${i.ofport}/${i.dpPort ?? 'none'}: (${shownType(i)}${shownConfig(i)})\n`;
    }
  }
  return out;
}

/** `dpctl/show [-s] [dp...]`. */
export function dpctlShow(sw: SwitchState, args: string[]): string {
  const stats = args.includes('-s') || args.includes('--statistics');
  const names = args.filter((a) => !a.startsWith('-'));
  for (const n of names) {
    if (n !== dpName(sw) || !hasDatapath(sw))
      throw new UnixctlError(`ovs-vswitchd: opening datapath ${n} failed (No such file or directory)`);
  }
  if (!hasDatapath(sw)) return '';
  const s = sw.datapath.stats();
  let out = `${dpName(sw)}:\n  lookups: hit:${s.hit} missed:${s.missed} lost:${s.lost}\n  flows: ${s.flows}\n`;
  const byPort = new Map(sw.allIfaces().map((i) => [i.dpPort, i]));
  for (const port of [...sw.datapath.ports()].sort((a, b) => a.number - b.number)) {
    const iface = byPort.get(port.number);
    const type = iface === undefined ? port.netdev.type : shownType(iface);
    out += `  port ${port.number}: ${port.netdev.name}${type === 'system' ? '' : ` (${type})`}\n`;
    if (stats) out += portStats(port.netdev.stats());
  }
  return out;
}

/** The four statistics lines of `dpctl/show -s` ("?" for counters netdevs do not keep). */
function portStats(s: NetdevStats): string {
  const human = (n: number) =>
    n >= 1024 ** 4
      ? ` (${(n / 1024 ** 4).toFixed(1)} TiB)`
      : n >= 1024 ** 3
        ? ` (${(n / 1024 ** 3).toFixed(1)} GiB)`
        : n >= 1024 ** 2
          ? ` (${(n / 1024 ** 2).toFixed(1)} MiB)`
          : n >= 1024
            ? ` (${(n / 1024).toFixed(1)} KiB)`
            : '';
  return (
    `    RX packets:${s.rx_packets} errors:${s.rx_errors} dropped:${s.rx_dropped} overruns:? frame:?\n` +
    `    TX packets:${s.tx_packets} errors:${s.tx_errors} dropped:${s.tx_dropped} aborted:? carrier:?\n` +
    '    collisions:?\n' +
    `    RX bytes:${s.rx_bytes}${human(s.rx_bytes)}  TX bytes:${s.tx_bytes}${human(s.tx_bytes)}\n`
  );
}

/** `dpctl/dump-flows [dp]`: every cached flow, under OVS's per-thread heading. */
function dpctlDumpFlows(ctx: CommandContext, args: string[]): string {
  const dp = args.find((a) => !a.startsWith('-') && !a.includes('='));
  if (dp !== undefined && dp !== dpName(ctx.sw))
    throw new UnixctlError('ovs-vswitchd: datapath not found (Invalid argument)');
  const flows = ctx.sw.datapath.dumpFlows(ctx.clock());
  return flows.length === 0 ? '' : `flow-dump from the main thread:\n${flows.map((f) => `${f}\n`).join('')}`;
}

/** `dpif/dump-flows BRIDGE`: the cached flows whose input port belongs to the bridge. */
function dpifDumpFlows(ctx: CommandContext, args: string[]): string {
  const name = args.filter((a) => !a.startsWith('-')).pop() ?? '';
  const br = ctx.sw.bridge(requireBridge(ctx, name));
  const ports = new Set([...(br?.ifaces.values() ?? [])].map((i) => i.dpPort).filter((p) => p !== null));
  return ctx.sw.datapath
    .dumpFlows(ctx.clock())
    .filter((f) => ports.has(Number(/in_port\((\d+)\)/.exec(f)?.[1] ?? -1)))
    .map((f) => `${f}\n`)
    .join('');
}

/** `memory/show`: a few sizes as "name:count" pairs. */
function memoryShow(ctx: CommandContext): string {
  let cells = 0;
  for (const table of ['Open_vSwitch', 'Bridge', 'Port', 'Interface']) {
    for (const row of ctx.replica.rows(table).values()) cells += row.data.size;
  }
  const ports = ctx.sw.allIfaces().filter((i) => i.error === null).length;
  let rules = 0;
  for (const b of ctx.sw.bridges()) rules += ctx.sw.ofproto.ruleCount?.(b.name) ?? 1;
  const parts = [`idl-cells-Open_vSwitch:${cells}`, `ports:${ports}`, `rules:${rules}`];
  const flows = ctx.sw.datapath.stats().flows;
  if (flows > 0) parts.push(`udpif keys:${flows}`);
  return `${parts.join(' ')}\n`;
}

function registerDummyCommands(reg: Register, ctx: CommandContext): void {
  reg(
    'netdev-dummy/receive',
    'name [--qid queue_id] packet|flow [--len packet_len]',
    2,
    MANY,
    async (args) => {
      await ctx.settled();
      const dummy = dummyNamed(ctx.sw, args[0]);
      if (dummy === undefined) throw new UnixctlError('no such dummy netdev');
      let k = 1;
      if (args[k] === '--qid' && args.length > k + 1) {
        if (args[k + 1] !== '0') throw new UnixctlError('bad rx queue id.');
        k += 2;
      }
      const frames = args.slice(k).map(parseHexFrame);
      dummy.receive(...frames);
      return '';
    },
  );
  reg('netdev-dummy/set-admin-state', '[netdev] up|down', 1, 2, (args) => {
    const state = args[args.length - 1].toLowerCase();
    if (state !== 'up' && state !== 'down') throw new UnixctlError('Invalid Admin State');
    const targets =
      args.length === 2
        ? [dummyNamed(ctx.sw, args[0])]
        : ctx.sw.allIfaces().map((i) => (i.netdev instanceof DummyNetdev ? i.netdev : undefined));
    if (args.length === 2 && targets[0] === undefined) throw new UnixctlError('Unknown Dummy Interface');
    for (const t of targets) t?.setUp(state === 'up');
    return 'OK';
  });
}

function dummyNamed(sw: SwitchState, name: string): DummyNetdev | TypedDummyNetdev | undefined {
  const n = sw.iface(name)?.netdev;
  return n instanceof DummyNetdev ? n : undefined;
}

/** A frame given as hex digits (spaces, colons and dots between bytes allowed); at least an Ethernet header. */
export function parseHexFrame(text: string): Uint8Array {
  const hex = text.replace(/[\s:.]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(hex) || hex.length < 28) throw new UnixctlError(`syntax error at ${text}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** `ofproto/list-tunnels`: every tunnel port, in datapath port order. */
function listTunnels(sw: SwitchState): string {
  const lines: [number, string][] = [];
  for (const br of sw.bridges()) {
    for (const iface of br.ifaces.values()) {
      const n = iface.netdev;
      if (n instanceof TunnelNetdev && iface.dpPort !== null) {
        lines.push([iface.dpPort, formatTunnelPort(iface.dpPort, iface.name, n.config)]);
      }
    }
  }
  return lines
    .sort((a, b) => a[0] - b[0])
    .map(([, line]) => line)
    .join('');
}
