// Ethernet addresses as ofproto's slow path handles them: a 48-bit MAC held in one JS number (exact, it
// fits in 53 bits), read from the flow key's HI/LO words, printed as aa:bb:cc:dd:ee:ff, and classified.
import { K_DL_DST_HI, K_DL_DST_LO, K_DL_SRC_HI, K_DL_SRC_LO } from '../packet/flow-key.js';

const TWO_32 = 0x1_0000_0000;

/** The 48-bit MAC whose bytes 0-1 are `hi` (low 16 bits) and bytes 2-5 are `lo`. */
export function macFromWords(hi: number, lo: number): number {
  return (hi & 0xffff) * TWO_32 + (lo >>> 0);
}

/** The destination MAC of a flow key. */
export function keyDlDst(key: Uint32Array): number {
  return macFromWords(key[K_DL_DST_HI], key[K_DL_DST_LO]);
}

/** The source MAC of a flow key. */
export function keyDlSrc(key: Uint32Array): number {
  return macFromWords(key[K_DL_SRC_HI], key[K_DL_SRC_LO]);
}

/** Parses "aa:bb:cc:dd:ee:ff" (for tests and configuration); throws on anything else. */
export function parseMac(text: string): number {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) throw new Error(`bad MAC address "${text}"`);
  return Number.parseInt(text.replaceAll(':', ''), 16);
}

/** "aa:bb:cc:dd:ee:ff", lower case, as OVS's ETH_ADDR_FMT prints it. */
export function formatMac(mac: number): string {
  const hex = mac.toString(16).padStart(12, '0');
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/** Whether the group bit (least significant bit of the first byte) is set: multicast or broadcast. */
export function isMulticastMac(mac: number): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

/** Whether this is ff:ff:ff:ff:ff:ff. */
export function isBroadcastMac(mac: number): boolean {
  return mac === 0xffff_ffff_ffff;
}

// Destinations that bridges must not forward unless told to (OVS's eth_addr_is_reserved): the IEEE
// 802.1D block 01:80:c2:00:00:00-0f (STP, pause, LACP, LLDP ...), then Extreme's EDP/EAPS and
// Cisco's ISL, CDP/VTP/DTP/PAgP/UDLD, PVST+, UplinkFast and CFM group addresses.
const RESERVED_MACS: ReadonlySet<number> = new Set([
  ...Array.from({ length: 16 }, (_, i) => 0x0180_c200_0000 + i),
  0x00e0_2b00_0000,
  0x00e0_2b00_0004,
  0x00e0_2b00_0006,
  0x0100_0c00_0000,
  0x0100_0ccc_cccc,
  0x0100_0ccc_cccd,
  0x0100_0ccd_cdcd,
  ...Array.from({ length: 8 }, (_, i) => 0x0100_0ccc_ccc0 + i),
]);

/** Whether a frame to `mac` is a link-local protocol frame that NORMAL drops unless forward-bpdu is on. */
export function isReservedMac(mac: number): boolean {
  return RESERVED_MACS.has(mac);
}
