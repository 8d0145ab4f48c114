// Port descriptions (OpenFlow 1.0 struct ofp10_phy_port, 1.1-1.3 struct ofp11_port) and port statistics,
// in one representation for both versions. Port numbers are in OpenFlow 1.0 numbering (OFPP_LOCAL =
// 0xfffe); OpenFlow 1.1+ ports 0xffffff00 and up are mapped as Open vSwitch maps them.
import { portFromOf11, portToOf11 } from './messages-actions.js';
import { OFP10_VERSION, type Reader, type Writer } from './wire.js';

/** A port as features replies, port-status messages and port-desc replies carry it. */
export interface PhyPort {
  portNo: number;
  hwAddr: string;
  name: string;
  /** OFPPC_* bits. */
  config: number;
  /** OFPPS_* bits. */
  state: number;
  /** OFPPF_* bits. */
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  /** kbps, OpenFlow 1.1+ only (0 in 1.0). */
  currSpeed: number;
  maxSpeed: number;
}

export const OFP10_PHY_PORT_LEN = 48;
export const OFP11_PORT_LEN = 64;

/** Bytes of one port description in `version`. */
export function portLen(version: number): number {
  return version === OFP10_VERSION ? OFP10_PHY_PORT_LEN : OFP11_PORT_LEN;
}

function readMac(r: Reader): string {
  return Array.from(r.bytes(6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

function writeMac(w: Writer, mac: string): void {
  const parts = mac.split(':');
  for (let i = 0; i < 6; i++) {
    const v = Number.parseInt(parts[i] ?? '0', 16);
    w.u8(Number.isFinite(v) ? v : 0);
  }
}

/** Decodes one port description. */
export function decodePort(r: Reader, version: number): PhyPort {
  if (version === OFP10_VERSION) {
    const p = r.sub(OFP10_PHY_PORT_LEN);
    const portNo = p.u16();
    const hwAddr = readMac(p);
    const name = p.str(16);
    return {
      portNo,
      hwAddr,
      name,
      config: p.u32(),
      state: p.u32(),
      curr: p.u32(),
      advertised: p.u32(),
      supported: p.u32(),
      peer: p.u32(),
      currSpeed: 0,
      maxSpeed: 0,
    };
  }
  const p = r.sub(OFP11_PORT_LEN);
  const portNo = portFromOf11(p.u32(), 'OFPBRC_BAD_PORT');
  p.skip(4);
  const hwAddr = readMac(p);
  p.skip(2);
  const name = p.str(16);
  return {
    portNo,
    hwAddr,
    name,
    config: p.u32(),
    state: p.u32(),
    curr: p.u32(),
    advertised: p.u32(),
    supported: p.u32(),
    peer: p.u32(),
    currSpeed: p.u32(),
    maxSpeed: p.u32(),
  };
}

/** Writes one port description. */
export function encodePort(w: Writer, p: PhyPort, version: number): void {
  if (version === OFP10_VERSION) {
    w.u16(p.portNo);
    writeMac(w, p.hwAddr);
    w.str(p.name, 16);
    w.u32(p.config).u32(p.state).u32(p.curr).u32(p.advertised).u32(p.supported).u32(p.peer);
    return;
  }
  w.u32(portToOf11(p.portNo)).zeros(4);
  writeMac(w, p.hwAddr);
  w.zeros(2).str(p.name, 16);
  w.u32(p.config).u32(p.state).u32(p.curr).u32(p.advertised).u32(p.supported).u32(p.peer);
  w.u32(p.currSpeed).u32(p.maxSpeed);
}

/** Decodes ports filling the rest of a reader; OFPBRC_BAD_LEN unless they fill it exactly. */
export function decodePorts(r: Reader, version: number): PhyPort[] {
  const len = portLen(version);
  const out: PhyPort[] = [];
  if (r.left % len !== 0) r.need(r.left + (len - (r.left % len)), 'port array');
  while (r.left > 0) out.push(decodePort(r, version));
  return out;
}

/** One port's counters (OFPST_PORT reply entry); durations only in OpenFlow 1.3. */
export interface PortStats {
  portNo: number;
  rxPackets: bigint;
  txPackets: bigint;
  rxBytes: bigint;
  txBytes: bigint;
  rxDropped: bigint;
  txDropped: bigint;
  rxErrors: bigint;
  txErrors: bigint;
  rxFrameErr: bigint;
  rxOverErr: bigint;
  rxCrcErr: bigint;
  collisions: bigint;
  durationSec: number;
  durationNsec: number;
  /** OpenFlow 1.4+: Intel's RFC 2819 counters (all-ones: unknown), as Open vSwitch reports them. */
  rfc2819?: bigint[];
  /** OpenFlow 1.4+: a netdev's custom counters (Open vSwitch's "CUSTOM Statistics"). */
  custom?: { name: string; value: bigint }[];
}

/** Bytes of one port statistics entry. */
export function portStatsLen(version: number): number {
  return version === OFP10_VERSION ? 104 : 112;
}

const COUNTERS = [
  'rxPackets',
  'txPackets',
  'rxBytes',
  'txBytes',
  'rxDropped',
  'txDropped',
  'rxErrors',
  'txErrors',
  'rxFrameErr',
  'rxOverErr',
  'rxCrcErr',
  'collisions',
] as const;

export function decodePortStats(r: Reader, version: number): PortStats {
  const p = r.sub(portStatsLen(version));
  let portNo: number;
  if (version === OFP10_VERSION) {
    portNo = p.u16();
    p.skip(6);
  } else {
    portNo = portFromOf11(p.u32(), 'OFPBRC_BAD_PORT');
    p.skip(4);
  }
  const c: bigint[] = [];
  for (let i = 0; i < COUNTERS.length; i++) c.push(p.u64());
  const durationSec = version === OFP10_VERSION ? 0 : p.u32();
  const durationNsec = version === OFP10_VERSION ? 0 : p.u32();
  return {
    portNo,
    rxPackets: c[0],
    txPackets: c[1],
    rxBytes: c[2],
    txBytes: c[3],
    rxDropped: c[4],
    txDropped: c[5],
    rxErrors: c[6],
    txErrors: c[7],
    rxFrameErr: c[8],
    rxOverErr: c[9],
    rxCrcErr: c[10],
    collisions: c[11],
    durationSec,
    durationNsec,
  };
}

export function encodePortStats(w: Writer, s: PortStats, version: number): void {
  if (version === OFP10_VERSION) w.u16(s.portNo).zeros(6);
  else w.u32(portToOf11(s.portNo)).zeros(4);
  for (const k of COUNTERS) w.u64(s[k]);
  if (version !== OFP10_VERSION) w.u32(s.durationSec).u32(s.durationNsec);
}
