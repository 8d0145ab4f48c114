// The switch's answers to the OpenFlow 1.3–1.5 requests beyond the core set of connmgr-handle.ts, as
// ovs-vswitchd 3.1 with the userspace datapath answers them: meters (meter_mod and the meter statistics,
// configuration and features multiparts; meters are kept and reported, traffic is not rate-limited),
// queue configuration (OFPT_QUEUE_GET_CONFIG and OFPMP_QUEUE_DESC: every port has its default queue 0,
// the LOCAL port none) and bundles (OFPT_BUNDLE_CONTROL / ADD_MESSAGE and the ONF 1.3 form: flow, group
// and port mods collected per connection, applied all or nothing on commit).
import {
  decodeMessage,
  errorReply,
  type MeterConfig,
  type MeterStats,
  type OfBody,
  type OfMessage,
} from '../openflow/messages.js';
import { OFPP_LOCAL, OFPP_MAX, OFPP_NONE } from '../openflow/messages-actions.js';
import {
  OFPBCT_CLOSE_REQUEST,
  OFPBCT_COMMIT_REQUEST,
  OFPBCT_DISCARD_REQUEST,
  OFPBCT_OPEN_REQUEST,
  OFPBF_ATOMIC,
  OFPM_ALL,
  OFPM_MAX,
  OFPMBT_DROP,
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
import { OfpError, type OfpErrorName } from '../openflow/wire-errors.js';
import { type BundleChange, BundleChangeError } from './bundle-commit.js';
import { flowModRequest, groupModRequest, type HandlerContext, multipart } from './connmgr-handle.js';
import { type Ofconn, ROLE_SLAVE } from './connmgr-ofconn.js';
import type { OpenFlowSwitch } from './of-switch.js';

/** What the userspace datapath offers (OVS dpif-netdev: 256 Ki meters, 8 bands, drop bands only). */
export const METER_FEATURES = {
  maxMeter: 262144,
  bandTypes: 1 << OFPMBT_DROP,
  capabilities: OFPMF_KBPS | OFPMF_PKTPS | OFPMF_BURST | OFPMF_STATS,
  maxBands: 8,
  maxColor: 0,
};

/** One meter as the switch keeps it. */
interface Meter {
  config: MeterConfig;
  created: number;
}

/** Meters of every bridge of a switch. */
const meterTables = new WeakMap<OpenFlowSwitch, Map<string, Map<number, Meter>>>();

function meters(sw: OpenFlowSwitch, bridge: string): Map<number, Meter> {
  let perSwitch = meterTables.get(sw);
  if (!perSwitch) {
    perSwitch = new Map();
    meterTables.set(sw, perSwitch);
  }
  let table = perSwitch.get(bridge);
  if (!table) {
    table = new Map();
    perSwitch.set(bridge, table);
  }
  return table;
}

function fail(code: OfpErrorName, why: string): never {
  throw new OfpError(code, why);
}

function rejectSlave(oc: Ofconn): void {
  if (oc.role === ROLE_SLAVE) fail('OFPBRC_IS_SECONDARY', 'a slave controller may not modify the switch');
}

function reply(oc: Ofconn, req: OfMessage, body: OfBody): void {
  oc.send({ ...body, xid: req.xid, version: req.version });
}

/** Answers `msg` if it is one of this module's; false otherwise. Throws OfpError for refusals. */
export function handleExtMessage(ctx: HandlerContext, oc: Ofconn, msg: OfMessage, raw: Uint8Array): boolean {
  switch (msg.type) {
    case 'meter_mod':
      rejectSlave(oc);
      meterMod(ctx, oc.bridge, msg);
      return true;
    case 'meter_features_request':
      reply(oc, msg, { type: 'meter_features_reply', flags: 0, features: METER_FEATURES });
      return true;
    case 'meter_stats_request':
    case 'meter_config_request':
      meterRequest(ctx, oc, msg);
      return true;
    case 'queue_get_config_request':
    case 'queue_desc_request':
      queueConfig(ctx, oc, msg);
      return true;
    case 'bundle_control':
      bundleControl(ctx, oc, msg);
      return true;
    case 'bundle_add':
      bundleAdd(ctx, oc, msg, raw);
      return true;
    default:
      return false;
  }
}

// --- Meters --------------------------------------------------------------------------------------------

function meterMod(ctx: HandlerContext, bridge: string, msg: OfMessage & { type: 'meter_mod' }): void {
  const table = meters(ctx.sw, bridge);
  const { meterId } = msg.meter;
  if (msg.command === OFPMC_DELETE) {
    if (meterId === OFPM_ALL) table.clear();
    else table.delete(meterId);
    return;
  }
  if (meterId === 0 || meterId > OFPM_MAX) fail('OFPMMFC_INVALID_METER', `meter ${meterId}`);
  if (msg.meter.bands.length > METER_FEATURES.maxBands) fail('OFPMMFC_OUT_OF_BANDS', 'too many bands');
  const exists = table.has(meterId);
  if (msg.command === OFPMC_ADD && exists) fail('OFPMMFC_METER_EXISTS', `meter ${meterId}`);
  if (msg.command === OFPMC_MODIFY && !exists) fail('OFPMMFC_UNKNOWN_METER', `meter ${meterId}`);
  // The datapath's own checks (dpif_netdev_meter_set), in its order.
  if (meterId >= METER_FEATURES.maxMeter) fail('OFPMMFC_OUT_OF_METERS', `meter ${meterId}`);
  if (msg.meter.flags & ~METER_FEATURES.capabilities) fail('OFPMMFC_BAD_FLAGS', 'unsupported flags');
  for (const b of msg.meter.bands)
    if (b.bandType !== OFPMBT_DROP) fail('OFPMMFC_BAD_BAND', 'unsupported band');
  const old = table.get(meterId);
  table.set(meterId, { config: msg.meter, created: old?.created ?? Date.now() });
}

/** Rules whose actions use each meter (meter stats' flow_count). */
function meterUse(ctx: HandlerContext, bridge: string): Map<number, number> {
  const use = new Map<number, number>();
  const all = ctx.sw.flowStats(bridge, {
    tableId: 0xff,
    match: ctx.convert.matchFromWire([]),
    strict: false,
    priority: 0,
    cookie: 0n,
    cookieMask: 0n,
    outPort: OFPP_NONE,
    outGroup: 0xffffffff,
  });
  for (const r of all) {
    for (const a of r.actions) if (a.type === 'meter') use.set(a.meterId, (use.get(a.meterId) ?? 0) + 1);
  }
  return use;
}

function meterRequest(
  ctx: HandlerContext,
  oc: Ofconn,
  msg: OfMessage & { type: 'meter_stats_request' | 'meter_config_request' },
): void {
  const table = meters(ctx.sw, oc.bridge);
  if (msg.meterId !== OFPM_ALL && !table.has(msg.meterId))
    fail('OFPMMFC_UNKNOWN_METER', `meter ${msg.meterId}`);
  const ids = msg.meterId === OFPM_ALL ? [...table.keys()].sort((a, b) => a - b) : [msg.meterId];
  const list = ids.map((id) => table.get(id) as Meter);
  if (msg.type === 'meter_config_request') {
    const configs = list.map((m) => m.config);
    multipart(oc, msg, configs, (part, flags) => ({ type: 'meter_config_reply', flags, meters: part }));
    return;
  }
  const use = meterUse(ctx, oc.bridge);
  const now = Date.now();
  const stats: MeterStats[] = list.map((m) => {
    const ms = Math.max(0, now - m.created);
    return {
      meterId: m.config.meterId,
      flowCount: use.get(m.config.meterId) ?? 0,
      packetInCount: 0n,
      byteInCount: 0n,
      durationSec: Math.floor(ms / 1000),
      durationNsec: (ms % 1000) * 1_000_000,
      bands: m.config.bands.map(() => ({ packetCount: 0n, byteCount: 0n })),
    };
  });
  multipart(oc, msg, stats, (part, flags) => ({ type: 'meter_stats_reply', flags, meters: part }));
}

// --- Queue configuration ---------------------------------------------------------------------------------

function queueConfig(
  ctx: HandlerContext,
  oc: Ofconn,
  msg: OfMessage & { type: 'queue_get_config_request' | 'queue_desc_request' },
): void {
  const any = msg.portNo === OFPP_NONE;
  if (!any && msg.portNo >= OFPP_MAX) fail('OFPQOFC_BAD_PORT', `port ${msg.portNo}`);
  const ports = ctx.sw.ports(oc.bridge).filter((p) => any || p.portNo === msg.portNo);
  if (!any && ports.length === 0) fail('OFPQOFC_BAD_PORT', `no port ${msg.portNo}`);
  // Ports without QoS have their default queue 0 (the LOCAL port, an internal device, none).
  const queues: QueueConfig[] = [];
  let found = msg.queueId === OFPQ_ALL;
  for (const p of ports) {
    if (p.portNo === OFPP_LOCAL) continue;
    if (msg.queueId !== OFPQ_ALL && msg.queueId !== 0) continue;
    found = true;
    queues.push({ portNo: p.portNo, queueId: 0, minRate: 0xffff, maxRate: 0xffff });
  }
  if (!found) fail('OFPQOFC_BAD_QUEUE', `no queue ${msg.queueId}`);
  if (msg.type === 'queue_desc_request') {
    multipart(oc, msg, queues, (part, flags) => ({
      type: 'queue_desc_reply',
      flags,
      portNo: OFPP_NONE,
      queues: part,
    }));
    return;
  }
  reply(oc, msg, { type: 'queue_get_config_reply', portNo: msg.portNo, queues });
}

// --- Bundles ---------------------------------------------------------------------------------------------

/** One message of a bundle: the bundle_add message that carried it, and what it asks. */
interface BundleEntry {
  readonly raw: Uint8Array;
  readonly change:
    | BundleChange
    | { readonly kind: 'port'; readonly msg: OfMessage & { type: 'port_mod' } }
    | {
        readonly kind: 'packet_out';
        readonly msg: OfMessage & { type: 'packet_out' };
      };
}

interface Bundle {
  readonly flags: number;
  closed: boolean;
  readonly entries: BundleEntry[];
}

/** Open bundles, per connection (they die with it). */
const bundles = new WeakMap<Ofconn, Map<number, Bundle>>();

function bundlesOf(oc: Ofconn): Map<number, Bundle> {
  let m = bundles.get(oc);
  if (!m) {
    m = new Map();
    bundles.set(oc, m);
  }
  return m;
}

function bundleControl(ctx: HandlerContext, oc: Ofconn, msg: OfMessage & { type: 'bundle_control' }): void {
  rejectSlave(oc);
  const open = bundlesOf(oc);
  const b = open.get(msg.bundleId);
  switch (msg.ctrlType) {
    case OFPBCT_OPEN_REQUEST:
      if (b) {
        open.delete(msg.bundleId);
        fail('OFPBFC_BAD_ID', `bundle ${msg.bundleId} already exists`);
      }
      open.set(msg.bundleId, { flags: msg.flags, closed: false, entries: [] });
      break;
    case OFPBCT_CLOSE_REQUEST:
      if (!b) fail('OFPBFC_BAD_ID', `no bundle ${msg.bundleId}`);
      if (b.closed || b.flags !== msg.flags) {
        open.delete(msg.bundleId);
        fail(b.closed ? 'OFPBFC_BUNDLE_CLOSED' : 'OFPBFC_BAD_FLAGS', `bundle ${msg.bundleId}`);
      }
      b.closed = true;
      break;
    case OFPBCT_COMMIT_REQUEST:
      if (!b) fail('OFPBFC_BAD_ID', `no bundle ${msg.bundleId}`);
      open.delete(msg.bundleId); // discarded whatever the outcome
      if (b.flags !== msg.flags) fail('OFPBFC_BAD_FLAGS', `bundle ${msg.bundleId}`);
      commit(ctx, oc, b);
      break;
    case OFPBCT_DISCARD_REQUEST:
      if (!b) fail('OFPBFC_BAD_ID', `no bundle ${msg.bundleId}`);
      open.delete(msg.bundleId);
      break;
    default:
      fail('OFPBFC_BAD_TYPE', `bundle control type ${msg.ctrlType}`);
  }
  reply(oc, msg, {
    type: 'bundle_control',
    bundleId: msg.bundleId,
    ctrlType: msg.ctrlType + 1,
    flags: 0,
    props: new Uint8Array(0),
  });
}

/** Decodes the message a bundle_add carries and checks it as the switch would at once (OVS does). */
function bundleEntry(ctx: HandlerContext, oc: Ofconn, msg: OfMessage & { type: 'bundle_add' }): BundleEntry {
  let inner: OfMessage;
  try {
    inner = decodeMessage(msg.message);
  } catch {
    fail('OFPBFC_MSG_UNSUP', 'the bundled message does not decode');
  }
  switch (inner.type) {
    case 'flow_mod':
    case 'nx_flow_mod':
      return { raw: msg.message, change: { kind: 'flow', fm: flowModRequest(ctx, oc, inner, msg.message) } };
    case 'group_mod':
      return { raw: msg.message, change: { kind: 'group', gm: groupModRequest(ctx, oc, inner) } };
    case 'port_mod':
      return { raw: msg.message, change: { kind: 'port', msg: inner } };
    case 'packet_out':
      return { raw: msg.message, change: { kind: 'packet_out', msg: inner } };
    default:
      fail('OFPBFC_MSG_UNSUP', `${inner.type} is not allowed in a bundle`);
  }
}

function bundleAdd(
  ctx: HandlerContext,
  oc: Ofconn,
  msg: OfMessage & { type: 'bundle_add' },
  raw: Uint8Array,
): void {
  rejectSlave(oc);
  const entry = { ...bundleEntry(ctx, oc, msg), raw };
  const open = bundlesOf(oc);
  let b = open.get(msg.bundleId);
  if (!b) {
    b = { flags: msg.flags, closed: false, entries: [] };
    open.set(msg.bundleId, b);
  } else if (b.closed || b.flags !== msg.flags) {
    open.delete(msg.bundleId);
    fail(b.closed ? 'OFPBFC_BUNDLE_CLOSED' : 'OFPBFC_BAD_FLAGS', `bundle ${msg.bundleId}`);
  }
  b.entries.push(entry);
}

/**
 * Applies a bundle as OVS's do_bundle_commit does: port mods are not atomic (refused in an atomic bundle),
 * flow and group mods go in as one change; a failure is reported against the bundle_add that carried the
 * failing message, and the commit answered with OFPBFC_MSG_FAILED.
 */
function commit(ctx: HandlerContext, oc: Ofconn, b: Bundle): void {
  const changes: BundleChange[] = [];
  const carriers: Uint8Array[] = [];
  for (const e of b.entries) {
    if (e.change.kind === 'port' || e.change.kind === 'packet_out') {
      if (b.flags & OFPBF_ATOMIC || e.change.kind === 'packet_out') {
        oc.conn.sendRaw(errorReply(e.raw, 'OFPBFC_MSG_FAILED'));
        fail('OFPBFC_MSG_FAILED', 'port mods and packet-outs cannot be part of an atomic bundle');
      }
      continue;
    }
    changes.push(e.change);
    carriers.push(e.raw);
  }
  if (!ctx.sw.commitBundle) fail('OFPBFC_MSG_UNSUP', 'this switch cannot commit bundles');
  try {
    ctx.sw.commitBundle(oc.bridge, changes);
  } catch (err) {
    if (!(err instanceof BundleChangeError)) throw err;
    oc.conn.sendRaw(errorReply(carriers[err.index], err.error));
    fail('OFPBFC_MSG_FAILED', `bundle message ${err.index} failed`);
  }
  for (const e of b.entries) {
    if (e.change.kind === 'port') {
      const m = e.change.msg;
      ctx.sw.portMod(oc.bridge, m.portNo, m.hwAddr, m.config & 0x65, m.mask & 0x65);
    }
  }
}
