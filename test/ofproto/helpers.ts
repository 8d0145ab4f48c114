// Test fixtures for src/ofproto: flow keys built field by field from the flow-key.ts layout, a fake
// datapath that records invalidations, and compact ways to declare bridges and ports.
import type { Datapath } from '../../src/datapath/datapath.js';
import { parseMac } from '../../src/ofproto/eth-addr.js';
import { type BridgeSettings, Ofproto, type PortSettings } from '../../src/ofproto/ofproto.js';
import {
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_VLAN0,
  K_VLAN1,
  NW_PROTO_SHIFT,
  NW_TTL_SHIFT,
  newFlowKey,
  VLAN_PRESENT,
} from '../../src/packet/flow-key.js';

/** A VLAN header for a test key. */
export interface TestVlan {
  vid: number;
  pcp?: number;
  tpid?: number;
}

/** The fields a test key can set. */
export interface TestKey {
  inPort: number;
  src: string;
  dst: string;
  dlType?: number;
  vlan?: TestVlan;
  inner?: TestVlan;
  /** IPv4/ARP addresses as 32-bit numbers, and the protocol or ARP opcode. */
  nwSrc?: number;
  nwDst?: number;
  nwProto?: number;
}

function vlanWord(v: TestVlan): number {
  return (((v.tpid ?? 0x8100) << 16) | ((v.pcp ?? 0) << 13) | VLAN_PRESENT | v.vid) >>> 0;
}

function putMac(key: Uint32Array, hi: number, lo: number, mac: string): void {
  const n = parseMac(mac);
  key[hi] = Math.floor(n / 0x1_0000_0000);
  key[lo] = n % 0x1_0000_0000;
}

/** A flow key as the datapath's extractor would write it for such a frame. */
export function makeKey(k: TestKey): Uint32Array {
  const key = newFlowKey();
  key[K_IN_PORT] = k.inPort;
  putMac(key, K_DL_DST_HI, K_DL_DST_LO, k.dst);
  putMac(key, K_DL_SRC_HI, K_DL_SRC_LO, k.src);
  key[K_DL_TYPE] = k.dlType ?? 0x0800;
  if (k.vlan !== undefined) key[K_VLAN0] = vlanWord(k.vlan);
  if (k.inner !== undefined) key[K_VLAN1] = vlanWord(k.inner);
  key[K_NW_SRC] = k.nwSrc ?? 0x0a000001;
  key[K_NW_DST] = k.nwDst ?? 0x0a000002;
  key[K_NW] = ((k.nwProto ?? 17) << NW_PROTO_SHIFT) | (64 << NW_TTL_SHIFT);
  return key;
}

/** A datapath stand-in that records what ofproto asks of it. */
export class FakeDatapath implements Pick<Datapath, 'invalidate' | 'execute'> {
  /** Every invalidate() tag, in order. */
  readonly invalidated: string[] = [];

  invalidate(tag: string): void {
    this.invalidated.push(tag);
  }

  execute(): void {}

  /** Returns and forgets the tags recorded so far. */
  take(): string[] {
    return this.invalidated.splice(0);
  }
}

/** Bridge settings with OVS's defaults. */
export function bridgeSettings(name: string, over: Partial<BridgeSettings> = {}): BridgeSettings {
  return { name, macAgingTime: 300, macTableSize: 2048, forwardBpdu: false, ...over };
}

/** Port settings: a plain trunk port whose datapath number is `dpPort`. */
export function portSettings(
  name: string,
  ofport: number,
  dpPort: number | null,
  over: Partial<PortSettings> = {},
) {
  const s: PortSettings = { name, ofport, dpPort, tag: null, trunks: [], vlanMode: null, patchPeer: null };
  return { ...s, ...over };
}

/** An Ofproto over a fake datapath, with a log that collects warnings. */
export function makeOfproto(): { ofp: Ofproto; dp: FakeDatapath; warnings: string[] } {
  const dp = new FakeDatapath();
  const warnings: string[] = [];
  const ofp = new Ofproto(dp, { warn: (m) => warnings.push(m) });
  return { ofp, dp, warnings };
}
