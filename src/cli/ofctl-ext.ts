// `tsovs ofctl` commands and pieces beyond the core set of ofctl.ts, as ovs-ofctl 3.1 has them: the meter
// commands (add-meter, mod-meter, del-meter(s), dump-meter(s), meter-stats, meter-features; OpenFlow 1.3+),
// queue-get-config, the printing of their replies, and --bundle's transaction (vconn_bundle_transact: open,
// add every message, barrier, then commit — or discard when anything failed — with errors printed as
// "Error NAME for: <the failing request>").
import type { OfConnection } from '../openflow/conn.js';
import { encodeMessage, type OfBody, type OfMessage } from '../openflow/messages.js';
import { OFPP_MAX, OFPP_NONE } from '../openflow/messages-actions.js';
import {
  type MeterBand,
  type MeterConfig,
  type MeterFeatures,
  type MeterStats,
  OFPBCT_COMMIT_REQUEST,
  OFPBCT_DISCARD_REQUEST,
  OFPBCT_OPEN_REQUEST,
  OFPBF_ATOMIC,
  OFPBF_ORDERED,
  OFPM_ALL,
  OFPM_CONTROLLER,
  OFPM_MAX,
  OFPM_SLOWPATH,
  OFPMBT_DROP,
  OFPMBT_DSCP_REMARK,
  OFPMC_ADD,
  OFPMC_DELETE,
  OFPMC_MODIFY,
  OFPMF_BURST,
  OFPMF_KBPS,
  OFPMF_PKTPS,
  OFPMF_STATS,
  OFPQ_ALL,
  type QueueConfig,
} from '../openflow/messages-ext.js';
import { formatPort } from '../openflow/port-text.js';
import { bitNames, durationText, messageHeader } from '../openflow/print.js';
import { OFP10_VERSION, OFP13_VERSION, OFP14_VERSION } from '../openflow/wire.js';
import { ofpErrorDescription } from '../openflow/wire-errors.js';

/** What these commands need from ofctl.ts's run context. */
export interface ExtContext {
  readonly args: string[];
  readonly target: string;
  readonly opts: { readonly versions: number[] };
  out(text: string): void;
  stderr(text: string): void;
  nextXid(): number;
  open(): Promise<OfConnection>;
  request(conn: OfConnection, body: OfBody): Promise<OfMessage[]>;
  /** dump_transaction(): like request, but an error reply, printed, does not end the command. */
  dump(conn: OfConnection, body: OfBody): Promise<OfMessage[]>;
  noReply(conn: OfConnection, bodies: readonly OfBody[]): Promise<void>;
  ports(): Promise<Map<number, string>>;
  /** Throws the command's failure ("ovs-ofctl: MESSAGE", exit 1). */
  fail(message: string): never;
  /** Throws "already printed" (exit 1). */
  printed(): never;
  /** A request or reply as ofp_print shows it (used for "Error ... for:"). */
  messageText(m: OfMessage): string;
  /** str_to_port_no(). */
  portArg(text: string): Promise<number>;
}

// --- Printing ---------------------------------------------------------------------------------------------

function meterIdText(id: number, sep: string): string {
  if (id <= OFPM_MAX) return `meter${sep}${id}`;
  const name =
    id === OFPM_SLOWPATH
      ? 'slowpath'
      : id === OFPM_CONTROLLER
        ? 'controller'
        : id === OFPM_ALL
          ? 'all'
          : 'unknown';
  return `meter${sep}${name}`;
}

function meterFlagsText(flags: number): string {
  let s = '';
  if (flags & OFPMF_KBPS) s += 'kbps ';
  if (flags & OFPMF_PKTPS) s += 'pktps ';
  if (flags & OFPMF_BURST) s += 'burst ';
  if (flags & OFPMF_STATS) s += 'stats ';
  const rest = flags & ~(OFPMF_KBPS | OFPMF_PKTPS | OFPMF_BURST | OFPMF_STATS);
  if (rest) s += `flags:0x${rest.toString(16)} `;
  return s;
}

function bandText(flags: number, b: MeterBand): string {
  const type =
    b.bandType === OFPMBT_DROP ? 'drop' : b.bandType === OFPMBT_DSCP_REMARK ? 'dscp_remark' : `${b.bandType}`;
  let s = `\ntype=${type} rate=${b.rate}`;
  if (flags & OFPMF_BURST) s += ` burst_size=${b.burstSize}`;
  if (b.bandType === OFPMBT_DSCP_REMARK) s += ` prec_level=${b.precLevel}`;
  return s;
}

/** OVS ofputil_format_meter_config(). */
export function meterConfigText(c: MeterConfig): string {
  return `${meterIdText(c.meterId, '=')} ${meterFlagsText(c.flags)}bands=${c.bands.map((b) => bandText(c.flags, b)).join('')}\n`;
}

/** OVS ofputil_format_meter_stats(). */
export function meterStatsText(s: MeterStats): string {
  let t = `${meterIdText(s.meterId, ':')} flow_count:${s.flowCount} packet_in_count:${s.packetInCount} `;
  t += `byte_in_count:${s.byteInCount} duration:${durationText(s.durationSec, s.durationNsec)}s bands:\n`;
  s.bands.forEach((b, i) => {
    t += `${i}: packet_count:${b.packetCount} byte_count:${b.byteCount}\n`;
  });
  return t;
}

/** OVS ofputil_format_meter_features(). */
export function meterFeaturesText(f: MeterFeatures): string {
  const bands = bitNames(f.bandTypes, (bit) => (bit === 2 ? 'drop' : bit === 4 ? 'dscp_remark' : undefined));
  const caps = bitNames(f.capabilities, (bit) => ({ 1: 'kbps', 2: 'pktps', 4: 'burst', 8: 'stats' })[bit]);
  return `\nmax_meter:${f.maxMeter} max_bands:${f.maxBands} max_color:${f.maxColor}\nband_types: ${bands}\ncapabilities: ${caps}\n`;
}

function rateText(name: string, rate: number): string {
  if (rate <= 1000) return ` ${name}:${Math.floor(rate / 10)}.${rate % 10}%`;
  return rate < 0xffff ? ` ${name}:(disabled)` : '';
}

/** OVS ofputil_queue_get_config_reply_format(): queues sorted by port then id, "port=" when it changes. */
export function queueConfigText(queues: readonly QueueConfig[], names?: ReadonlyMap<number, string>): string {
  const sorted = [...queues].sort((a, b) => a.portNo - b.portNo || a.queueId - b.queueId);
  let s = ' ';
  let port = 0;
  for (const q of sorted) {
    if (q.portNo !== port) {
      port = q.portNo;
      s += `port=${formatPort(port, names)}\n`;
    }
    s += `queue ${q.queueId}:${rateText('min_rate', q.minRate)}${rateText('max_rate', q.maxRate)}\n`;
  }
  return s.endsWith(' ') ? s.slice(0, -1) : s;
}

const EXT_NAMES: Partial<Record<OfMessage['type'], string>> = {
  meter_stats_reply: 'OFPST_METER reply',
  meter_config_reply: 'OFPST_METER_CONFIG reply',
  meter_features_reply: 'OFPST_METER_FEATURES reply',
  queue_get_config_reply: 'OFPT_QUEUE_GET_CONFIG_REPLY',
  queue_get_config_request: 'OFPT_QUEUE_GET_CONFIG_REQUEST',
  queue_desc_request: 'OFPST_QUEUE_DESC request',
  meter_stats_request: 'OFPST_METER request',
  meter_config_request: 'OFPST_METER_CONFIG request',
  meter_features_request: 'OFPST_METER_FEATURES request',
  queue_desc_reply: 'OFPST_QUEUE_DESC reply',
  meter_mod: 'OFPT_METER_MOD',
  bundle_control: 'OFPT_BUNDLE_CONTROL',
  bundle_add: 'OFPT_BUNDLE_ADD_MESSAGE',
};

const BUNDLE_TYPES = [
  'OPEN_REQUEST',
  'OPEN_REPLY',
  'CLOSE_REQUEST',
  'CLOSE_REPLY',
  'COMMIT_REQUEST',
  'COMMIT_REPLY',
  'DISCARD_REQUEST',
  'DISCARD_REPLY',
];

/**
 * One of this module's messages as ofp_print prints it, or null for others. `hexDump` shows the bytes of a
 * request Open vSwitch cannot decode (a queue request for a port at or above OFPP_MAX).
 */
export function extReplyText(m: OfMessage, hexDump?: (b: Uint8Array) => string): string | null {
  const name = EXT_NAMES[m.type];
  if (!name) return null;
  const head = messageHeader(name, m.version, m.xid);
  switch (m.type) {
    case 'queue_get_config_request':
    case 'queue_desc_request': {
      // ofputil_decode_queue_get_config_request(): before 1.4 a port >= OFPP_MAX (other than ANY in
      // 1.1-1.3) does not decode.
      const bad =
        m.type === 'queue_get_config_request' &&
        m.portNo >= OFPP_MAX &&
        (m.version === OFP10_VERSION || m.portNo !== OFPP_NONE);
      if (bad)
        return `${head} ***decode error: OFPQOFC_BAD_PORT***\n${hexDump ? hexDump(encodeMessage(m)) : ''}`;
      const queue = m.type === 'queue_desc_request' && m.queueId !== OFPQ_ALL ? ` queue=${m.queueId}` : '';
      return `${head} port=${formatPort(m.portNo)}${queue}\n`;
    }
    case 'meter_stats_request':
    case 'meter_config_request':
      return `${head} ${meterIdText(m.meterId, '=')}\n`;
    case 'meter_stats_reply':
      return `${head}${m.meters.map((s) => `\n${meterStatsText(s)}`).join('')}${m.meters.length ? '' : '\n'}`;
    case 'meter_config_reply':
      return `${head}${m.meters.map((c) => `\n${meterConfigText(c)}`).join('')}${m.meters.length ? '' : '\n'}`;
    case 'meter_features_reply':
      return `${head}${meterFeaturesText(m.features)}`;
    case 'queue_get_config_reply':
    case 'queue_desc_reply':
      return `${head}${queueConfigText(m.queues)}${m.queues.length ? '' : '\n'}`;
    case 'meter_mod': {
      const cmd =
        m.command === OFPMC_ADD
          ? 'ADD'
          : m.command === OFPMC_MODIFY
            ? 'MOD'
            : m.command === OFPMC_DELETE
              ? 'DEL'
              : `cmd:${m.command}`;
      return `${head} ${cmd} ${meterConfigText(m.meter)}`;
    }
    case 'bundle_control': {
      const flags = bitNames(m.flags, (bit) => (bit === 1 ? 'atomic' : bit === 2 ? 'ordered' : undefined));
      // "%#x": 0 without the 0x.
      const id = m.bundleId ? `0x${m.bundleId.toString(16)}` : '0';
      return `${head}\n bundle_id=${id} type=${BUNDLE_TYPES[m.ctrlType] ?? m.ctrlType} flags=${flags}\n`;
    }
    default:
      return `${head}\n`;
  }
}

// --- Meter commands ---------------------------------------------------------------------------------------

const USABLE_13 = 'OXM-OpenFlow13,OXM-OpenFlow14,OXM-OpenFlow15';

function allowedFormats(versions: readonly number[]): string {
  const out: string[] = [];
  if (versions.includes(OFP10_VERSION)) out.push('OpenFlow10', 'NXM');
  for (const v of versions) if (v >= OFP13_VERSION) out.push(`OXM-OpenFlow1${v - 1}`);
  return out.join(',');
}

/** Meter commands need OpenFlow 1.3+ among the allowed versions (ovs-ofctl's usable-protocols check). */
function need13(ctx: ExtContext): void {
  if (!ctx.opts.versions.some((v) => v >= OFP13_VERSION)) {
    ctx.fail(
      `none of the usable flow formats (${USABLE_13}) is among the allowed flow formats (${allowedFormats(ctx.opts.versions)})`,
    );
  }
}

function parseU32(ctx: ExtContext, text: string, what: string): number {
  if (!/^\d+$/.test(text)) ctx.fail(`invalid value for ${what}`);
  const v = Number.parseInt(text, 10);
  if (v > 0xffffffff) ctx.fail(`invalid value for ${what}`);
  return v;
}

/** OVS parse_ofp_meter_mod_str(): meter=ID, flags, bands=type=...,rate=...[,burst_size=..][,prec_level=..]. */
export function parseMeterMod(ctx: ExtContext, text: string, command: number): MeterConfig {
  let meterId = command === OFPMC_DELETE ? OFPM_ALL : -1;
  let flags = 0;
  const bands: MeterBand[] = [];
  const at = text.indexOf('bands=');
  const head = at < 0 ? text : text.slice(0, at);
  for (const item of head.split(/[,\s]+/).filter(Boolean)) {
    const [key, value] = item.split(/[=:]/, 2);
    if (key === 'meter') {
      if (value === undefined) ctx.fail('field meter missing value');
      if (value === 'all') meterId = OFPM_ALL;
      else if (value === 'controller') meterId = OFPM_CONTROLLER;
      else if (value === 'slowpath') meterId = OFPM_SLOWPATH;
      else {
        meterId = parseU32(ctx, value, 'meter');
        if (meterId === 0 || meterId > OFPM_MAX) ctx.fail('invalid value for meter');
      }
    } else if (key === 'kbps' && command !== OFPMC_DELETE) flags |= OFPMF_KBPS;
    else if (key === 'pktps' && command !== OFPMC_DELETE) flags |= OFPMF_PKTPS;
    else if (key === 'burst' && command !== OFPMC_DELETE) flags |= OFPMF_BURST;
    else if (key === 'stats' && command !== OFPMC_DELETE) flags |= OFPMF_STATS;
    else ctx.fail(`unknown keyword ${key}`);
  }
  if (meterId < 0) ctx.fail('must specify a meter');
  if (command !== OFPMC_DELETE) {
    if (at < 0) ctx.fail('must specify bands');
    let band: MeterBand | null = null;
    for (const item of text
      .slice(at + 'bands='.length)
      .split(/[,\s]+/)
      .filter(Boolean)) {
      const [key, value = ''] = item.split(/[=:]/, 2);
      if (key === 'type') {
        const t = value === 'drop' ? OFPMBT_DROP : value === 'dscp_remark' ? OFPMBT_DSCP_REMARK : 0;
        if (!t) ctx.fail(`field type unknown value ${value}`);
        band = { bandType: t, rate: 0, burstSize: 0, precLevel: 0 };
        bands.push(band);
      } else if (!band) ctx.fail("band must start with the 'type' keyword");
      else if (key === 'rate') band.rate = parseU32(ctx, value, 'rate');
      else if (key === 'burst_size') band.burstSize = parseU32(ctx, value, 'burst_size');
      else if (key === 'prec_level') band.precLevel = parseU32(ctx, value, 'prec_level') & 0xff;
      else ctx.fail(`unknown keyword ${key}`);
    }
    if (!bands.length) ctx.fail('must specify bands');
  }
  return { meterId, flags, bands };
}

/** add-meter / mod-meter / del-meter(s): one meter_mod and a barrier. */
export async function cmdMeterMod(ctx: ExtContext, command: number): Promise<void> {
  const text = ctx.args[1] ?? '';
  const meter = parseMeterMod(ctx, text, command);
  need13(ctx);
  const conn = await ctx.open();
  try {
    await ctx.noReply(conn, [{ type: 'meter_mod', command, meter }]);
  } finally {
    conn.close();
  }
}

/** dump-meter(s) / meter-stats / meter-features: one request, its replies printed. */
export async function cmdMeterRequest(ctx: ExtContext, kind: 'config' | 'stats' | 'features'): Promise<void> {
  const meterId =
    ctx.args[1] === undefined ? OFPM_ALL : parseMeterMod(ctx, ctx.args[1], OFPMC_DELETE).meterId;
  need13(ctx);
  const conn = await ctx.open();
  try {
    const body: OfBody =
      kind === 'features'
        ? { type: 'meter_features_request', flags: 0 }
        : { type: kind === 'stats' ? 'meter_stats_request' : 'meter_config_request', flags: 0, meterId };
    for (const r of await ctx.request(conn, body)) ctx.out(extReplyText(r) ?? ctx.messageText(r));
  } finally {
    conn.close();
  }
}

// --- queue-get-config -------------------------------------------------------------------------------------

/** queue-get-config SWITCH [PORT [QUEUE]]; in OpenFlow 1.0 "any port" is one request per port. */
export async function cmdQueueGetConfig(ctx: ExtContext): Promise<void> {
  const portText = ctx.args[1] ?? 'any';
  const port = portText.toLowerCase() === 'any' ? OFPP_NONE : await ctx.portArg(portText);
  const queueText = ctx.args[2] ?? 'all';
  const queueId = queueText.toLowerCase() === 'all' ? OFPQ_ALL : Number.parseInt(queueText, 10) >>> 0;
  const conn = await ctx.open();
  try {
    const v = conn.version;
    const print = async (c: OfConnection, portNo: number) => {
      const body: OfBody =
        v >= OFP14_VERSION
          ? { type: 'queue_desc_request', portNo, queueId, flags: 0 }
          : { type: 'queue_get_config_request', portNo, queueId: OFPQ_ALL };
      for (const r of await ctx.dump(c, body)) ctx.out(extReplyText(r) ?? ctx.messageText(r));
    };
    if (port === OFPP_NONE && v === OFP10_VERSION) {
      const ports = await ctx.request(conn, { type: 'features_request' });
      const conn2 = await ctx.open();
      try {
        for (const r of ports) {
          if (r.type !== 'features_reply') continue;
          for (const p of r.ports) if (p.portNo < OFPP_MAX) await print(conn2, p.portNo);
        }
      } finally {
        conn2.close();
      }
    } else await print(conn, port);
  } finally {
    conn.close();
  }
}

// --- Bundles ----------------------------------------------------------------------------------------------

/**
 * Sends `bodies` as one atomic, ordered bundle on `conn` (vconn_bundle_transact). Errors are printed as
 * ovs-ofctl prints them, and the command then fails with "talking to SWITCH (Protocol error)".
 */
export async function bundleTransact(
  ctx: ExtContext,
  conn: OfConnection,
  bodies: readonly OfBody[],
): Promise<void> {
  const flags = OFPBF_ATOMIC | OFPBF_ORDERED;
  const errors: OfMessage[] = [];
  const sent = new Map<number, OfMessage>();
  const onMessage = (m: OfMessage) => {
    if (m.type === 'error' && !errors.includes(m)) errors.push(m);
  };
  conn.on('message', onMessage);
  const control = async (ctrlType: number): Promise<boolean> => {
    const xid = ctx.nextXid();
    const body: OfBody = { type: 'bundle_control', bundleId: 0, ctrlType, flags, props: new Uint8Array(0) };
    sent.set(xid, { ...body, version: conn.version, xid } as OfMessage);
    try {
      await conn.request({ ...body, xid });
      return true;
    } catch (err) {
      if (err instanceof Error && 'reply' in err) {
        const reply = (err as { reply: OfMessage }).reply;
        if (!errors.includes(reply)) errors.push(reply);
        return false;
      }
      throw err;
    }
  };
  try {
    if (await control(OFPBCT_OPEN_REQUEST)) {
      const adds: OfBody[] = [];
      for (const b of bodies) {
        const xid = ctx.nextXid();
        const inner = { ...b, version: conn.version, xid } as OfMessage;
        sent.set(xid, inner);
        adds.push({ type: 'bundle_add', bundleId: 0, flags, message: encodeMessage(inner), xid } as OfBody);
      }
      conn.sendMany(adds);
      // A message that fails is left out of the bundle, not fatal to it: sync before deciding to commit.
      await conn.request({ type: 'barrier_request', xid: ctx.nextXid() });
      if (errors.length === 0) await control(OFPBCT_COMMIT_REQUEST);
      else await control(OFPBCT_DISCARD_REQUEST);
    }
    for (const e of errors) {
      if (e.type !== 'error') continue;
      const req = sent.get(e.xid);
      ctx.stderr(
        `Error ${e.name ?? `type ${e.errType} code ${e.errCode}`} for: ${req ? ctx.messageText(req) : `${ofpErrorDescription(e.name ?? 'OFPBRC_EPERM')}\n`}`,
      );
    }
    if (errors.length > 0) ctx.fail(`talking to ${ctx.target} (Protocol error)`);
  } finally {
    conn.off('message', onMessage);
  }
}

/** The versions --bundle allows: as given when one is 1.3 or later, else OpenFlow 1.4 only. */
export function bundleVersions(versions: readonly number[]): number[] {
  return versions.some((v) => v >= OFP13_VERSION) ? [...versions] : [OFP14_VERSION];
}
