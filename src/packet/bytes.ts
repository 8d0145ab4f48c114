// Big-endian reads and writes on a Uint8Array by plain index arithmetic (no DataView), shared by the views.
// Reads past the end yield 0 bits rather than throwing, so a view can never throw from an accessor.
import { PacketError } from './errors.js';

/** The big-endian 16-bit value at buf[off]. */
export function be16(buf: Uint8Array, off: number): number {
  return ((buf[off] << 8) | buf[off + 1]) & 0xffff;
}

/** The big-endian unsigned 32-bit value at buf[off]. */
export function be32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** Stores `v` as a big-endian 16-bit value at buf[off]. */
export function put16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

/** Stores `v` as a big-endian 32-bit value at buf[off]. */
export function put32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

/** True when [offset, offset+length) is a valid range of buf holding at least `min` bytes. */
export function rangeHolds(buf: Uint8Array, offset: number, length: number, min: number): boolean {
  return Number.isInteger(offset) && offset >= 0 && length >= min && offset + length <= buf.length;
}

/** Hex text of bytes (lower case, no separators). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** Bytes of a hex string (whitespace, ':' and `#` comments ignored); throws PacketError MALFORMED if not hex. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, '').replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new PacketError('MALFORMED', `not hex: ${clean.slice(0, 40)}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}
