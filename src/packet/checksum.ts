// The Internet checksum (RFC 1071): IPv4 header, TCP/UDP/ICMPv6 pseudo-header sums (v4/v6), and completing a
// CHECKSUM_PARTIAL frame as a virtio-net NEEDS_CSUM header describes it. Sums stay unfolded until the end.

/** Adds the 16-bit big-endian words of buf[start..end) to `sum` (an odd last byte is the high half). */
export function onesSum(buf: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Folds an unfolded sum into 16 bits with end-around carry. */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The Internet checksum of buf[start..end): the complement of the folded ones' complement sum. */
export function internetChecksum(buf: Uint8Array, start: number, end: number): number {
  return ~foldSum(onesSum(buf, start, end)) & 0xffff;
}

/** The IPv4 header checksum of the header at buf[ipOff] (its checksum field counted as zero). */
export function ipv4HeaderChecksum(buf: Uint8Array, ipOff: number): number {
  const headerLen = (buf[ipOff] & 0x0f) * 4;
  const sum = onesSum(buf, ipOff, ipOff + 10) + onesSum(buf, ipOff + 12, ipOff + headerLen);
  return ~foldSum(sum) & 0xffff;
}

/** Unfolded IPv4 pseudo-header sum: addresses as unsigned 32-bit numbers, protocol, L4 length. */
export function pseudoSumV4(src: number, dst: number, protocol: number, l4Length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + l4Length;
}

/** Unfolded IPv6 pseudo-header sum over the 16-byte addresses at buf[srcOff] and buf[dstOff]. */
export function pseudoSumV6(
  buf: Uint8Array,
  srcOff: number,
  dstOff: number,
  nextHeader: number,
  l4Length: number,
): number {
  const upper = Math.floor(l4Length / 0x10000);
  return (
    onesSum(buf, srcOff, srcOff + 16) +
    onesSum(buf, dstOff, dstOff + 16) +
    upper +
    (l4Length & 0xffff) +
    nextHeader
  );
}

/** Unfolded pseudo-header sum for the IPv4 or IPv6 header at buf[ipOff] (by its version nibble). */
export function pseudoSumFor(buf: Uint8Array, ipOff: number, protocol: number, l4Length: number): number {
  if (buf[ipOff] >> 4 === 6) return pseudoSumV6(buf, ipOff + 8, ipOff + 24, protocol, l4Length);
  return onesSum(buf, ipOff + 12, ipOff + 20) + protocol + l4Length;
}

/**
 * The checksum of the L4 segment buf[l4Off..l4End) under the pseudo-header of the IP header at buf[ipOff],
 * with the 16-bit checksum field at buf[l4Off + csumFieldOff] counted as zero. UDP callers map 0 to 0xffff.
 */
export function l4Checksum(
  buf: Uint8Array,
  ipOff: number,
  l4Off: number,
  l4End: number,
  protocol: number,
  csumFieldOff: number,
): number {
  const field = l4Off + csumFieldOff;
  let sum = pseudoSumFor(buf, ipOff, protocol, l4End - l4Off);
  sum = onesSum(buf, l4Off, field, sum);
  sum = onesSum(buf, field + 2, l4End, sum);
  return ~foldSum(sum) & 0xffff;
}

/**
 * Completes a CHECKSUM_PARTIAL frame in place: the 16-bit field at csum_start + csum_offset holds the
 * (folded, uncomplemented) pseudo-header sum; the ones' complement sum of [csum_start, end) is folded,
 * complemented and stored there (0 is stored as 0xffff, as Linux's skb_checksum_help does).
 * `frameOffset` and `end` are indices into `buf`; `csumStart` is relative to the frame start.
 * Returns the stored checksum, or -1 (nothing written) when the field or range lies outside buf/end.
 */
export function completeChecksum(
  buf: Uint8Array,
  frameOffset: number,
  csumStart: number,
  csumOffset: number,
  end: number,
): number {
  const start = frameOffset + csumStart;
  const field = start + csumOffset;
  if (csumStart < 0 || csumOffset < 0 || field + 2 > end || end > buf.length || frameOffset < 0) return -1;
  const csum = ~foldSum(onesSum(buf, start, end)) & 0xffff || 0xffff;
  buf[field] = csum >>> 8;
  buf[field + 1] = csum & 0xff;
  return csum;
}

/** Unfolded pseudo-header sum over address bytes (4 each for IPv4, 16 each for IPv6). */
export function pseudoSumAddrs(src: Uint8Array, dst: Uint8Array, protocol: number, l4Length: number): number {
  const upper = Math.floor(l4Length / 0x10000);
  return onesSum(src, 0, src.length) + onesSum(dst, 0, dst.length) + protocol + (l4Length & 0xffff) + upper;
}
