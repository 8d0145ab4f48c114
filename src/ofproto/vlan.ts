// VLAN rules of the NORMAL action (vswitchd/vswitch.xml "VLAN Configuration", OVS's xlate_normal): a
// port's effective mode, native VLAN and trunk set; which VIDs it admits; what VLAN a frame belongs to
// inside the bridge; and which tags it carries on the way out. Tags are kept as an "xvlan" (outer first).
import { VLAN_PRESENT } from '../packet/flow-key.js';

/** Port.vlan_mode. */
export type VlanMode = 'access' | 'trunk' | 'native-tagged' | 'native-untagged';

/** The VLAN columns of a Port row. */
export interface PortVlanConfig {
  readonly tag: number | null;
  readonly trunks: readonly number[];
  readonly vlanMode: VlanMode | null;
}

/** A port's VLAN configuration as translation uses it. */
export interface PortVlan {
  readonly mode: VlanMode;
  /** Native or access VLAN; -1 for trunk ports. */
  readonly vlan: number;
  /** Trunked VIDs (4096 flags); null for "all VLANs". */
  readonly trunks: Uint8Array | null;
}

/** One 802.1Q header as translation sees it; tpid 0 means "not present". */
export interface VlanHeader {
  readonly tpid: number;
  readonly vid: number;
  /** PCP bits in place (tci & 0xe000). */
  readonly pcp: number;
}

/** Up to two headers, outer first (the flow key holds two). */
export type XVlan = readonly [VlanHeader, VlanHeader];

const TPID_8021Q = 0x8100;
const TPID_8021AD = 0x88a8;
const NO_HEADER: VlanHeader = { tpid: 0, vid: 0, pcp: 0 };

/** Whether `tpid` is an ethertype of a VLAN header (802.1Q or 802.1ad). */
export function isVlanTpid(tpid: number): boolean {
  return tpid === TPID_8021Q || tpid === TPID_8021AD;
}

function validVid(v: number | null): v is number {
  return v !== null && Number.isInteger(v) && v >= 0 && v <= 4095;
}

function trunkBitmap(vids: readonly number[]): Uint8Array | null {
  const bits = new Uint8Array(4096);
  let n = 0;
  for (const v of vids) {
    if (validVid(v) && bits[v] === 0) {
      bits[v] = 1;
      n++;
    }
  }
  return n === 0 ? null : bits;
}

/** Resolves a Port's VLAN columns the way OVS does: no vlan_mode means access when tagged, else
 *  trunk; native modes always trunk their native VLAN and never VLAN 0. */
export function resolvePortVlan(cfg: PortVlanConfig): PortVlan {
  const mode: VlanMode = cfg.vlanMode ?? (validVid(cfg.tag) ? 'access' : 'trunk');
  const vlan = mode === 'trunk' ? -1 : validVid(cfg.tag) ? cfg.tag : 0;
  let trunks = mode === 'access' ? null : trunkBitmap(cfg.trunks);
  const native = mode === 'native-tagged' || mode === 'native-untagged';
  if (native && vlan !== 0 && (trunks === null || trunks[vlan] === 0 || trunks[0] === 1)) {
    trunks = trunks === null ? new Uint8Array(4096).fill(1) : trunks;
    trunks[vlan] = 1;
    trunks[0] = 0;
  }
  return { mode, vlan, trunks };
}

/** Whether two configurations behave identically. */
export function samePortVlan(a: PortVlan, b: PortVlan): boolean {
  if (a.mode !== b.mode || a.vlan !== b.vlan) return false;
  if (a.trunks === null || b.trunks === null) return a.trunks === b.trunks;
  return a.trunks.every((bit, i) => bit === b.trunks?.[i]);
}

/** Whether a non-access port carries `vid` tagged. */
export function trunksVlan(pv: PortVlan, vid: number): boolean {
  return pv.mode !== 'access' && (pv.trunks === null || pv.trunks[vid] === 1);
}

/** Whether a frame whose outer VID is `vid` (0: untagged or priority-tagged) may enter on this port. */
export function inputVidIsValid(pv: PortVlan, vid: number): boolean {
  if (pv.mode === 'access') return vid === 0;
  if (pv.mode !== 'trunk' && vid === 0) return true;
  return trunksVlan(pv, vid);
}

/** Whether a frame in bridge VLAN `x` may leave through this port (`x` outer first). */
export function includesVlan(pv: PortVlan, x: XVlan): boolean {
  if (pv.mode === 'access') return x[0].vid === pv.vlan && x[1].vid === 0;
  return trunksVlan(pv, x[0].vid);
}

/** Reads the packet's headers from two K_VLAN-encoded words (tpid << 16 | tci | VLAN_PRESENT). */
export function extractXvlan(words: readonly [number, number]): XVlan {
  const outer = headerOf(words[0]);
  if (outer.tpid === 0) return [NO_HEADER, NO_HEADER];
  return [outer, headerOf(words[1])];
}

function headerOf(word: number): VlanHeader {
  const tpid = word >>> 16;
  if ((word & VLAN_PRESENT) === 0 || !isVlanTpid(tpid)) return NO_HEADER;
  return { tpid, vid: word & 0xfff, pcp: word & 0xe000 };
}

function nativeHeader(pv: PortVlan, received: VlanHeader): VlanHeader {
  return { tpid: received.tpid || TPID_8021Q, vid: pv.vlan, pcp: received.pcp };
}

/** The frame's VLANs inside the bridge, given the headers it arrived with on this port. */
export function inputTranslate(pv: PortVlan, x: XVlan): XVlan {
  switch (pv.mode) {
    case 'access':
      return [nativeHeader(pv, x[0]), NO_HEADER];
    case 'trunk':
      return x;
    default:
      return x[0].vid === 0 ? [nativeHeader(pv, x[0]), x[1]] : x;
  }
}

/** The headers a frame in bridge VLANs `x` carries when it leaves through this port. */
export function outputTranslate(pv: PortVlan, x: XVlan): XVlan {
  switch (pv.mode) {
    case 'access':
      return [NO_HEADER, NO_HEADER];
    case 'native-untagged':
      return x[0].vid === pv.vlan ? [x[1], NO_HEADER] : x;
    default:
      return x;
  }
}

/** Encodes headers as K_VLAN words; a header with VID 0 and PCP 0 is left off (OVS never emits a
 *  priority tag with nothing in it). */
export function xvlanWords(x: XVlan): [number, number] {
  return [headerWord(x[0]), headerWord(x[1])];
}

function headerWord(h: VlanHeader): number {
  const tci = h.vid | h.pcp;
  if (tci === 0) return 0;
  return (((h.tpid || TPID_8021Q) << 16) | tci | VLAN_PRESENT) >>> 0;
}
