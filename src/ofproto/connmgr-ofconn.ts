// One OpenFlow connection as the switch sees it (Open vSwitch's struct ofconn in ofproto/connmgr.c): its
// kind (primary controller or service connection), role, flow format, packet-in format, miss_send_len,
// controller id and asynchronous-message configuration; and which asynchronous messages it receives
// (ofconn_receives_async_msg), with the async masks Open vSwitch keeps internally.
import type { OfConnection, Outgoing } from '../openflow/conn.js';
import { NXFF_OPENFLOW10, NXPIF_STANDARD } from '../openflow/messages.js';
import { OFP10_VERSION, OFP13_VERSION } from '../openflow/wire.js';

/** OFCONN_PRIMARY (a controller from the Controller table) or OFCONN_SERVICE (the .mgmt socket, ovs-ofctl). */
export type OfconnType = 'primary' | 'service';

/** OFPCR12_ROLE_* values. */
export const ROLE_NOCHANGE = 0;
export const ROLE_EQUAL = 1;
export const ROLE_MASTER = 2;
export const ROLE_SLAVE = 3;

/** Asynchronous message kinds (OAM_*), as indexes into the masks. */
export const OAM_PACKET_IN = 0;
export const OAM_PORT_STATUS = 1;
export const OAM_FLOW_REMOVED = 2;

/** Packet-in reasons, Open vSwitch's internal numbering (two nonstandard ones after OFPR_PACKET_OUT). */
export const OFPR_NO_MATCH = 0;
export const OFPR_ACTION = 1;
export const OFPR_INVALID_TTL = 2;
export const OFPR_ACTION_SET = 3;
export const OFPR_GROUP = 4;
export const OFPR_PACKET_OUT = 5;
export const OFPR_EXPLICIT_MISS = 6;
export const OFPR_IMPLICIT_MISS = 7;

const OFPR10_BITS = 0b111;
const OFPR14_ACTION_BITS = (1 << OFPR_ACTION_SET) | (1 << OFPR_GROUP) | (1 << OFPR_PACKET_OUT);
const OFPR14_BITS = OFPR10_BITS | OFPR14_ACTION_BITS;
const OFPPR_BITS = 0b111;
const OFPRR10_BITS = 0b111;
const OFPRR13_BITS = 0b1111;
/** What a pre-1.4 async mask may carry for packet_in, port_status, flow_removed. */
const ALLOWED10 = [OFPR10_BITS, OFPPR_BITS, (1 << 6) - 1] as const;

/** OFP_DEFAULT_MISS_SEND_LEN. */
export const DEFAULT_MISS_SEND_LEN = 128;

/** The masks for [packet_in, port_status, flow_removed] in the primary/equal and the slave role. */
export interface AsyncCfg {
  primary: [number, number, number];
  secondary: [number, number, number];
}

/** Open vSwitch's default async configuration for a version (ofputil_async_cfg_default). */
export function defaultAsyncCfg(version: number): AsyncCfg {
  let pin = (OFPR14_BITS & ~(1 << OFPR_INVALID_TTL)) | (1 << OFPR_EXPLICIT_MISS);
  if (version < OFP13_VERSION) pin |= 1 << OFPR_IMPLICIT_MISS;
  const removed = version >= OFP13_VERSION ? OFPRR13_BITS : OFPRR10_BITS;
  return { primary: [pin, OFPPR_BITS, removed], secondary: [0, OFPPR_BITS, 0] };
}

/** The async masks as a (pre-1.4) get_async_reply carries them: [primary, secondary] per kind. */
export function encodeAsyncMasks(ac: AsyncCfg): [[number, number], [number, number], [number, number]] {
  const pair = (i: 0 | 1 | 2): [number, number] => [
    (ac.primary[i] & ALLOWED10[i]) >>> 0,
    (ac.secondary[i] & ALLOWED10[i]) >>> 0,
  ];
  return [pair(0), pair(1), pair(2)];
}

/** A set_async / nx_set_async_config's masks as Open vSwitch takes them (loosely: extra bits dropped). */
export function decodeAsyncMasks(version: number, masks: readonly (readonly [number, number])[]): AsyncCfg {
  const ac: AsyncCfg = { primary: [0, 0, 0], secondary: [0, 0, 0] };
  for (const i of [0, 1, 2] as const) {
    for (const role of [0, 1] as const) {
      let m = (masks[i][role] & ALLOWED10[i]) >>> 0;
      if (i === OAM_PACKET_IN && m & (1 << OFPR_NO_MATCH)) {
        m |= 1 << OFPR_EXPLICIT_MISS;
        if (version < OFP13_VERSION) m |= 1 << OFPR_IMPLICIT_MISS;
      }
      // ofconn_set_async_config: before 1.4, OFPR_ACTION covers the reasons 1.4 split out of it.
      if (i === OAM_PACKET_IN && m & (1 << OFPR_ACTION)) m |= OFPR14_ACTION_BITS;
      (role === 0 ? ac.primary : ac.secondary)[i] = m;
    }
  }
  return ac;
}

/** A packet-in reason on the wire of `version` (encode_packet_in_reason). */
export function wireReason(reason: number, version: number): number {
  if (reason <= OFPR_INVALID_TTL) return reason;
  if (reason <= OFPR_PACKET_OUT) return OFPR_ACTION; // Before 1.4: all of them are "action".
  if (reason === OFPR_EXPLICIT_MISS) return version < OFP13_VERSION ? OFPR_ACTION : OFPR_NO_MATCH;
  return OFPR_NO_MATCH;
}

/** One connection's OpenFlow state. */
export class Ofconn {
  role = ROLE_EQUAL;
  /** OpenFlow 1.0's flow format: NXFF_OPENFLOW10 or NXFF_NXM (NXT_SET_FLOW_FORMAT). */
  flowFormat = NXFF_OPENFLOW10;
  /** NXT_FLOW_MOD_TABLE_ID: the high byte of a 1.0/Nicira flow_mod command is the table. */
  flowModTableId = false;
  packetInFormat = NXPIF_STANDARD;
  missSendLen: number;
  controllerId = 0;
  private asyncCfg: AsyncCfg | null = null;

  constructor(
    readonly conn: OfConnection,
    readonly type: OfconnType,
    readonly bridge: string,
    /** Controller.enable_async_messages (true for the management socket). */
    readonly enableAsync: boolean,
  ) {
    this.missSendLen = type === 'primary' ? DEFAULT_MISS_SEND_LEN : 0;
  }

  /** The negotiated version (0 before negotiation). */
  get version(): number {
    return this.conn.version;
  }

  /** The async configuration in force (set explicitly, else the version's default). */
  get async(): AsyncCfg {
    if (this.asyncCfg) return this.asyncCfg;
    if (!this.enableAsync || this.version === 0) return { primary: [0, 0, 0], secondary: [0, 0, 0] };
    return defaultAsyncCfg(this.version);
  }

  set async(ac: AsyncCfg) {
    this.asyncCfg = ac;
  }

  /** Whether an OpenFlow 1.0 connection speaks NXM (flow format nxm). */
  get nxm(): boolean {
    return this.version === OFP10_VERSION && this.flowFormat !== NXFF_OPENFLOW10;
  }

  /** ofconn_receives_async_msg: negotiated, asked for (service connections), enabled for the role. */
  receives(oam: 0 | 1 | 2, reason: number): boolean {
    if (this.conn.isClosed || this.version === 0) return false;
    if (this.type === 'service' && this.missSendLen === 0) return false;
    const ac = this.async;
    const masks = this.role === ROLE_SLAVE ? ac.secondary : ac.primary;
    return (masks[oam] & (1 << reason)) !== 0;
  }

  /** Whether table misses should be sent to controllers for this connection (want_packet_in_on_miss). */
  get wantsPacketInOnMiss(): boolean {
    return this.controllerId === 0 && this.version !== 0 && this.version < OFP13_VERSION;
  }

  /** Sends; a connection that closed meanwhile is ignored. */
  send(msg: Outgoing): void {
    if (this.conn.isClosed) return;
    try {
      this.conn.send(msg);
    } catch {
      // Not encodable in this version: Open vSwitch skips such a message too.
    }
  }
}
