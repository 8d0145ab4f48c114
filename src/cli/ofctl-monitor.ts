// `tsovs ofctl monitor SWITCH [MISS-LEN] [invalid_ttl] [watch:[SPEC...]]` and `tsovs ofctl snoop SWITCH`,
// as ovs-ofctl 3.1 runs them: monitor sets the switch config (miss_send_len, invalid TTL to controller),
// registers Nicira flow monitors (the initial NXST_FLOW_MONITOR reply goes to stdout), asks for
// NXT_PACKET_IN2 (falling back to NXT_PACKET_IN in OpenFlow 1.0), then prints every message the switch
// sends — packet-ins with the frame's flow, port status, flow removed, flow updates, echo requests (which
// it answers) — to stderr, until SIGINT/SIGTERM or the switch closes the connection. snoop connects to
// $TSOVS_RUNDIR/BRIDGE.snoop and prints what the bridge exchanges with its controller, in both directions.
// ovs-ofctl's unixctl server (ofctl/send, ofctl/barrier ...) and --detach are not provided.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connectOpenFlow, type OfConnection } from '../openflow/conn.js';
import { matchToWire, usableFormats } from '../openflow/convert.js';
import { parseFlow } from '../openflow/flow-text.js';
import {
  encodeMessage,
  NXPIF_NXT_PACKET_IN,
  NXPIF_NXT_PACKET_IN2,
  type OfBody,
  type OfMessage,
} from '../openflow/messages.js';
import {
  type FlowMonitorRequest,
  NXFMF_ACTIONS,
  NXFMF_ADD,
  NXFMF_DELETE,
  NXFMF_INITIAL,
  NXFMF_MODIFY,
  NXFMF_OWN,
} from '../openflow/messages-monitor.js';
import { ofpMessageText } from '../openflow/print-msg.js';
import { atoi, FlowTextError, splitKeyValues } from '../openflow/text-util.js';
import { OFP10_VERSION, versionBitmap } from '../openflow/wire.js';
import { rundir } from '../unixctl/rundir.js';
import { type Context, PrintedError } from './ofctl.js';

/** ovs-ofctl prints what arrives at verbosity 2 (monitor_vconn), the replies to a request at 1. */
const MONITOR_VERBOSITY = 2;
/** OFPC_INVALID_TTL_TO_CONTROLLER. */
const INVALID_TTL = 4;
/** The flags a watch starts with: everything but abbreviations of the monitor's own changes. */
const WATCH_DEFAULT = NXFMF_INITIAL | NXFMF_ADD | NXFMF_DELETE | NXFMF_MODIFY | NXFMF_OWN | NXFMF_ACTIONS;
const WATCH_FLAGS: Readonly<Record<string, number>> = {
  '!initial': NXFMF_INITIAL,
  '!add': NXFMF_ADD,
  '!delete': NXFMF_DELETE,
  '!modify': NXFMF_MODIFY,
  '!actions': NXFMF_ACTIONS,
  '!own': NXFMF_OWN,
  '!abbrev': 0,
};
/** Keywords of flows that a flow monitor does not take. */
const NOT_MONITOR_KEYWORDS = new Set([
  'cookie',
  'priority',
  'idle_timeout',
  'hard_timeout',
  'importance',
  'actions',
  'send_flow_rem',
  'check_overlap',
  'reset_counts',
  'no_packet_counts',
  'no_byte_counts',
  'duration',
  'n_packets',
  'n_bytes',
]);

/** A failure ending the command with "ovs-ofctl: MESSAGE" and status 1. */
class MonitorError extends Error {}

/** Monitor ids count up from 0 across the process, as ovs-ofctl's static counter. */
let nextMonitorId = 0;

/** OVS parse_flow_monitor_request(): "watch:" SPEC as one nx_flow_monitor_request. */
export function parseWatch(spec: string, ports?: ReadonlyMap<string, number>): FlowMonitorRequest {
  let flags = WATCH_DEFAULT;
  let outPort = 0xffff;
  let tableId = 0xff;
  const matchItems: string[] = [];
  for (const { key, value } of splitKeyValues(spec)) {
    if (key in WATCH_FLAGS) {
      flags &= ~WATCH_FLAGS[key];
      continue;
    }
    if (key === 'table' || key === 'out_port' || key === 'out_group') {
      if (value === '') throw new MonitorError(`${spec}: field ${key} missing value`);
      if (key === 'table') {
        const t = /^\d+$/.test(value) ? Number(value) : Number.NaN;
        if (!(t <= 255)) throw new MonitorError(`unknown table "${value}"`);
        tableId = t;
      } else if (key === 'out_port') outPort = atoi(value) & 0xffff;
      continue;
    }
    if (NOT_MONITOR_KEYWORDS.has(key)) throw new MonitorError(`${spec}: unknown keyword ${key}`);
    matchItems.push(value === '' ? key : `${key}=${value}`);
  }
  let parsed: ReturnType<typeof parseFlow>;
  try {
    parsed = parseFlow(matchItems.join(','), { command: 'filter', ports });
  } catch (err) {
    if (err instanceof FlowTextError) throw new MonitorError(err.message);
    throw err;
  }
  if (!usableFormats(parsed).nxm) {
    throw new MonitorError(`${matchItems[0] ?? spec}: match field is not supported for flow monitor`);
  }
  return { id: nextMonitorId++, flags, outPort, tableId, match: matchToWire(parsed.match, 0) };
}

/** The switch config (fetch_switch_config). */
async function fetchConfig(
  ctx: Context,
  conn: OfConnection,
): Promise<{ flags: number; missSendLen: number }> {
  const [reply] = await ctx.request(conn, { type: 'get_config_request' });
  if (reply?.type !== 'get_config_reply') throw new MonitorError(`${ctx.target}: bad reply to get_config`);
  return { flags: reply.flags, missSendLen: reply.missSendLen };
}

/** Sends a message and a barrier; resolves with the error reply to the message, if any. */
async function transactNoReply(ctx: Context, conn: OfConnection, body: OfBody): Promise<OfMessage | null> {
  const xid = ctx.nextXid();
  let error: OfMessage | null = null;
  const onMessage = (m: OfMessage) => {
    if (m.type === 'error' && m.xid === xid) error = m;
  };
  conn.on('message', onMessage);
  try {
    conn.send({ ...body, xid });
    await conn.request({ type: 'barrier_request', xid: ctx.nextXid() });
  } catch (err) {
    throw new MonitorError(`talking to ${ctx.target} (${(err as Error).message})`);
  } finally {
    conn.off('message', onMessage);
  }
  return error;
}

/** transact_noreply(): an error reply is printed and ends the command. */
async function mustSucceed(ctx: Context, conn: OfConnection, body: OfBody): Promise<void> {
  const error = await transactNoReply(ctx, conn, body);
  if (error !== null) {
    ctx.io.stderr(ofpMessageText(encodeMessage(error), { verbosity: MONITOR_VERBOSITY }));
    throw new PrintedError();
  }
}

/** dump_transaction() for a flow monitor request: its replies on stdout. */
async function watch(ctx: Context, conn: OfConnection, spec: string): Promise<void> {
  const ports = ctx.acceptNames ? await acceptedPorts(ctx) : undefined;
  const monitor = parseWatch(spec, ports);
  const names = ctx.showNames ? await ctx.ports() : undefined;
  const replies = await ctx.request(conn, { type: 'nx_flow_monitor_request', flags: 0, monitors: [monitor] });
  for (const r of replies) ctx.out(ofpMessageText(encodeMessage(r), { verbosity: 1, portNames: names }));
}

async function acceptedPorts(ctx: Context): Promise<Map<string, number>> {
  await ctx.tables();
  const ports = await ctx.ports();
  return new Map([...ports].map(([n, name]) => [name, n]));
}

/**
 * Prints every message `conn` receives (decoded or not) to stderr until a signal or the end of the
 * connection; the latter fails as ovs-ofctl does ("vconn_recv: End of file").
 */
function printUntilClosed(
  ctx: Context,
  conn: OfConnection,
  names?: ReadonlyMap<number, string>,
): Promise<void> {
  const print = (raw: Uint8Array) =>
    ctx.io.stderr(ofpMessageText(raw, { verbosity: MONITOR_VERBOSITY, portNames: names }));
  return new Promise((resolve, reject) => {
    const onSignal = () => {
      cleanup();
      conn.close();
      resolve();
    };
    const onMessage = (_m: OfMessage, raw: Uint8Array) => print(raw);
    const onInvalid = (_e: Error, raw: Uint8Array) => print(raw);
    const onClose = () => {
      cleanup();
      reject(new MonitorError('vconn_recv: End of file'));
    };
    const cleanup = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      conn.off('message', onMessage);
      conn.off('invalid', onInvalid);
      conn.off('close', onClose);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    conn.on('message', onMessage);
    conn.on('invalid', onInvalid);
    conn.once('close', onClose);
  });
}

/** monitor SWITCH [MISS-LEN] [invalid_ttl] [watch:[SPEC...]] [resume]. */
export async function runMonitor(ctx: Context, withVersions: (versions: number[]) => Context): Promise<void> {
  const args = ctx.args.slice(1);
  let c = ctx;
  // invalid_ttl exists in OpenFlow 1.0-1.2 only, and Nicira flow monitors (NXST) in 1.0 only (tsovs has
  // no ONF flow monitors for 1.3): keep to OpenFlow 1.0 when either is asked for.
  const needs10 = args.some((a) => a === 'invalid_ttl' || a.startsWith('watch:'));
  if (needs10) {
    if (!ctx.opts.versions.includes(OFP10_VERSION)) {
      throw new MonitorError(
        args.includes('invalid_ttl')
          ? 'invalid_ttl requires one of the OpenFlow versions OpenFlow10, OpenFlow11, OpenFlow12 but none is enabled (use -O)'
          : 'watch: needs OpenFlow 1.0 (NXST_FLOW_MONITOR); tsovs has no OpenFlow 1.3 flow monitors (use -O OpenFlow10)',
      );
    }
    c = withVersions([OFP10_VERSION]);
  }
  const conn = await c.open();
  try {
    for (const arg of args) {
      if (/^\d/.test(arg)) {
        const config = await fetchConfig(c, conn);
        await mustSucceed(c, conn, {
          type: 'set_config',
          flags: config.flags,
          missSendLen: atoi(arg) & 0xffff,
        });
      } else if (arg === 'invalid_ttl') {
        let config = await fetchConfig(c, conn);
        if (!(config.flags & INVALID_TTL)) {
          await mustSucceed(c, conn, {
            type: 'set_config',
            flags: config.flags | INVALID_TTL,
            missSendLen: config.missSendLen,
          });
          config = await fetchConfig(c, conn);
          if (!(config.flags & INVALID_TTL)) {
            throw new MonitorError(
              "setting invalid_ttl_to_controller failed (this switch probably doesn't support this flag)",
            );
          }
        }
      } else if (arg.startsWith('watch:')) {
        await watch(c, conn, arg.slice('watch:'.length));
      } else if (arg === 'resume') {
        const config = await fetchConfig(c, conn);
        await mustSucceed(c, conn, { type: 'set_config', flags: config.flags, missSendLen: 0xffff });
      } else {
        throw new MonitorError(`${arg}: unsupported "monitor" argument`);
      }
    }
    // ovs-ofctl prefers NXT_PACKET_IN2; failing that, NXT_PACKET_IN in OpenFlow 1.0.
    const pin2 = await transactNoReply(c, conn, {
      type: 'nx_set_packet_in_format',
      value: NXPIF_NXT_PACKET_IN2,
    });
    if (pin2 !== null && conn.version === OFP10_VERSION) {
      await transactNoReply(c, conn, { type: 'nx_set_packet_in_format', value: NXPIF_NXT_PACKET_IN });
    }
    const names = c.showNames ? await c.ports() : undefined;
    await printUntilClosed(c, conn, names);
  } finally {
    conn.close();
  }
}

/** The snoop socket for SWITCH (OVS open_vconn__ with SNOOP): as given with a colon, else BRIDGE.snoop. */
function snoopAddress(ctx: Context): string {
  const t = ctx.target;
  if (t.includes(':')) return t;
  if (existsSync(t)) return `unix:${t}`;
  const path = join(rundir(ctx.io.env), `${t}.snoop`);
  if (existsSync(path)) return `unix:${path}`;
  throw new MonitorError(`${t} is not a bridge or a socket`);
}

/** snoop SWITCH: prints the bridge's controller traffic (without names: the snoop socket answers nothing). */
export async function runSnoop(ctx: Context): Promise<void> {
  const address = snoopAddress(ctx);
  ctx.nextXid();
  let conn: OfConnection;
  try {
    conn = await connectOpenFlow(address, {
      versions: versionBitmap(ctx.opts.versions),
      anyVersion: true,
      answerEcho: false,
      answerErrors: false,
    });
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (err as Error).message;
    throw new MonitorError(`${address.replace(/^unix:/, '')}: failed to open socket (${why})`);
  }
  try {
    await printUntilClosed(ctx, conn);
  } finally {
    conn.close();
  }
}
