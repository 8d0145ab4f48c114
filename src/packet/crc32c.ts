// CRC-32C (Castagnoli, RFC 3309 / RFC 4960 appendix B), the SCTP checksum: table-driven over buf[start..end),
// allocation-free per call (the 256-entry table is built once at load). SCTP stores the result little-endian.

/** Reflected Castagnoli polynomial. */
const POLY = 0x82f63b78;

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLE[n] = c >>> 0;
}

/** The CRC-32C of buf[start..end) (initial value and final XOR 0xffffffff), as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start: number, end: number): number {
  return crc32cInt(buf, start, end) >>> 0;
}

/** crc32c() as a signed int32 (the same bits): stays unboxed across calls on the hot path. */
export function crc32cInt(buf: Uint8Array, start: number, end: number): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return ~crc;
}

/** The SCTP checksum field at buf[at] (stored little-endian), as a signed int32 (compare with `>>> 0`). */
export function readSctpChecksum(buf: Uint8Array, at: number): number {
  return buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24);
}

/** Stores `crc` as the SCTP checksum field at buf[at] (little-endian). */
export function writeSctpChecksum(buf: Uint8Array, at: number, crc: number): void {
  buf[at] = crc & 0xff;
  buf[at + 1] = (crc >>> 8) & 0xff;
  buf[at + 2] = (crc >>> 16) & 0xff;
  buf[at + 3] = (crc >>> 24) & 0xff;
}
