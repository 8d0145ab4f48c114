// Software receive coalescing (what Linux's GRO does in a NIC driver): consecutive TCP/IPv4 segments of
// one stream in a batch are joined into one GSO super-frame with a virtio-net header (TCPV4, gso_size =
// the segments' MSS, partial checksum), so the output port's kernel and the receiving TCP stack handle one
// frame instead of dozens. Tunnel ports use it on what they decapsulate: a sender's TSO burst arrives as
// MSS-sized datagrams and leaves toward the host as the super-frame it was.
//
// The rules follow tcp_gro_receive: same addresses, ports, TOS, TTL and DF; IPv4 ids counting up by one;
// no IP options or fragments; only ACK (and PSH on the last) set; same ack number, window and TCP options;
// contiguous sequence numbers; every segment but the last exactly the first one's size. Anything else
// passes through untouched, in order. Nothing is allocated per frame.
import { be16, be32, put16 } from './bytes.js';
import { foldSum, ipv4HeaderChecksum, pseudoSumV4 } from './checksum.js';

const ETH_HLEN = 14;
const ETH_TYPE_IPV4 = 0x0800;
const PROTO_TCP = 6;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
/** Largest super-frame: its IPv4 total length must fit 16 bits. */
const MAX_IP_LEN = 65535;
const VNET_HDR_LEN = 10;
const VNET_F_NEEDS_CSUM = 1;
const VNET_GSO_TCPV4 = 1;

/**
 * Coalesces a batch of frames. One instance per receive path; `out` (the staging the super-frames are
 * written into) must not overlap the input.
 */
export class Coalescer {
  /** Output frames of the last run(): where each lies and whether it is in `out` (else in the input). */
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly inOut: Uint8Array;
  /** For each output frame, the index of the first input frame it came from (for per-frame metadata). */
  readonly first: Uint32Array;
  count = 0;
  /** Segments merged into super-frames, and super-frames written (counters). */
  merged = 0;
  superFrames = 0;

  // The aggregate being built: input indices [aggStart, aggEnd), its next expected seq and ip id.
  private aggStart = -1;
  private aggEnd = -1;
  private nextSeq = 0;
  private nextId = 0;
  private mss = 0;
  private payloadTotal = 0;
  private closed = false;
  private pushSeen = false;
  private used = 0;

  constructor(
    max: number,
    /** Bytes kept free before each written frame (virtio-net header plus headroom for pushes). */
    private readonly headroom: number,
  ) {
    this.offsets = new Uint32Array(max);
    this.lengths = new Uint32Array(max);
    this.inOut = new Uint8Array(max);
    this.first = new Uint32Array(max);
  }

  /**
   * Coalesces frames buf[offsets[i], +lengths[i]) for i < n (each with a virtio-net header before it,
   * which is read: frames carrying offloads pass through) into `out`; `same(i, j)` says whether two input
   * frames may be joined as far as the caller's metadata goes. Returns the number of output frames.
   */
  run(
    buf: Uint8Array,
    offsets: Uint32Array,
    lengths: Uint32Array,
    n: number,
    out: Uint8Array,
    same: (i: number, j: number) => boolean,
  ): number {
    this.count = 0;
    this.used = 0;
    this.aggStart = -1;
    for (let i = 0; i < n; i++) {
      const off = offsets[i];
      const len = lengths[i];
      const payload = this.segmentPayload(buf, off, len);
      if (payload > 0 && this.aggStart >= 0 && !this.closed && same(this.aggStart, i)) {
        if (this.extends(buf, offsets[this.aggStart], off, len, payload)) {
          this.aggEnd = i + 1;
          continue;
        }
      }
      this.finish(buf, offsets, lengths, out);
      if (payload > 0) this.begin(buf, off, i, payload);
      else this.pass(offsets[i], lengths[i], i);
    }
    this.finish(buf, offsets, lengths, out);
    return this.count;
  }

  /** The TCP payload length if the frame is a plain TCP/IPv4 data segment that may be joined, else 0. */
  private segmentPayload(buf: Uint8Array, off: number, len: number): number {
    if (off < VNET_HDR_LEN || len < ETH_HLEN + 40) return 0;
    const v = off - VNET_HDR_LEN;
    if (buf[v] !== 0 || buf[v + 1] !== 0) return 0; // offloads pending: leave it as it is
    if (be16(buf, off + 12) !== ETH_TYPE_IPV4) return 0;
    const ip = off + ETH_HLEN;
    if (buf[ip] !== 0x45 || buf[ip + 9] !== PROTO_TCP) return 0;
    const frag = be16(buf, ip + 6);
    if ((frag & 0x3fff) !== 0) return 0; // MF or an offset
    const total = be16(buf, ip + 2);
    if (total > len - ETH_HLEN || total < 40) return 0;
    const tcp = ip + 20;
    const thl = (buf[tcp + 12] >> 4) * 4;
    if (thl < 20 || 20 + thl > total) return 0;
    const flags = buf[tcp + 13];
    if ((flags & ~(TCP_ACK | TCP_PSH)) !== 0 || (flags & TCP_ACK) === 0) return 0;
    return total - 20 - thl;
  }

  private begin(buf: Uint8Array, off: number, i: number, payload: number): void {
    const ip = off + ETH_HLEN;
    const tcp = ip + 20;
    this.aggStart = i;
    this.aggEnd = i + 1;
    this.mss = payload;
    this.payloadTotal = payload;
    this.nextSeq = (be32(buf, tcp + 4) + payload) >>> 0;
    this.nextId = (be16(buf, ip + 4) + 1) & 0xffff;
    this.pushSeen = (buf[tcp + 13] & TCP_PSH) !== 0;
    this.closed = this.pushSeen;
  }

  /** Whether the segment at `off` continues the aggregate whose first frame is at `head`; updates it. */
  private extends(buf: Uint8Array, head: number, off: number, len: number, payload: number): boolean {
    if (payload > this.mss || this.payloadTotal + payload + 20 + 60 > MAX_IP_LEN) return false;
    const hip = head + ETH_HLEN;
    const ip = off + ETH_HLEN;
    // Same Ethernet header, same IP header but for total length, id and checksum.
    for (let k = 0; k < ETH_HLEN; k++) if (buf[head + k] !== buf[off + k]) return false;
    if (
      buf[hip + 1] !== buf[ip + 1] ||
      be16(buf, hip + 6) !== be16(buf, ip + 6) ||
      buf[hip + 8] !== buf[ip + 8]
    )
      return false;
    for (let k = 12; k < 20; k++) if (buf[hip + k] !== buf[ip + k]) return false;
    if (be16(buf, ip + 4) !== this.nextId) return false;
    const htcp = hip + 20;
    const tcp = ip + 20;
    const thl = (buf[tcp + 12] >> 4) * 4;
    if (thl !== (buf[htcp + 12] >> 4) * 4) return false;
    // Ports, ack, data offset, window, urgent and options equal; seq contiguous; flags ACK (PSH allowed).
    if (be32(buf, htcp) !== be32(buf, tcp) || be32(buf, htcp + 8) !== be32(buf, tcp + 8)) return false;
    if (be16(buf, htcp + 14) !== be16(buf, tcp + 14)) return false;
    for (let k = 20; k < thl; k++) if (buf[htcp + k] !== buf[tcp + k]) return false;
    if (be32(buf, tcp + 4) !== this.nextSeq) return false;
    if (len - ETH_HLEN < 20 + thl + payload) return false;
    this.nextSeq = (this.nextSeq + payload) >>> 0;
    this.nextId = (this.nextId + 1) & 0xffff;
    this.payloadTotal += payload;
    const push = (buf[tcp + 13] & TCP_PSH) !== 0;
    this.pushSeen ||= push;
    // A short segment or a push ends the aggregate (nothing may follow it).
    if (payload < this.mss || push) this.closed = true;
    return true;
  }

  /** Emits the aggregate: the single frame itself, or a super-frame written into `out`. */
  private finish(buf: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, out: Uint8Array): void {
    const start = this.aggStart;
    if (start < 0) return;
    this.aggStart = -1;
    const end = this.aggEnd;
    if (end - start === 1 || !this.write(buf, offsets, start, end, out)) {
      for (let i = start; i < end; i++) this.pass(offsets[i], lengths[i], i);
    }
  }

  private pass(offset: number, length: number, i: number): void {
    const c = this.count++;
    this.offsets[c] = offset;
    this.lengths[c] = length;
    this.inOut[c] = 0;
    this.first[c] = i;
  }

  /** Writes frames [start, end) as one super-frame; false when `out` has no room. */
  private write(buf: Uint8Array, offsets: Uint32Array, start: number, end: number, out: Uint8Array): boolean {
    const head = offsets[start];
    const tcp = head + ETH_HLEN + 20;
    const thl = (buf[tcp + 12] >> 4) * 4;
    const hdr = ETH_HLEN + 20 + thl;
    const at = this.used + this.headroom;
    const total = hdr + this.payloadTotal;
    if (at + total > out.length) return false;
    out.set(buf.subarray(head, head + hdr), at);
    let p = at + hdr;
    for (let i = start; i < end; i++) {
      const off = offsets[i];
      const ipLen = be16(buf, off + ETH_HLEN + 2);
      const from = off + hdr;
      const to = off + ETH_HLEN + ipLen;
      out.set(buf.subarray(from, to), p);
      p += to - from;
    }
    const ip = at + ETH_HLEN;
    put16(out, ip + 2, total - ETH_HLEN);
    put16(out, ip + 10, 0);
    put16(out, ip + 10, ipv4HeaderChecksum(out, ip));
    const otcp = ip + 20;
    if (this.pushSeen) out[otcp + 13] |= TCP_PSH;
    // Partial checksum: the field holds the pseudo-header sum; the kernel completes [csum_start, end).
    const l4 = total - ETH_HLEN - 20;
    put16(out, otcp + 16, foldSum(pseudoSumV4(be32(out, ip + 12), be32(out, ip + 16), PROTO_TCP, l4)));
    const v = at - VNET_HDR_LEN;
    out[v] = VNET_F_NEEDS_CSUM;
    out[v + 1] = VNET_GSO_TCPV4;
    putLe16(out, v + 2, hdr);
    putLe16(out, v + 4, this.mss);
    putLe16(out, v + 6, ETH_HLEN + 20);
    putLe16(out, v + 8, 16);
    const c = this.count++;
    this.offsets[c] = at;
    this.lengths[c] = total;
    this.inOut[c] = 1;
    this.first[c] = start;
    this.used = Math.ceil((at + total) / 16) * 16;
    this.merged += end - start;
    this.superFrames++;
    return true;
  }
}

function putLe16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v & 0xff;
  buf[off + 1] = (v >>> 8) & 0xff;
}
