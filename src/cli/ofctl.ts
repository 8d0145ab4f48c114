// `tsovs ofctl [OPTIONS] COMMAND SWITCH [ARG...]`: ovs-ofctl for tsovs (and Open vSwitch) switches. The
// command syntax, the flow syntax, what goes over the wire and what is printed follow ovs-ofctl 3.1:
// the same connections in the same order (one to learn table and port names before flows are parsed, a
// fresh one for a trivial request), the same transaction ids, the same protocol switches
// (NXT_SET_FLOW_FORMAT, NXT_FLOW_MOD_TABLE_ID) before flow mods and dumps, so that output matches line
// for line. SWITCH is a bridge name (its socket is $TSOVS_RUNDIR/BRIDGE.mgmt), unix:PATH or tcp:IP[:PORT].
// Versions: by default every version this codec speaks (1.0, 1.3, 1.4, 1.5), the highest shared used.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionsText, type OfpAction, parseActions } from '../openflow/action-text.js';
import { connectOpenFlow, EncodedMessages, type OfConnection, OfConnectionError } from '../openflow/conn.js';
import {
  actionsFromWire,
  actionsToWire,
  type FlowProtocol,
  flowModToWire,
  flowStatsRequestToWire,
  instructionsFromWire,
  matchFromWire,
  usableFormats,
} from '../openflow/convert.js';
import {
  FF_SEND_FLOW_REM,
  type FlowCommand,
  flowModText,
  OFPG_ANY,
  type ParsedFlow,
  parseFlow,
  TABLE_ANY,
} from '../openflow/flow-text.js';
import { type MatchWords, matchText } from '../openflow/match-text.js';
import { decodeMessage, NO_BUFFER, NXFF_NXM, type OfBody, type OfMessage } from '../openflow/messages.js';
import { OFPP_NONE } from '../openflow/messages-actions.js';
import type { Bucket } from '../openflow/messages-stats.js';
import { parsePort } from '../openflow/port-text.js';
import {
  aggregateText,
  descText,
  featuresText,
  flowStatsText,
  groupDescText,
  groupStatsText,
  messageHeader,
  phyPortsText,
  portStatsReplyText,
  switchConfigText,
  tableStatsText,
} from '../openflow/print.js';
import { FlowTextError, parseHexBytes } from '../openflow/text-util.js';
import {
  OFP10_VERSION,
  OFP13_VERSION,
  OFP14_VERSION,
  OFP15_VERSION,
  versionBitmap,
  versionFromName,
} from '../openflow/wire.js';
import { ofpErrorDescription } from '../openflow/wire-errors.js';
import { rundir } from '../unixctl/rundir.js';
import { type CliIo, PROCESS_IO } from './io.js';
import {
  bundleTransact,
  bundleVersions,
  cmdMeterMod,
  cmdMeterRequest,
  cmdQueueGetConfig,
  type ExtContext,
  extReplyText,
} from './ofctl-ext.js';
import { runMonitor, runSnoop } from './ofctl-monitor.js';

const PROGRAM = 'ovs-ofctl';

/** A failure that ends the command: the message ovs-ofctl prints (after "ovs-ofctl: ") and exit 1. */
class OfctlError extends Error {}

/** An error reply already printed (to stderr), ending the command with status 1. */
export class PrintedError extends Error {}

/** Ends the command with this status and no message (diff-flows: 2 when the flows differ). */
class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

interface Options {
  versions: number[];
  strict: boolean;
  names: boolean | null;
  stats: boolean;
  sort: 'asc' | 'desc' | null;
  bundle: boolean;
  readOnly: boolean;
}

/** Messages noReply() encodes and writes between two turns of the event loop. */
const NO_REPLY_BATCH = 256;

/** One command: its arguments (after the switch) and what it does. */
interface Command {
  readonly min: number;
  readonly max: number;
  readonly run: (ctx: Context) => Promise<void>;
}

/**
 * The state of one ovs-ofctl run: options, output, and the transaction id counter, which (as in Open
 * vSwitch) is process-wide: every hello and every request takes the next one.
 */
export class Context {
  private xidCounter = { next: 1 };

  constructor(
    readonly opts: Options,
    readonly args: string[],
    readonly io: CliIo,
    parent?: Context,
  ) {
    // Transaction ids are process-wide in ovs-ofctl: a context for another switch shares the counter.
    if (parent) this.xidCounter = parent.xidCounter;
  }

  get target(): string {
    return this.args[0];
  }

  out(text: string): void {
    this.io.stdout(text);
  }

  nextXid(): number {
    return this.xidCounter.next++;
  }

  /**
   * The socket address for SWITCH (OVS open_vconn__): "unix:..."/"tcp:..." as given; a bridge name whose
   * $TSOVS_RUNDIR/NAME.mgmt exists; a path to a socket; else "NAME is not a bridge or a socket".
   */
  address(): string {
    const t = this.target;
    if (t.includes(':')) return t;
    const mgmt = join(rundir(this.io.env), `${t}.mgmt`);
    if (existsSync(mgmt)) return `unix:${mgmt}`;
    if (existsSync(t)) return `unix:${t}`;
    throw new OfctlError(`${t} is not a bridge or a socket`);
  }

  /** Opens a connection as open_vconn does (its hello takes a transaction id). */
  async open(): Promise<OfConnection> {
    const address = this.address();
    this.nextXid();
    try {
      return await connectOpenFlow(address, { versions: versionBitmap(this.opts.versions) });
    } catch (err) {
      if (err instanceof OfConnectionError && err.code === 'incompatible') {
        // As Open vSwitch's vconn logs it before ovs-ofctl gives up.
        const m = /we support (.*), peer supports (.*)\)/.exec(err.message);
        const list = (x: string) => (x.includes(',') ? `versions ${x}` : `version ${x}`);
        const detail = m ? ` (we support ${list(m[1])}, peer supports ${list(m[2])})` : '';
        this.io.stderr(`${PROGRAM}|vconn|WARN|${address}: version negotiation failed${detail}\n`);
      }
      throw new OfctlError(connectError(this.target, address, err));
    }
  }

  /** Sends a request and collects its replies; an error reply is printed as ovs-ofctl prints it. */
  async request(conn: OfConnection, body: OfBody): Promise<OfMessage[]> {
    const xid = this.nextXid();
    try {
      return await conn.request({ ...body, xid });
    } catch (err) {
      throw this.remoteError(err, 'stdout');
    }
  }

  /** Sends messages without replies followed by a barrier (vconn_transact_multiple_noreply). */
  async noReply(conn: OfConnection, bodies: Iterable<OfBody>): Promise<void> {
    // One write per 256 KiB of messages, not one per flow mod: add-flows of 100,000 flows is then bound by
    // encoding and the switch, not by system calls. Between batches the event loop runs, so that what was
    // written reaches the switch (working on the other core) while the next batch is encoded.
    let batch: OfBody[] = [];
    for (const body of bodies) {
      batch.push(body);
      if (batch.length === NO_REPLY_BATCH) {
        conn.sendMany(batch, () => this.nextXid());
        batch = [];
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    conn.sendMany(batch, () => this.nextXid());
    await this.barrier(conn);
  }

  /** noReply() for messages already encoded: each gets the next transaction id as it is written. */
  async noReplyEncoded(conn: OfConnection, messages: EncodedMessages): Promise<void> {
    for (const chunk of messages.chunks(() => this.nextXid())) {
      conn.sendRaw(chunk);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await this.barrier(conn);
  }

  /** The barrier that ends a run of messages without replies; the first error reply is printed. */
  private async barrier(conn: OfConnection): Promise<void> {
    const barrierXid = this.nextXid();
    const errors: OfMessage[] = [];
    const onMessage = (m: OfMessage) => {
      if (m.type === 'error') errors.push(m);
    };
    conn.on('message', onMessage);
    try {
      await conn.request({ type: 'barrier_request', xid: barrierXid });
    } catch (err) {
      throw new OfctlError(`talking to ${this.target} (${(err as Error).message})`);
    } finally {
      conn.off('message', onMessage);
    }
    if (errors.length) {
      this.io.stderr(errorText(errors[0]));
      throw new PrintedError();
    }
  }

  private remoteError(err: unknown, to: 'stdout' | 'stderr'): Error {
    if (err instanceof Error && 'reply' in err) {
      const reply = (err as { reply: OfMessage }).reply;
      (to === 'stdout' ? this.out.bind(this) : this.io.stderr)(errorText(reply));
      return new PrintedError();
    }
    return new OfctlError(`talking to ${this.target} (${err instanceof Error ? err.message : String(err)})`);
  }

  /** Whether names are accepted in flows (which makes ovs-ofctl fetch them first). */
  get acceptNames(): boolean {
    return this.opts.names !== false;
  }

  /** Whether names are shown (ovs-ofctl: --names, or a terminal). */
  get showNames(): boolean {
    return this.opts.names ?? false;
  }

  private tableNames: Map<number, string> | null = null;
  private portNames: Map<number, string> | null = null;

  /** get_table_map(): a connection of its own asking for the tables (stats in 1.0, features in 1.3). */
  async tables(): Promise<Map<number, string>> {
    if (this.tableNames) return this.tableNames;
    const map = new Map<number, string>();
    if (!this.target.includes(':') || /^(unix|tcp):/.test(this.target)) {
      const conn = await this.open();
      try {
        const v = conn.version;
        const replies = await this.request(conn, {
          type: v >= OFP13_VERSION ? 'table_features_request' : 'table_stats_request',
          flags: 0,
          ...(v >= OFP13_VERSION ? { tables: [] } : {}),
        } as OfBody);
        for (const r of replies) {
          if (r.type === 'table_stats_reply' || r.type === 'table_features_reply') {
            for (const t of r.tables) {
              const name = t.name.replace(/\0.*$/s, '');
              if (name) map.set(t.tableId, name);
            }
          }
        }
      } finally {
        conn.close();
      }
    }
    this.tableNames = map;
    return map;
  }

  /** get_port_map(): a connection of its own asking for the ports (features in 1.0, port-desc in 1.3). */
  async ports(): Promise<Map<number, string>> {
    if (this.portNames) return this.portNames;
    const map = new Map<number, string>();
    const conn = await this.open();
    try {
      const v = conn.version;
      const replies =
        v >= OFP13_VERSION
          ? await this.request(conn, { type: 'port_desc_request', flags: 0 })
          : await this.request(conn, { type: 'features_request' });
      for (const r of replies) {
        const list = r.type === 'port_desc_reply' || r.type === 'features_reply' ? r.ports : [];
        for (const p of list) map.set(p.portNo, p.name);
      }
    } finally {
      conn.close();
    }
    this.portNames = map;
    return map;
  }
}

function connectError(target: string, address: string, err: unknown): string {
  if (err instanceof OfConnectionError && err.code === 'incompatible') {
    return `${address}: failed to connect to socket (Protocol error)`;
  }
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'No such file or directory'
      : code === 'ECONNREFUSED'
        ? 'Connection refused'
        : err instanceof Error
          ? err.message
          : String(err);
  const path = address.replace(/^unix:/, '');
  return target.includes(':')
    ? `${target}: failed to open socket (${why})`
    : `${path}: failed to open socket (${why})`;
}

// --- Printing replies -----------------------------------------------------------------------------------

/** The name ovs-ofctl prints for a reply type (Open vSwitch's ofpraw names). */
const REPLY_NAMES: Partial<Record<OfMessage['type'], string>> = {
  features_reply: 'OFPT_FEATURES_REPLY',
  get_config_reply: 'OFPT_GET_CONFIG_REPLY',
  desc_reply: 'OFPST_DESC reply',
  table_stats_reply: 'OFPST_TABLE reply',
  port_stats_reply: 'OFPST_PORT reply',
  port_desc_reply: 'OFPST_PORT_DESC reply',
  flow_stats_reply: 'OFPST_FLOW reply',
  nx_flow_stats_reply: 'NXST_FLOW reply',
  aggregate_stats_reply: 'OFPST_AGGREGATE reply',
  nx_aggregate_stats_reply: 'NXST_AGGREGATE reply',
  group_desc_reply: 'OFPST_GROUP_DESC reply',
  group_stats_reply: 'OFPST_GROUP reply',
  error: 'OFPT_ERROR',
  barrier_reply: 'OFPT_BARRIER_REPLY',
};

/** One reply as ofp_print prints it. */
function replyText(m: OfMessage, names?: ReadonlyMap<number, string>): string {
  const head = messageHeader(REPLY_NAMES[m.type] ?? m.type, m.version, m.xid);
  switch (m.type) {
    case 'features_reply':
      return `${head}${featuresText(m, m.version)}`;
    case 'get_config_reply':
      return `${head}${switchConfigText(m)}`;
    case 'desc_reply':
      return `${head}${descText(m.desc)}`;
    case 'table_stats_reply':
      return `${head}${tableStatsText(m.tables, m.version)}`;
    case 'port_stats_reply':
      return `${head}${portStatsReplyText(m.ports, m.version, names)}`;
    case 'port_desc_reply':
      return `${head}\n${phyPortsText(m.ports, m.version)}`;
    case 'flow_stats_reply':
    case 'nx_flow_stats_reply':
      return `${head}\n${m.flows.map((f) => ` ${flowStatsText(f, m.version, { stats: true, portNames: names, nx: m.type === 'nx_flow_stats_reply' })}\n`).join('')}`;
    case 'aggregate_stats_reply':
    case 'nx_aggregate_stats_reply':
      return `${head}${aggregateText(m)}`;
    case 'group_desc_reply':
      return `${head}\n${m.groups.map((g) => groupDescText(g, m.version)).join('')}`;
    case 'group_stats_reply':
      return `${head}\n${m.groups.map((g) => groupStatsText(g)).join('')}`;
    case 'error':
      return errorText(m);
    default:
      return extReplyText(m) ?? `${head}\n`;
  }
}

/** An error reply as ofp_print prints it: its name, then the request it answers, decoded or in hex. */
function errorText(m: OfMessage): string {
  if (m.type !== 'error') return '';
  const head = messageHeader('OFPT_ERROR', m.version, m.xid);
  const name = m.name ?? `***decode error: type ${m.errType}, code ${m.errCode}***`;
  let s = `${head} ${name}\n`;
  if (m.data.length >= 8) {
    try {
      const inner = decodeMessage(m.data);
      s += `${requestText(inner)}\n`;
    } catch {
      s += hexDump(m.data);
    }
  } else if (m.name) {
    s += `${ofpErrorDescription(m.name)}\n`;
  }
  return s;
}

/** A request echoed in an error (the flow mods ovs-ofctl sends); others as their type name. */
function requestText(m: OfMessage): string {
  if (m.type === 'flow_mod' || m.type === 'nx_flow_mod') {
    const head = messageHeader(m.type === 'flow_mod' ? 'OFPT_FLOW_MOD' : 'NXT_FLOW_MOD', m.version, m.xid);
    const commands: FlowCommand[] = ['add', 'modify', 'modify_strict', 'delete', 'delete_strict'];
    const flow: ParsedFlow = {
      command: commands[m.command] ?? 'add',
      tableId: m.tableId,
      priority: m.priority,
      cookie: m.cookieMask ? m.cookie : 0n,
      cookieMask: m.cookieMask,
      newCookie: m.cookieMask ? null : m.cookie,
      idleTimeout: m.idleTimeout,
      hardTimeout: m.hardTimeout,
      importance: m.importance,
      flags: m.flags,
      outPort: m.outPort,
      outGroup: m.outGroup,
      match: matchFromWire(m.match, { strict: false }),
      actions: instructionsFromWire(m.instructions, m.version),
      dropped: [],
    };
    return `${head} ${flowModText(flow)}`;
  }
  const ext = extReplyText(m, hexDump);
  if (ext !== null) return ext.replace(/\n$/, '');
  return messageHeader(m.type.toUpperCase(), m.version, m.xid);
}

/** OVS ovs_hex_dump() with offsets and ASCII, as ofp_print shows undecodable bytes. */
function hexDump(data: Uint8Array): string {
  let s = '';
  for (let off = 0; off < data.length; off += 16) {
    const row = data.subarray(off, off + 16);
    let hex = '';
    for (let i = 0; i < 16; i++) {
      hex += i < row.length ? row[i].toString(16).padStart(2, '0') : '  ';
      hex += i === 7 ? (i + 1 < row.length ? '-' : ' ') : i < 15 ? ' ' : '';
    }
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    s += `${off.toString(16).padStart(8, '0')}  ${hex} |${ascii.padEnd(16)}|\n`;
  }
  return s;
}

// --- Commands -------------------------------------------------------------------------------------------

/** dump_trivial_transaction(): a fresh connection, one request, its replies printed. */
async function trivial(ctx: Context, body: OfBody): Promise<void> {
  const conn = await ctx.open();
  try {
    for (const r of await ctx.request(conn, body)) ctx.out(replyText(r));
  } finally {
    conn.close();
  }
}

async function cmdShow(ctx: Context): Promise<void> {
  const conn = await ctx.open();
  try {
    const [features] = await ctx.request(conn, { type: 'features_request' });
    ctx.out(replyText(features));
    if (conn.version >= OFP13_VERSION) {
      for (const r of await ctx.request(conn, { type: 'port_desc_request', flags: 0 })) ctx.out(replyText(r));
    }
    await trivial(ctx, { type: 'get_config_request' });
  } finally {
    conn.close();
  }
}

async function cmdDumpPorts(ctx: Context): Promise<void> {
  const arg = ctx.args[1];
  let port = OFPP_NONE;
  if (arg !== undefined) {
    // str_to_port_no(): a number or reserved name as is; otherwise ask the switch (a connection of its own).
    let p = parsePort(arg);
    if (p === undefined) {
      const names = await ctx.ports();
      p = [...names].find(([, n]) => n === arg)?.[0];
    }
    if (p === undefined) throw new OfctlError(`${ctx.target}: unknown port \`${arg}'`);
    port = p;
  }
  const conn = await ctx.open();
  try {
    const xid = ctx.nextXid();
    const replies = await conn
      .request({ type: 'port_stats_request', flags: 0, portNo: port, xid })
      .catch((e) => {
        throw e;
      });
    const names = ctx.showNames ? await ctx.ports() : undefined;
    for (const r of replies) ctx.out(replyText(r, names));
  } finally {
    conn.close();
  }
}

/** The flow format for a dump on `conn` (set_protocol_for_flow_dump): NXM in OpenFlow 1.0, OXM in 1.3. */
async function dumpProtocol(ctx: Context, conn: OfConnection): Promise<FlowProtocol> {
  if (conn.version >= OFP13_VERSION) return { version: conn.version, format: 'oxm' };
  await ctx.noReply(conn, [{ type: 'nx_set_flow_format', value: NXFF_NXM }]);
  return { version: OFP10_VERSION, format: 'nxm' };
}

function parseOrFail(text: string, command: FlowCommand): ParsedFlow {
  try {
    return parseFlow(text, { command });
  } catch (err) {
    if (err instanceof FlowTextError) throw new OfctlError(err.message);
    throw err;
  }
}

async function cmdDumpFlows(ctx: Context, aggregate: boolean): Promise<void> {
  const filterText = ctx.args[1] ?? '';
  if (filterText && ctx.acceptNames) {
    await ctx.tables();
    await ctx.ports();
  }
  const filter = parseOrFail(filterText, 'filter');
  const conn = await ctx.open();
  try {
    const protocol = await dumpProtocol(ctx, conn);
    const request = flowStatsRequestToWire(filter, protocol, aggregate);
    const replies = await ctx.request(conn, request);
    const plain = aggregate || (!ctx.opts.sort && !ctx.showNames && ctx.opts.stats);
    if (plain) {
      for (const r of replies) ctx.out(replyText(r));
      return;
    }
    const flows = replies.flatMap((r) =>
      r.type === 'flow_stats_reply' || r.type === 'nx_flow_stats_reply' ? r.flows : [],
    );
    if (ctx.opts.sort) {
      const dir = ctx.opts.sort === 'asc' ? 1 : -1;
      flows.sort((a, b) => dir * (a.priority - b.priority));
    }
    const names = ctx.showNames ? await ctx.ports() : undefined;
    for (const f of flows) {
      // vconn_dump_flows() decodes without the flow-age extension: no idle_age/hard_age here.
      ctx.out(` ${flowStatsText(f, protocol.version, { stats: ctx.opts.stats, portNames: names })}\n`);
    }
  } finally {
    conn.close();
  }
}

/** open_vconn_for_flow_mod(): keeps OpenFlow 1.0 if the flows fit, else switches to NXM and/or table ids. */
/** What the flow formats usable for a set of flows have in common (usableFormats() of each, folded). */
interface UsableSummary {
  oxm: boolean;
  nxm: boolean;
  openflow10: boolean;
  tid: boolean;
}

function usableSummary(): UsableSummary {
  return { oxm: true, nxm: true, openflow10: true, tid: false };
}

function addUsable(sum: UsableSummary, flow: ParsedFlow): void {
  const u = usableFormats(flow);
  sum.oxm &&= u.oxm;
  sum.nxm &&= u.nxm;
  sum.openflow10 &&= u.openflow10;
  sum.tid ||= u.tid;
}

async function flowModProtocol(
  ctx: Context,
  conn: OfConnection,
  flows: readonly ParsedFlow[] | UsableSummary,
): Promise<FlowProtocol> {
  let usable: UsableSummary;
  if (Array.isArray(flows)) {
    usable = usableSummary();
    for (const f of flows as readonly ParsedFlow[]) addUsable(usable, f);
  } else usable = flows as UsableSummary;
  if (conn.version >= OFP13_VERSION) {
    if (!usable.oxm) {
      throw new OfctlError(
        'none of the usable flow formats (OpenFlow10,NXM) is among the allowed flow formats (OXM-OpenFlow13)',
      );
    }
    return { version: conn.version, format: 'oxm' };
  }
  if (!usable.nxm) {
    throw new OfctlError(
      'none of the usable flow formats (OXM-OpenFlow11+) is among the allowed flow formats (OpenFlow10)',
    );
  }
  const std = usable.openflow10;
  const switches: OfBody[] = [];
  if (!std) switches.push({ type: 'nx_set_flow_format', value: NXFF_NXM });
  for (const s of switches) await ctx.noReply(conn, [s]);
  if (usable.tid) await ctx.noReply(conn, [{ type: 'nx_flow_mod_table_id', enable: true }]);
  return { version: OFP10_VERSION, format: std ? 'openflow10' : 'nxm', tid: usable.tid };
}

/** Sends flow mods: plainly with a barrier, or with --bundle as one atomic bundle. */
async function sendMods(ctx: Context, conn: OfConnection, mods: Iterable<OfBody>): Promise<void> {
  if (ctx.opts.bundle) {
    if (conn.version < OFP13_VERSION)
      throw new OfctlError("bundles need OpenFlow 1.3 or later ('-O OpenFlow14')");
    await bundleTransact(extContext(ctx), conn, [...mods]);
  } else await ctx.noReply(conn, mods);
}

/** The flow mods for `flows`, converted as they are sent (not all held at once). */
function* flowMods(flows: readonly ParsedFlow[], protocol: FlowProtocol): Generator<OfBody> {
  for (const f of flows) yield flowModToWire(f, protocol);
}

/** The view of a run that ofctl-ext.ts's commands use. */
function extContext(ctx: Context): ExtContext {
  return {
    args: ctx.args,
    target: ctx.target,
    opts: ctx.opts,
    out: (t) => ctx.out(t),
    stderr: (t) => ctx.io.stderr(t),
    nextXid: () => ctx.nextXid(),
    open: () => ctx.open(),
    request: (conn, body) => ctx.request(conn, body),
    dump: async (conn, body) => {
      try {
        return await ctx.request(conn, body);
      } catch (err) {
        if (err instanceof PrintedError) return [];
        throw err;
      }
    },
    noReply: (conn, bodies) => ctx.noReply(conn, bodies),
    ports: () => ctx.ports(),
    fail: (message) => {
      throw new OfctlError(message);
    },
    printed: () => {
      throw new PrintedError();
    },
    messageText: (m) => `${requestText(m)}\n`,
    portArg: (text) => portArg(ctx, text),
  };
}

async function sendFlowMods(ctx: Context, flows: readonly ParsedFlow[]): Promise<void> {
  const conn = await ctx.open();
  try {
    const protocol = await flowModProtocol(ctx, conn, flows);
    await sendMods(ctx, conn, flowMods(flows, protocol));
  } finally {
    conn.close();
  }
}

async function cmdFlowMod(ctx: Context, command: FlowCommand): Promise<void> {
  const text = ctx.args[1] ?? '';
  if (ctx.acceptNames) {
    await ctx.tables();
    await ctx.ports();
  }
  const strict = ctx.opts.strict && (command === 'modify' || command === 'delete');
  const cmd: FlowCommand = strict ? (command === 'modify' ? 'modify_strict' : 'delete_strict') : command;
  await sendFlowMods(ctx, [parseOrFail(text, cmd)]);
}

function readFlowFile(_ctx: Context, file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new OfctlError(
      `${file}: open failed (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (err as Error).message})`,
    );
  }
}

/**
 * add-flows FILE: every line is parsed (and its errors reported, nothing sent) before any flow mod goes
 * out, as ovs-ofctl does. That one pass also encodes each flow mod, for the version the connection will
 * most likely speak (the highest offered), into one buffer of bytes: no parsed flows are held (holding
 * 100,000 of them cost more in garbage collection than parsing), and no line is parsed twice. When the
 * switch settles on another version or flow format, the lines are parsed again and converted for it.
 */
async function cmdAddFlows(ctx: Context): Promise<void> {
  const file = ctx.args[1];
  if (ctx.acceptNames) {
    await ctx.tables();
    await ctx.ports();
  }
  const lines = readFlowFile(ctx, file).split('\n');
  const parseLine = (i: number): ParsedFlow | null => {
    const hash = lines[i].indexOf('#');
    const line = (hash < 0 ? lines[i] : lines[i].slice(0, hash)).trim();
    if (!line) return null;
    try {
      return parseFlow(line, { command: 'add', commandPrefix: true });
    } catch (err) {
      if (err instanceof FlowTextError) throw new OfctlError(`${file}:${i + 1}: ${err.message}`);
      throw err;
    }
  };
  const guess = Math.max(...ctx.opts.versions);
  const encoded = guess >= OFP13_VERSION && !ctx.opts.bundle ? new EncodedMessages(guess) : null;
  const likely: FlowProtocol = { version: guess, format: 'oxm' };
  const usable = usableSummary();
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const f = parseLine(i);
    if (f === null) continue;
    addUsable(usable, f);
    if (encoded !== null && usable.oxm) encoded.add(flowModToWire(f, likely));
    count++;
  }
  if (count === 0) return;
  const conn = await ctx.open();
  try {
    const protocol = await flowModProtocol(ctx, conn, usable);
    if (encoded !== null && protocol.version === guess && protocol.format === 'oxm') {
      await ctx.noReplyEncoded(conn, encoded);
      return;
    }
    await sendMods(
      ctx,
      conn,
      (function* () {
        for (let i = 0; i < lines.length; i++) {
          const f = parseLine(i);
          if (f !== null) yield flowModToWire(f, protocol);
        }
      })(),
    );
  } finally {
    conn.close();
  }
}

/** Port names the flow and action parsers accept (name → number), fetched as ovs-ofctl fetches them. */
async function acceptedPorts(ctx: Context): Promise<Map<string, number> | undefined> {
  if (!ctx.acceptNames) return undefined;
  await ctx.tables();
  const ports = await ctx.ports();
  return new Map([...ports].map(([n, name]) => [name, n]));
}

function parseActionsOrFail(text: string, ports?: ReadonlyMap<string, number>): OfpAction[] {
  try {
    return parseActions(text, { ports });
  } catch (err) {
    if (err instanceof FlowTextError) throw new OfctlError(err.message);
    throw err;
  }
}

/** OVS eth_from_hex(): hex digits (spaces and dots allowed between bytes), at least an Ethernet header. */
function packetFromHex(hex: string): Uint8Array {
  const { bytes, end } = parseHexBytes(hex);
  if (end !== hex.length) throw new OfctlError('Trailing garbage in packet data');
  if (bytes.length < 14) throw new OfctlError('Packet data too short for Ethernet');
  return bytes;
}

/** str_to_port_no(): a number or reserved name as is; otherwise a port name the switch knows. */
async function portArg(ctx: Context, text: string): Promise<number> {
  let p = parsePort(text);
  if (p === undefined) p = [...(await ctx.ports())].find(([, n]) => n === text)?.[0];
  if (p === undefined) throw new OfctlError(`${ctx.target}: unknown port \`${text}'`);
  return p;
}

/** packet-out SWITCH IN_PORT ACTIONS PACKET... or packet-out SWITCH "in_port=...,packet=...,actions=...". */
async function cmdPacketOut(ctx: Context): Promise<void> {
  let inPort: number;
  let actions: OfpAction[];
  let packets: Uint8Array[];
  if (ctx.args.length > 3) {
    const ports = await acceptedPorts(ctx);
    actions = parseActionsOrFail(ctx.args[2], ports);
    inPort = await portArg(ctx, ctx.args[1]);
    packets = ctx.args.slice(3).map(packetFromHex);
  } else if (ctx.args.length === 2) {
    const ports = await acceptedPorts(ctx);
    const text = ctx.args[1];
    const at = text.indexOf('actions=');
    if (at < 0) throw new OfctlError('must specify an action');
    actions = parseActionsOrFail(text.slice(at + 'actions='.length), ports);
    inPort = OFPP_NONE;
    let packet: Uint8Array | null = null;
    for (const part of text
      .slice(0, at)
      .split(',')
      .filter((x) => x.trim())) {
      const [key, value = ''] = part.split('=');
      if (key === 'in_port') {
        const p = parsePort(value, ports);
        if (p === undefined) throw new OfctlError(`${value} is not a valid OpenFlow port`);
        inPort = p;
      } else if (key === 'packet') packet = packetFromHex(value);
      else throw new OfctlError(`unknown keyword ${key}`);
    }
    if (!packet) throw new OfctlError('must specify packet');
    packets = [packet];
  } else {
    throw new OfctlError(`Too many arguments (${ctx.args.length + 1})`);
  }
  const conn = await ctx.open();
  try {
    const wire = actionsToWire(actions, conn.version);
    for (const data of packets) {
      await ctx.noReply(conn, [{ type: 'packet_out', bufferId: NO_BUFFER, inPort, actions: wire, data }]);
    }
  } finally {
    conn.close();
  }
}

const GROUP_TYPES: Readonly<Record<string, number>> = {
  all: 0,
  select: 1,
  indirect: 2,
  ff: 3,
  fast_failover: 3,
};
const OFPG_ALL = 0xfffffffc;
const OFPG_MAX = 0xffffff00;

/** Splits at commas outside parentheses. */
function topLevelItems(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

/** OVS parse_bucket_str(): weight, watch_port, watch_group, bucket_id, and the rest as actions. */
function parseBucket(text: string, type: number, ports?: ReadonlyMap<string, number>): Bucket {
  let weight = type === 1 ? 1 : 0;
  let watchPort = OFPP_NONE;
  let watchGroup = 0xffffffff;
  const actions: string[] = [];
  const items = topLevelItems(text);
  for (let i = 0; i < items.length; i++) {
    const m = /^([a-z_]+)[:=](.*)$/i.exec(items[i]);
    const key = m?.[1].toLowerCase();
    const value = m?.[2] ?? '';
    if (key === 'weight') weight = Number.parseInt(value, 10);
    else if (key === 'watch_port') {
      const p = parsePort(value, ports);
      if (p === undefined) throw new OfctlError(`${value}: invalid watch_port`);
      watchPort = p;
    } else if (key === 'watch_group') watchGroup = Number.parseInt(value, 10);
    else if (key === 'bucket_id') continue;
    else if (key === 'action' || key === 'actions') actions.push(value);
    else actions.push(items[i]);
  }
  if (!actions.length) throw new OfctlError('bucket must specify actions');
  return {
    weight,
    watchPort,
    watchGroup,
    actions: actionsToWire(parseActionsOrFail(actions.join(','), ports), OFP13_VERSION),
  };
}

/** OVS parse_ofp_group_mod_str() for add/modify/delete. */
function parseGroupMod(text: string, command: number, ports?: ReadonlyMap<string, number>): OfBody {
  let groupId: number | null = command === 2 ? OFPG_ALL : null;
  let groupType: number | null = null;
  const bucketTexts: string[] = [];
  const at = text.indexOf('bucket');
  const head = at < 0 ? text : text.slice(0, at);
  if (at >= 0) {
    for (const b of text
      .slice(at)
      .split(/,?bucket=/)
      .filter((x) => x.trim()))
      bucketTexts.push(b);
  }
  for (const item of topLevelItems(head)) {
    const [key, value = ''] = item.split('=');
    if (key === 'group_id') {
      groupId = value === 'all' ? OFPG_ALL : Number.parseInt(value, 10);
      if (!Number.isInteger(groupId) || (groupId > OFPG_MAX && groupId !== OFPG_ALL)) {
        throw new OfctlError(`invalid group id ${value}`);
      }
    } else if (key === 'type') {
      const t = GROUP_TYPES[value];
      if (t === undefined) throw new OfctlError(`invalid group type ${value}`);
      groupType = t;
    } else throw new OfctlError(`unknown keyword ${key}`);
  }
  if (groupId === null) throw new OfctlError('must specify a group_id');
  if (command === 0 && groupType === null) throw new OfctlError('must specify a type');
  const type = groupType ?? 0;
  return {
    type: 'group_mod',
    command,
    groupType: type,
    groupId,
    buckets: bucketTexts.map((b) => parseBucket(b, type, ports)),
  };
}

async function cmdGroupMod(ctx: Context, command: number): Promise<void> {
  const ports = await acceptedPorts(ctx);
  const mod = parseGroupMod(ctx.args[1] ?? '', command, ports);
  const conn = await ctx.open();
  try {
    if (conn.version < OFP13_VERSION) {
      throw new OfctlError(`${ctx.target}: groups need OpenFlow 1.1 or later (use -O OpenFlow13)`);
    }
    await ctx.noReply(conn, [mod]);
  } finally {
    conn.close();
  }
}

const PORT_FLAGS: readonly [string, number, boolean][] = [
  ['up', 1, false],
  ['down', 1, true],
  ['stp', 2, false],
  ['receive', 4, false],
  ['receive-stp', 8, false],
  ['flood', 16, false],
  ['forward', 32, false],
  ['packet-in', 64, false],
];

/** mod-port SWITCH PORT up|down|[no-]flood|...: the port's number and address first, then a port-mod. */
async function cmdModPort(ctx: Context): Promise<void> {
  const [, portText, action] = ctx.args;
  const ports = await (async () => {
    const conn = await ctx.open();
    try {
      const replies =
        conn.version >= OFP13_VERSION
          ? await ctx.request(conn, { type: 'port_desc_request', flags: 0 })
          : await ctx.request(conn, { type: 'features_request' });
      return replies.flatMap((r) =>
        r.type === 'port_desc_reply' || r.type === 'features_reply' ? r.ports : [],
      );
    } finally {
      conn.close();
    }
  })();
  const number = parsePort(portText);
  const port = ports.find((p) => (number !== undefined ? p.portNo === number : p.name === portText));
  if (!port) throw new OfctlError(`${ctx.target}: couldn't find port \`${portText}'`);
  const lower = action.toLowerCase();
  const not = lower.startsWith('no-') ? 3 : lower.startsWith('no') ? 2 : 0;
  const flag = PORT_FLAGS.find(([name]) => name === lower.slice(not));
  if (!flag) throw new OfctlError(`unknown mod-port command '${action}'`);
  const [, bit, on] = flag;
  const conn = await ctx.open();
  try {
    await ctx.noReply(conn, [
      {
        type: 'port_mod',
        portNo: port.portNo,
        hwAddr: port.hwAddr,
        config: on !== not > 0 ? bit : 0,
        mask: bit,
        advertise: 0,
      },
    ]);
  } finally {
    conn.close();
  }
}

// --- diff-flows and replace-flows -------------------------------------------------------------------

/** One flow of a table being compared (OVS struct fte_version plus its rule's match and priority). */
interface FlowVersion {
  readonly tableId: number;
  readonly priority: number;
  readonly match: MatchWords;
  readonly cookie: bigint;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  readonly importance: number;
  readonly flags: number;
  readonly actions: readonly OfpAction[];
}

/** Key of a flow in the comparison: table, priority and match (OVS keys a classifier per table). */
function flowKey(f: FlowVersion): string {
  return `${f.tableId}/${f.priority}/${f.match.value.join(',')}/${f.match.mask.join(',')}`;
}

function versionsEqual(a: FlowVersion, b: FlowVersion): boolean {
  return (
    a.cookie === b.cookie &&
    a.idleTimeout === b.idleTimeout &&
    a.hardTimeout === b.hardTimeout &&
    a.importance === b.importance &&
    a.tableId === b.tableId &&
    actionsText(a.actions) === actionsText(b.actions)
  );
}

/** OVS fte_version_format(). */
function versionText(f: FlowVersion, names?: ReadonlyMap<number, string>): string {
  let s = f.tableId ? `table=${f.tableId} ` : '';
  s += matchText(f.match, f.priority, names);
  if (f.cookie) s += ` cookie=0x${f.cookie.toString(16)}`;
  if (f.idleTimeout) s += ` idle_timeout=${f.idleTimeout}`;
  if (f.hardTimeout) s += ` hard_timeout=${f.hardTimeout}`;
  if (f.importance) s += ` importance=${f.importance}`;
  return `${s} actions=${actionsText(f.actions, names)}\n`;
}

/** read_flows_from_file(): every line an add-flow, later lines replacing earlier ones with the same key. */
function flowsFromFile(ctx: Context, file: string, ports?: ReadonlyMap<string, number>): FlowVersion[] {
  const out = new Map<string, FlowVersion>();
  for (const [i, raw] of readFlowFile(ctx, file).split('\n').entries()) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    let f: ParsedFlow;
    try {
      f = parseFlow(line, { command: 'add', ports });
    } catch (err) {
      if (err instanceof FlowTextError) throw new OfctlError(`${file}:${i + 1}: ${err.message}`);
      throw err;
    }
    const v: FlowVersion = {
      tableId: f.tableId === TABLE_ANY ? 0 : f.tableId,
      priority: f.priority,
      match: f.match,
      cookie: f.newCookie ?? 0n,
      idleTimeout: f.idleTimeout,
      hardTimeout: f.hardTimeout,
      importance: f.importance,
      flags: f.flags & FF_SEND_FLOW_REM,
      actions: f.actions,
    };
    out.set(flowKey(v), v);
  }
  return [...out.values()];
}

/** read_flows_from_switch(): a flow dump on `conn` in `protocol`. */
async function flowsFromSwitch(
  ctx: Context,
  conn: OfConnection,
  protocol: FlowProtocol,
): Promise<FlowVersion[]> {
  const all = parseFlow('', { command: 'filter' });
  const replies = await ctx.request(conn, flowStatsRequestToWire(all, protocol, false));
  return replies.flatMap((r) =>
    r.type === 'flow_stats_reply' || r.type === 'nx_flow_stats_reply'
      ? r.flows.map((f) => ({
          tableId: f.tableId,
          priority: f.priority,
          match: matchFromWire(f.match, { strict: false }),
          cookie: f.cookie,
          idleTimeout: f.idleTimeout,
          hardTimeout: f.hardTimeout,
          importance: f.importance,
          flags: 0,
          actions:
            r.version === OFP10_VERSION
              ? actionsFromWire(f.instructions.flatMap((i) => (i.type === 'apply_actions' ? i.actions : [])))
              : instructionsFromWire(f.instructions, r.version),
        }))
      : [],
  );
}

/** Pairs up two sets of flows by key, in table order (then by priority, highest first). */
function pairFlows(
  a: readonly FlowVersion[],
  b: readonly FlowVersion[],
): [FlowVersion | undefined, FlowVersion | undefined][] {
  const keys = new Map<string, [FlowVersion | undefined, FlowVersion | undefined]>();
  for (const f of a) keys.set(flowKey(f), [f, keys.get(flowKey(f))?.[1]]);
  for (const f of b) keys.set(flowKey(f), [keys.get(flowKey(f))?.[0], f]);
  const pairs = [...keys.values()];
  const some = (p: (typeof pairs)[number]) => (p[0] ?? p[1]) as FlowVersion;
  return pairs.sort((x, y) => some(x).tableId - some(y).tableId || some(y).priority - some(x).priority);
}

async function flowsFromSource(ctx: Context, source: string): Promise<FlowVersion[]> {
  if (source.startsWith('/') || source.startsWith('.') || (!source.includes(':') && existsSync(source))) {
    return flowsFromFile(ctx, source);
  }
  const sub = new Context(ctx.opts, [source], ctx.io, ctx);
  const conn = await sub.open();
  try {
    return await flowsFromSwitch(sub, conn, await dumpProtocol(sub, conn));
  } finally {
    conn.close();
  }
}

/** diff-flows SOURCE1 SOURCE2: "-" and "+" lines for flows that differ; exit status 2 when any do. */
async function cmdDiffFlows(ctx: Context): Promise<void> {
  const a = await flowsFromSource(ctx, ctx.args[0]);
  const b = await flowsFromSource(ctx, ctx.args[1]);
  let differ = false;
  for (const [x, y] of pairFlows(a, b)) {
    if (x && y && versionsEqual(x, y)) continue;
    if (x) ctx.out(`-${versionText(x)}`);
    if (y) ctx.out(`+${versionText(y)}`);
    differ = true;
  }
  if (differ) throw new ExitStatus(2);
}

/** A flow version as the flow mod replace-flows sends (fte_make_flow_mod). */
function versionFlowMod(f: FlowVersion, command: FlowCommand): ParsedFlow {
  const withActions = command === 'add';
  return {
    command,
    tableId: f.tableId,
    priority: f.priority,
    cookie: 0n,
    cookieMask: 0n,
    newCookie: f.cookie,
    idleTimeout: f.idleTimeout,
    hardTimeout: f.hardTimeout,
    importance: f.importance,
    flags: f.flags,
    outPort: OFPP_NONE,
    outGroup: OFPG_ANY,
    match: f.match,
    actions: withActions ? f.actions : [],
    dropped: [],
  };
}

/** replace-flows SWITCH FILE: deletes what only the switch has, adds what is new or different. */
async function cmdReplaceFlows(ctx: Context): Promise<void> {
  const ports = await acceptedPorts(ctx);
  const file = flowsFromFile(ctx, ctx.args[1], ports);
  const conn = await ctx.open();
  try {
    const protocol = await dumpProtocol(ctx, conn);
    const current = await flowsFromSwitch(ctx, conn, protocol);
    const pairs = pairFlows(file, current);
    const mods: OfBody[] = [];
    // Per table: first the deletions, then the additions (as ovs-ofctl walks each table twice).
    const tables = [...new Set(pairs.map(([x, y]) => (x ?? y)?.tableId ?? 0))];
    for (const t of tables) {
      const inTable = pairs.filter(([x, y]) => (x ?? y)?.tableId === t);
      for (const [x, y] of inTable) {
        if (y && !x) mods.push(flowModToWire(versionFlowMod(y, 'delete_strict'), protocol));
      }
      for (const [x, y] of inTable) {
        if (x && (!y || !versionsEqual(y, x))) mods.push(flowModToWire(versionFlowMod(x, 'add'), protocol));
      }
    }
    await sendMods(ctx, conn, mods);
  } finally {
    conn.close();
  }
}

const COMMANDS: Readonly<Record<string, Command>> = {
  show: { min: 1, max: 1, run: cmdShow },
  'dump-desc': { min: 1, max: 1, run: (ctx) => trivial(ctx, { type: 'desc_request', flags: 0 }) },
  'dump-tables': { min: 1, max: 1, run: (ctx) => trivial(ctx, { type: 'table_stats_request', flags: 0 }) },
  'dump-ports': { min: 1, max: 2, run: cmdDumpPorts },
  'dump-ports-desc': {
    min: 1,
    max: 2,
    run: (ctx) => trivial(ctx, { type: 'port_desc_request', flags: 0 }),
  },
  'dump-flows': { min: 1, max: 2, run: (ctx) => cmdDumpFlows(ctx, false) },
  'dump-aggregate': { min: 1, max: 2, run: (ctx) => cmdDumpFlows(ctx, true) },
  'add-flow': { min: 2, max: 2, run: (ctx) => cmdFlowMod(ctx, 'add') },
  'add-flows': { min: 2, max: 2, run: cmdAddFlows },
  'mod-flows': { min: 2, max: 2, run: (ctx) => cmdFlowMod(ctx, 'modify') },
  'del-flows': { min: 1, max: 2, run: (ctx) => cmdFlowMod(ctx, 'delete') },
  'packet-out': { min: 2, max: 64, run: cmdPacketOut },
  'mod-port': { min: 3, max: 3, run: cmdModPort },
  'add-group': { min: 2, max: 2, run: (ctx) => cmdGroupMod(ctx, 0) },
  'mod-group': { min: 2, max: 2, run: (ctx) => cmdGroupMod(ctx, 1) },
  'del-groups': { min: 1, max: 2, run: (ctx) => cmdGroupMod(ctx, 2) },
  'diff-flows': { min: 2, max: 2, run: cmdDiffFlows },
  monitor: {
    min: 1,
    max: 8,
    run: (ctx) =>
      runMonitor(ctx, (versions) => new Context({ ...ctx.opts, versions }, ctx.args, ctx.io, ctx)),
  },
  snoop: { min: 1, max: 1, run: runSnoop },
  'add-meter': { min: 2, max: 2, run: (ctx) => cmdMeterMod(extContext(ctx), 0) },
  'mod-meter': { min: 2, max: 2, run: (ctx) => cmdMeterMod(extContext(ctx), 1) },
  'del-meter': { min: 1, max: 2, run: (ctx) => cmdMeterMod(extContext(ctx), 2) },
  'del-meters': { min: 1, max: 2, run: (ctx) => cmdMeterMod(extContext(ctx), 2) },
  'dump-meter': { min: 1, max: 2, run: (ctx) => cmdMeterRequest(extContext(ctx), 'config') },
  'dump-meters': { min: 1, max: 2, run: (ctx) => cmdMeterRequest(extContext(ctx), 'config') },
  'meter-stats': { min: 1, max: 2, run: (ctx) => cmdMeterRequest(extContext(ctx), 'stats') },
  'meter-features': { min: 1, max: 1, run: (ctx) => cmdMeterRequest(extContext(ctx), 'features') },
  'queue-get-config': { min: 1, max: 3, run: (ctx) => cmdQueueGetConfig(extContext(ctx)) },
  'replace-flows': { min: 2, max: 2, run: cmdReplaceFlows },
  'dump-groups': {
    min: 1,
    max: 2,
    run: (ctx) => trivial(ctx, { type: 'group_desc_request', flags: 0 }),
  },
  'dump-group-stats': {
    min: 1,
    max: 2,
    run: async (ctx) => {
      // ovs-ofctl parses the (optional) group through its group-mod parser, which fetches names first.
      await acceptedPorts(ctx);
      const arg = ctx.args[1];
      const m = arg === undefined ? null : /^group_id=(\d+|all)$/.exec(arg);
      if (arg !== undefined && !m) throw new OfctlError(`${arg}: invalid group`);
      const groupId = !m || m[1] === 'all' ? OFPG_ALL : Number.parseInt(m[1], 10);
      await trivial(ctx, { type: 'group_stats_request', flags: 0, groupId });
    },
  },
};

const USAGE = `${PROGRAM}: OpenFlow switch management utility (tsovs)
usage: tsovs ofctl [OPTIONS] COMMAND [ARG...]

For OpenFlow switches:
  show SWITCH                 show OpenFlow information
  dump-desc SWITCH            print switch description
  dump-tables SWITCH          print table stats
  dump-ports SWITCH [PORT]    print port statistics
  dump-ports-desc SWITCH      print port descriptions
  dump-flows SWITCH [FLOW]    print matching FLOWs
  dump-aggregate SWITCH [FLOW]  print aggregate stats for FLOWs
  add-flow SWITCH FLOW        add flow described by FLOW
  add-flows SWITCH FILE       add flows from FILE (- for stdin)
  mod-flows SWITCH FLOW       modify actions of matching FLOWs
  del-flows SWITCH [FLOW]     delete matching FLOWs
  packet-out SWITCH IN_PORT ACTIONS PACKET...  or  packet-out SWITCH "in_port=P,packet=HEX,actions=A"
  mod-port SWITCH PORT ACTION modify port behavior (up, down, [no-]flood, [no-]forward ...)
  add-group SWITCH GROUP      add group described by GROUP (OpenFlow 1.3)
  mod-group SWITCH GROUP      modify specific group
  del-groups SWITCH [GROUP]   delete matching GROUPs
  diff-flows SOURCE1 SOURCE2  compare flows from two sources (switches or files)
  monitor SWITCH [MISS-LEN] [invalid_ttl] [watch:[SPEC...]]  print packets received from SWITCH
  snoop SWITCH                snoop on SWITCH and its controller
  replace-flows SWITCH FILE   replace flows with those in FILE
  dump-groups SWITCH          print group descriptions
  dump-group-stats SWITCH     print group statistics
  add-meter SWITCH METER      add meter described by METER (OpenFlow 1.3+)
  mod-meter SWITCH METER      modify specific METER
  del-meter(s) SWITCH [METER] delete METER (default: all)
  dump-meter(s) SWITCH [METER]  print METER configuration
  meter-stats SWITCH [METER]  print meter statistics
  meter-features SWITCH       print meter features
  queue-get-config SWITCH [PORT [QUEUE]]  print queue configuration

SWITCH is a bridge name (socket $TSOVS_RUNDIR/BRIDGE.mgmt, TSOVS_RUNDIR defaults to /var/run/tsovs),
unix:PATH or tcp:IP[:PORT].

Options:
  -O, --protocols=LIST        OpenFlow versions to offer (OpenFlow10, OpenFlow13, OpenFlow14,
                              OpenFlow15; default: all, the highest the switch shares is used)
  --strict                    use strict match for flow commands
  --names, --no-names         show and accept port names (default: accept, do not show)
  --no-stats                  dump-flows: leave out the statistics
  --sort, --rsort             dump-flows: sort by priority
  --bundle                    send flow changes as one atomic bundle (OpenFlow 1.4 unless -O has 1.3+)
  --read-only                 accepted (nothing here changes the switch without being asked)
  -h, --help                  display this help message
`;

/** Parses ovs-ofctl's options (getopt style, options anywhere before "--"). */
function parseArgs(argv: string[]): { opts: Options; rest: string[]; help: boolean } {
  const opts: Options = {
    versions: [OFP10_VERSION, OFP13_VERSION, OFP14_VERSION, OFP15_VERSION],
    strict: false,
    names: null,
    stats: true,
    sort: null,
    bundle: false,
    readOnly: false,
  };
  const rest: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    const joined = /^(?:-O|--protocols=)(.+)$/.exec(a);
    if (a === '-O' || a === '--protocols') opts.versions = parseVersions(argv[++i] ?? '');
    else if (joined) opts.versions = parseVersions(joined[1]);
    else if (a === '--strict') opts.strict = true;
    else if (a === '--names') opts.names = true;
    else if (a === '--no-names') opts.names = false;
    else if (a === '--no-stats') opts.stats = false;
    else if (a === '--stats') opts.stats = true;
    else if (a === '--sort' || a.startsWith('--sort=')) opts.sort = 'asc';
    else if (a === '--rsort' || a.startsWith('--rsort=')) opts.sort = 'desc';
    else if (a === '--bundle') opts.bundle = true;
    else if (a === '--read-only') opts.readOnly = true;
    else if (a === '-h' || a === '--help') help = true;
    else if (a.startsWith('-') && a.length > 1) throw new OfctlError(`unrecognized option '${a}'`);
    else rest.push(a);
  }
  return { opts, rest, help };
}

function parseVersions(list: string): number[] {
  const out: number[] = [];
  for (const name of list.split(/[, ]+/).filter(Boolean)) {
    const v = versionFromName(name);
    if (v === undefined) throw new OfctlError(`${name}: unknown OpenFlow version`);
    if (v === 2 || v === 3) {
      throw new OfctlError(
        `${name}: not supported by tsovs (OpenFlow10, OpenFlow13, OpenFlow14, OpenFlow15 are)`,
      );
    }
    out.push(v);
  }
  if (!out.length) throw new OfctlError('no usable protocols');
  return out;
}

/** Runs `tsovs ofctl ARGS`; resolves to the exit status. */
export async function run(argv: string[], io: CliIo = PROCESS_IO): Promise<number> {
  try {
    const { opts, rest, help } = parseArgs(argv);
    // --bundle implies OpenFlow 1.4 unless a version with bundles (1.3+) is allowed already.
    if (opts.bundle) opts.versions = bundleVersions(opts.versions);
    if (help) {
      io.stdout(USAGE);
      return 0;
    }
    const [name, ...args] = rest;
    if (name === undefined) throw new OfctlError('missing command name; use --help for help');
    const cmd = COMMANDS[name];
    if (!cmd) throw new OfctlError(`unknown command '${name}'; use --help for help`);
    if (args.length < cmd.min) {
      throw new OfctlError(`'${name}' command requires at least ${cmd.min} arguments`);
    }
    if (args.length > cmd.max) throw new OfctlError(`'${name}' command takes at most ${cmd.max} arguments`);
    await cmd.run(new Context(opts, args, io));
    return 0;
  } catch (err) {
    if (err instanceof PrintedError) return 1;
    if (err instanceof ExitStatus) return err.status;
    const msg = err instanceof OfctlError ? err.message : err instanceof Error ? err.message : String(err);
    io.stderr(`${PROGRAM}: ${msg}\n`);
    return 1;
  }
}
