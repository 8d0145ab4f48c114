// Ethernet address text: the flow key keeps a MAC as a 16-bit high half and a 32-bit low half, and these
// helpers turn that pair into OVS's lower-case colon form and back, and read or write it in frame bytes.
import { PacketError } from './errors.js';

/** "aa:bb:cc:dd:ee:ff" for the MAC whose bytes 0-1 are `hi16` and bytes 2-5 are `lo32`. */
export function formatMac(hi16: number, lo32: number): string {
  return (
    hex2((hi16 >>> 8) & 0xff) +
    ':' +
    hex2(hi16 & 0xff) +
    ':' +
    hex2(lo32 >>> 24) +
    ':' +
    hex2((lo32 >>> 16) & 0xff) +
    ':' +
    hex2((lo32 >>> 8) & 0xff) +
    ':' +
    hex2(lo32 & 0xff)
  );
}

/** [hi16, lo32] for "aa:bb:cc:dd:ee:ff" (also accepts '-' separators); undefined when not a MAC. */
export function parseMac(text: string): [number, number] | undefined {
  const m =
    /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i.exec(
      text,
    );
  if (!m) return undefined;
  const b = m.slice(1).map((h) => Number.parseInt(h, 16));
  return [(b[0] << 8) | b[1], ((b[2] << 24) | (b[3] << 16) | (b[4] << 8) | b[5]) >>> 0];
}

/** The 6 bytes of a MAC given as text; undefined when not a MAC. */
export function macBytes(text: string): Uint8Array | undefined {
  const hl = parseMac(text);
  if (!hl) return undefined;
  const out = new Uint8Array(6);
  writeMac(out, 0, hl[0], hl[1]);
  return out;
}

/** Text of the MAC stored at buf[off..off+6). */
export function readMacText(buf: Uint8Array, off: number): string {
  return formatMac(readMacHi(buf, off), readMacLo(buf, off));
}

/** Bytes 0-1 of the MAC at buf[off] as a 16-bit number. */
export function readMacHi(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

/** Bytes 2-5 of the MAC at buf[off] as an unsigned 32-bit number. */
export function readMacLo(buf: Uint8Array, off: number): number {
  return ((buf[off + 2] << 24) | (buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5]) >>> 0;
}

/** Stores the MAC (hi16, lo32) at buf[off..off+6). */
export function writeMac(buf: Uint8Array, off: number, hi16: number, lo32: number): void {
  buf[off] = hi16 >>> 8;
  buf[off + 1] = hi16;
  buf[off + 2] = lo32 >>> 24;
  buf[off + 3] = lo32 >>> 16;
  buf[off + 4] = lo32 >>> 8;
  buf[off + 5] = lo32;
}

function hex2(n: number): string {
  return n < 16 ? '0' + n.toString(16) : n.toString(16);
}

/** The 6 bytes of a MAC given as text; throws PacketError MALFORMED when it is not one (Repr emit). */
export function requireMac(text: string): Uint8Array {
  const mac = macBytes(text);
  if (!mac) throw new PacketError('MALFORMED', `not a MAC address: ${text}`);
  return mac;
}
