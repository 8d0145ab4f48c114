// Software completion of offloaded frames, for outputs that cannot take them (tunnels, ports without a
// virtio-net header): a frame whose virtio-net header says NEEDS_CSUM gets its checksum filled in place, and
// a GSO super-frame (TCPV4, TCPV6, UDP_L4) is cut into gso_size pieces written into a caller's staging buffer,
// each with its own IP lengths/id/checksum and TCP sequence, flags and checksum (or UDP length and checksum),
// as Linux's tcp_gso_segment / __udp_gso_segment leave them.
//
// Hot path: nothing is allocated per frame. Results go to preallocated offset/length arrays; bytes are copied
// 4 at a time through cached Int32Array views (each segment is placed so its payload has the source's
// alignment) and the payload's checksum is summed during the copy.
import { be16, be32, put16, put32 } from './bytes.js';
import { completeChecksum, foldSum, ipv4HeaderChecksum, onesSum } from './checksum.js';

/** Bytes of the virtio-net header in front of every frame (struct virtio_net_hdr without num_buffers). */
export const VNET_HDR_LEN = 10;
/** virtio-net flags bit: the checksum at csum_start + csum_offset is partial. */
export const VNET_F_NEEDS_CSUM = 1;
/** virtio-net gso_type: not a GSO frame. */
export const VNET_GSO_NONE = 0;
/** virtio-net gso_type: TCP over IPv4. */
export const VNET_GSO_TCPV4 = 1;
/** virtio-net gso_type: UDP fragmentation offload (IPv4 fragments; refused here). */
export const VNET_GSO_UDP = 3;
/** virtio-net gso_type: TCP over IPv6. */
export const VNET_GSO_TCPV6 = 4;
/** virtio-net gso_type: UDP segmentation (one datagram per gso_size bytes). */
export const VNET_GSO_UDP_L4 = 5;
/** virtio-net gso_type bit: the TCP stream uses ECN (CWR kept on the first segment only, as always). */
export const VNET_GSO_ECN = 0x80;

/** segment(): the input frame needed nothing or was completed in place; send it as it is. */
export const SEG_IN_PLACE = 0;
/** segment() refusal: lengths inconsistent, a header beyond the frame, gso_size 0, gso type vs. protocol. */
export const SEG_ERR_MALFORMED = -1;
/** segment() refusal: UFO, an unknown gso_type, IPv6 extension headers, an IPv4 fragment, jumbo payload. */
export const SEG_ERR_UNSUPPORTED = -2;
/** segment() refusal: the staging buffer or the offset/length arrays are too small. */
export const SEG_ERR_CAPACITY = -3;

const REASON_NAMES = ['ok', 'malformed', 'unsupported', 'capacity'];

/** A name for a segment() result code (for logs and counters). */
export function segmentReasonName(code: number): string {
  if (code >= 0) return code === SEG_IN_PLACE ? 'in-place' : 'segmented';
  return REASON_NAMES[-code] ?? 'unknown';
}

const ETH_TYPE_IPV4 = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_VLAN = 0x8100;
const ETH_TYPE_QINQ = 0x88a8;
const MAX_VLANS = 2;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Source ranges shorter than this are copied byte by byte. */
const WORD_COPY_MIN = 32;
/** Word views cached per ArrayBuffer (the native regions plus the staging buffer). */
const VIEW_CACHE = 8;

function le16(buf: Uint8Array, off: number): number {
  return buf[off] | (buf[off + 1] << 8);
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | (v >>> 8);
}

/**
 * Whether the frame at buf[offset] needs software completion before an output without offloads: its
 * virtio-net header (at offset - 10) has NEEDS_CSUM or a GSO type. False when there is no room for the header.
 */
export function needsCompletion(buf: Uint8Array, offset: number): boolean {
  const v = offset - VNET_HDR_LEN;
  if (!(v >= 0) || offset > buf.length) return false;
  return (buf[v] & VNET_F_NEEDS_CSUM) !== 0 || (buf[v + 1] & ~VNET_GSO_ECN) !== VNET_GSO_NONE;
}

/**
 * Completes offloaded frames in software. One instance per output path; reuse it for every frame. A segment()
 * call's results (offsets/lengths/count) stay valid until the next call.
 */
export class Segmenter {
  /** Offset in the staging buffer of each written frame's Ethernet header. */
  readonly offsets: Uint32Array;
  /** Length of each written frame. */
  readonly lengths: Uint32Array;
  /** Frames written by the last segment() call. */
  count = 0;
  /** Result code of the last segment() call. */
  result = 0;
  /** Refusals by reason: refused[-SEG_ERR_*]. */
  readonly refused = new Uint32Array(REASON_NAMES.length);
  /** Frames completed in place (a checksum filled, or a one-segment GSO frame). */
  completed = 0;
  /** Super-frames cut into segments. */
  segmented = 0;
  /** Segments written. */
  segments = 0;

  // Header walk results (walk()).
  private l3 = 0;
  private l4 = 0;
  private l4End = 0;
  private l4HeaderLen = 0;
  private v6 = false;
  private tcp = false;

  private readonly viewBuffers: (ArrayBufferLike | null)[] = new Array(VIEW_CACHE).fill(null);
  private readonly views: Int32Array[] = new Array(VIEW_CACHE).fill(new Int32Array(0));
  private viewNext = 0;

  /** `maxSegments` bounds the frames one call may write (a 64 KiB frame at MSS 88 makes 745). */
  constructor(maxSegments = 1024) {
    this.offsets = new Uint32Array(maxSegments);
    this.lengths = new Uint32Array(maxSegments);
  }

  /**
   * Completes the frame at buf[offset, offset+length), its virtio-net header at offset - 10.
   * - Plain frame: returns SEG_IN_PLACE, nothing touched.
   * - NEEDS_CSUM only, or a GSO frame that is one segment: the checksum(s) are completed in place, the
   *   virtio-net header is zeroed, returns SEG_IN_PLACE.
   * - GSO super-frame: writes the segments into out[outOffset..], each `headroom` bytes (plus 0-3 alignment
   *   bytes) after the previous one's end; with headroom >= 10 a zeroed virtio-net header precedes each. Returns
   *   the count, and offsets[i]/lengths[i] locate them. The input is not modified.
   * - Otherwise a negative SEG_ERR_* (counted in `refused`); nothing is written for a refused super-frame.
   * `out` must not overlap the input. The vnet hdr_len is not trusted: header lengths come from the headers.
   */
  segment(
    buf: Uint8Array,
    offset: number,
    length: number,
    out: Uint8Array,
    outOffset = 0,
    headroom = 0,
  ): number {
    this.count = 0;
    const v = offset - VNET_HDR_LEN;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || v < 0 || length < 0) {
      return this.refuse(SEG_ERR_MALFORMED);
    }
    if (offset + length > buf.length) return this.refuse(SEG_ERR_MALFORMED);
    const gsoType = buf[v + 1] & ~VNET_GSO_ECN;
    if (gsoType === VNET_GSO_NONE) {
      if ((buf[v] & VNET_F_NEEDS_CSUM) === 0) return this.done(SEG_IN_PLACE);
      const end = offset + this.ipExtent(buf, offset, length);
      const start = le16(buf, v + 6);
      if (start < 14 || completeChecksum(buf, offset, start, le16(buf, v + 8), end) < 0) {
        return this.refuse(SEG_ERR_MALFORMED);
      }
      buf.fill(0, v, offset);
      this.completed++;
      return this.done(SEG_IN_PLACE);
    }
    if (gsoType !== VNET_GSO_TCPV4 && gsoType !== VNET_GSO_TCPV6 && gsoType !== VNET_GSO_UDP_L4) {
      return this.refuse(SEG_ERR_UNSUPPORTED);
    }
    const walked = this.walk(buf, offset, length, gsoType);
    if (walked !== 0) return this.refuse(walked);
    const gsoSize = le16(buf, v + 4);
    if (gsoSize === 0) return this.refuse(SEG_ERR_MALFORMED);
    const payloadOff = this.l4 + this.l4HeaderLen;
    const payload = this.l4End - payloadOff;
    if (payload <= gsoSize) {
      this.finishInPlace(buf);
      buf.fill(0, v, offset);
      this.completed++;
      return this.done(SEG_IN_PLACE);
    }
    const n = Math.ceil(payload / gsoSize);
    if (n > this.offsets.length) return this.refuse(SEG_ERR_CAPACITY);
    if (!Number.isInteger(outOffset) || !Number.isInteger(headroom) || outOffset < 0 || headroom < 0) {
      return this.refuse(SEG_ERR_CAPACITY);
    }
    const hdrLen = payloadOff - offset;
    // Placement: frame i starts where its payload has the source chunk's alignment modulo 4.
    const srcBase = buf.byteOffset + payloadOff;
    const dstBase = out.byteOffset + hdrLen;
    let pos = outOffset;
    for (let i = 0; i < n; i++) {
      const at = pos + headroom;
      const frame = at + ((srcBase + i * gsoSize - (dstBase + at)) & 3);
      const chunk = i === n - 1 ? payload - i * gsoSize : gsoSize;
      this.offsets[i] = frame;
      this.lengths[i] = hdrLen + chunk;
      pos = frame + hdrLen + chunk;
    }
    if (pos > out.length) return this.refuse(SEG_ERR_CAPACITY);
    this.writeSegments(buf, offset, out, n, gsoSize, hdrLen, headroom >= VNET_HDR_LEN);
    this.segmented++;
    this.segments += n;
    this.count = n;
    return this.done(n);
  }

  private done(code: number): number {
    this.result = code;
    return code;
  }

  private refuse(code: number): number {
    this.refused[-code]++;
    this.count = 0;
    this.result = code;
    return code;
  }

  /** Bytes of the frame up to the end of its IPv4/IPv6 packet by the IP length (the frame length otherwise). */
  private ipExtent(buf: Uint8Array, offset: number, length: number): number {
    let p = offset + 12;
    const end = offset + length;
    for (let n = 0; n < MAX_VLANS && p + 2 <= end; n++) {
      const t = be16(buf, p);
      if (t !== ETH_TYPE_VLAN && t !== ETH_TYPE_QINQ) break;
      p += 4;
    }
    if (p + 2 > end) return length;
    const type = be16(buf, p);
    const l3 = p + 2;
    if (type === ETH_TYPE_IPV4 && end - l3 >= 20 && buf[l3] >> 4 === 4) {
      const tot = be16(buf, l3 + 2);
      if (tot >= 20 && l3 + tot <= end) return l3 + tot - offset;
    } else if (type === ETH_TYPE_IPV6 && end - l3 >= 40 && buf[l3] >> 4 === 6) {
      const plen = be16(buf, l3 + 4);
      if (plen > 0 && l3 + 40 + plen <= end) return l3 + 40 + plen - offset;
    }
    return length;
  }

  /** Finds the L3/L4 headers of a GSO frame (up to two VLAN tags); 0 or a SEG_ERR_* code. */
  private walk(buf: Uint8Array, offset: number, length: number, gsoType: number): number {
    const end = offset + length;
    if (length < 14) return SEG_ERR_MALFORMED;
    let p = offset + 12;
    let type = be16(buf, p);
    for (let n = 0; n < MAX_VLANS && (type === ETH_TYPE_VLAN || type === ETH_TYPE_QINQ); n++) {
      p += 4;
      if (p + 2 > end) return SEG_ERR_MALFORMED;
      type = be16(buf, p);
    }
    const l3 = p + 2;
    let proto: number;
    if (type === ETH_TYPE_IPV4) {
      if (gsoType === VNET_GSO_TCPV6 || end - l3 < 20 || buf[l3] >> 4 !== 4) return SEG_ERR_MALFORMED;
      const ihl = (buf[l3] & 0x0f) * 4;
      const tot = be16(buf, l3 + 2);
      if (ihl < 20 || tot < ihl || l3 + tot > end) return SEG_ERR_MALFORMED;
      if ((be16(buf, l3 + 6) & 0x3fff) !== 0) return SEG_ERR_UNSUPPORTED;
      proto = buf[l3 + 9];
      this.v6 = false;
      this.l4 = l3 + ihl;
      this.l4End = l3 + tot;
    } else if (type === ETH_TYPE_IPV6) {
      if (gsoType === VNET_GSO_TCPV4 || end - l3 < 40 || buf[l3] >> 4 !== 6) return SEG_ERR_MALFORMED;
      const plen = be16(buf, l3 + 4);
      if (plen === 0) return SEG_ERR_UNSUPPORTED;
      if (l3 + 40 + plen > end) return SEG_ERR_MALFORMED;
      proto = buf[l3 + 6];
      this.v6 = true;
      this.l4 = l3 + 40;
      this.l4End = l3 + 40 + plen;
    } else {
      return SEG_ERR_MALFORMED;
    }
    this.l3 = l3;
    const want = gsoType === VNET_GSO_UDP_L4 ? PROTO_UDP : PROTO_TCP;
    if (proto !== want) return this.v6 && isIpv6Extension(proto) ? SEG_ERR_UNSUPPORTED : SEG_ERR_MALFORMED;
    this.tcp = want === PROTO_TCP;
    const room = this.l4End - this.l4;
    if (this.tcp) {
      if (room < 20) return SEG_ERR_MALFORMED;
      const thl = (buf[this.l4 + 12] >> 4) * 4;
      if (thl < 20 || thl > room) return SEG_ERR_MALFORMED;
      this.l4HeaderLen = thl;
    } else {
      if (room < 8) return SEG_ERR_MALFORMED;
      this.l4HeaderLen = 8;
    }
    return 0;
  }

  /** Unfolded sum of the pseudo-header's addresses and protocol for the IP header at buf[l3]. */
  private addressSum(buf: Uint8Array, l3: number): number {
    const proto = this.tcp ? PROTO_TCP : PROTO_UDP;
    return this.v6 ? onesSum(buf, l3 + 8, l3 + 40, proto) : onesSum(buf, l3 + 12, l3 + 20, proto);
  }

  /** A GSO frame that is a single segment: full L4 checksum (and UDP length, IPv4 header checksum) in place. */
  private finishInPlace(buf: Uint8Array): void {
    const l4 = this.l4;
    const l4Len = this.l4End - l4;
    const field = l4 + (this.tcp ? 16 : 6);
    if (!this.tcp) put16(buf, l4 + 4, l4Len);
    put16(buf, field, 0);
    const sum = onesSum(buf, l4, this.l4End, this.addressSum(buf, this.l3) + l4Len);
    let csum = ~foldSum(sum) & 0xffff;
    if (csum === 0 && !this.tcp) csum = 0xffff;
    put16(buf, field, csum);
    if (!this.v6) {
      put16(buf, this.l3 + 10, 0);
      put16(buf, this.l3 + 10, ipv4HeaderChecksum(buf, this.l3));
    }
  }

  /** Writes the n segments placed by segment() (offsets/lengths already set). */
  private writeSegments(
    buf: Uint8Array,
    offset: number,
    out: Uint8Array,
    n: number,
    gsoSize: number,
    hdrLen: number,
    vnet: boolean,
  ): void {
    const l3Rel = this.l3 - offset;
    const l4Rel = this.l4 - offset;
    const ipHeaderLen = this.l4 - this.l3;
    const l4HeaderLen = this.l4HeaderLen;
    const tcp = this.tcp;
    const v6 = this.v6;
    const ident = v6 ? 0 : be16(buf, this.l3 + 4);
    const seq = tcp ? be32(buf, this.l4 + 4) : 0;
    const flags = tcp ? buf[this.l4 + 13] : 0;
    const addrSum = this.addressSum(buf, this.l3);
    const csumRel = tcp ? 16 : 6;
    let src = offset + hdrLen;
    for (let i = 0; i < n; i++) {
      const d = this.offsets[i];
      const chunk = this.lengths[i] - hdrLen;
      if (vnet) out.fill(0, d - VNET_HDR_LEN, d);
      for (let k = 0; k < hdrLen; k++) out[d + k] = buf[offset + k];
      const dl3 = d + l3Rel;
      const dl4 = d + l4Rel;
      const l4Len = l4HeaderLen + chunk;
      if (v6) {
        put16(out, dl3 + 4, l4Len);
      } else {
        put16(out, dl3 + 2, ipHeaderLen + l4Len);
        put16(out, dl3 + 4, (ident + i) & 0xffff);
        put16(out, dl3 + 10, 0);
        put16(out, dl3 + 10, ipv4HeaderChecksum(out, dl3));
      }
      if (tcp) {
        put32(out, dl4 + 4, (seq + i * gsoSize) >>> 0);
        let f = flags;
        if (i < n - 1) f &= ~(TCP_FIN | TCP_PSH);
        if (i > 0) f &= ~TCP_CWR;
        out[dl4 + 13] = f;
      } else {
        put16(out, dl4 + 4, l4Len);
      }
      put16(out, dl4 + csumRel, 0);
      let sum = this.copySum(out, dl4 + l4HeaderLen, buf, src, chunk);
      sum = onesSum(out, dl4, dl4 + l4HeaderLen, sum + addrSum + l4Len);
      let csum = ~foldSum(sum) & 0xffff;
      if (csum === 0 && !tcp) csum = 0xffff;
      put16(out, dl4 + csumRel, csum);
      src += chunk;
    }
  }

  /** An Int32Array over all of `arr`'s ArrayBuffer (cached; rebuilt when the buffer changed size). */
  private view32(arr: Uint8Array): Int32Array {
    const ab = arr.buffer;
    const words = ab.byteLength >>> 2;
    for (let i = 0; i < VIEW_CACHE; i++) {
      if (this.viewBuffers[i] === ab) {
        if (this.views[i].length !== words) this.views[i] = new Int32Array(ab, 0, words);
        return this.views[i];
      }
    }
    const slot = this.viewNext;
    this.viewNext = (slot + 1) % VIEW_CACHE;
    this.viewBuffers[slot] = ab;
    this.views[slot] = new Int32Array(ab, 0, words);
    return this.views[slot];
  }

  /**
   * Copies src[sOff, sOff+n) to dst[dOff] and returns the unfolded ones'-complement sum of those bytes, the
   * first byte taken as the high half of a 16-bit word. Whole 32-bit words move at once when both sides have
   * the same alignment modulo 4; the rest byte by byte.
   */
  private copySum(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, n: number): number {
    let sum = 0;
    let j = 0;
    const sAbs = src.byteOffset + sOff;
    const dAbs = dst.byteOffset + dOff;
    if (n >= WORD_COPY_MIN && ((sAbs - dAbs) & 3) === 0) {
      const s32 = this.view32(src);
      const d32 = this.view32(dst);
      const lead = (4 - (sAbs & 3)) & 3;
      const words = (n - lead) >>> 2;
      const si = (sAbs + lead) >>> 2;
      const di = (dAbs + lead) >>> 2;
      if (si + words <= s32.length && di + words <= d32.length) {
        for (; j < lead; j++) {
          const b = src[sOff + j];
          dst[dOff + j] = b;
          sum += (j & 1) === 0 ? b << 8 : b;
        }
        let acc = 0;
        for (let k = 0; k < words; k++) {
          const w = s32[si + k];
          d32[di + k] = w;
          acc += (w & 0xffff) + (w >>> 16);
        }
        // Native-order halves: on a little-endian host each half is a byte-swapped big-endian word, and the
        // ones'-complement sum of swapped words is the swapped sum. An odd lead flips which byte is high.
        acc = foldSum(acc);
        sum += ((lead & 1) === 0) === LITTLE_ENDIAN ? swap16(acc) : acc;
        j = lead + words * 4;
      }
    }
    for (; j < n; j++) {
      const b = src[sOff + j];
      dst[dOff + j] = b;
      sum += (j & 1) === 0 ? b << 8 : b;
    }
    return sum;
  }
}

function isIpv6Extension(proto: number): boolean {
  return proto === 0 || proto === 43 || proto === 44 || proto === 51 || proto === 60 || proto === 135;
}
