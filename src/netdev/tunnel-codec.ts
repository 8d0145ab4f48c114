// The tunnel header of each protocol as a tunnel socket writes and reads it (over src/packet's codecs):
// for sending, the header for a key (and a GRE checksum over header and frame); for receiving, the header's
// length, the key and the K_TUN_FLAGS bits, in one reused result — nothing is allocated per datagram.
import {
  ETH_TYPE_TEB,
  fillGreChecksumSplit,
  GRE_CSUM,
  GRE_KEY,
  greHeaderLength,
  parseGeneve,
  parseGre,
  parseVxlan,
  TNL_OK,
  TunnelHeader,
  type TunnelKind,
  writeGeneve,
  writeGre,
  writeVxlan,
} from '../packet/tunnel-headers.js';

/** K_TUN_FLAGS bits: a key was present, the tunnel carried a checksum. */
export const TUN_FLAG_KEY = 1;
export const TUN_FLAG_CSUM = 2;
export const TUN_FLAG_DF = 4;

/** A parsed tunnel header (reused by its codec for every datagram). */
export interface ParsedTunnel {
  length: number;
  keyHi: number;
  keyLo: number;
  hasKey: boolean;
  flags: number;
}

/** Writes and reads one protocol's header. */
export interface TunnelCodec {
  /** Bytes of the header this codec writes for a key (or none) and checksum setting. */
  length(hasKey: boolean, csum: boolean): number;
  /**
   * Writes the header at hdr[at] for the frame frame[off, off+len) (the checksum, if any, covers both);
   * returns its length.
   */
  write(
    hdr: Uint8Array,
    at: number,
    keyHi: number,
    keyLo: number,
    hasKey: boolean,
    csum: boolean,
    frame: Uint8Array,
    off: number,
    len: number,
  ): number;
  /** The header at buf[off] of a datagram of `len` bytes, or null when it is malformed or not Ethernet. */
  parse(buf: Uint8Array, off: number, len: number): ParsedTunnel | null;
}

type Parser = (buf: Uint8Array, off: number, len: number, out: TunnelHeader) => number;

class Codec implements TunnelCodec {
  private readonly h = new TunnelHeader();
  private readonly out: ParsedTunnel = { length: 0, keyHi: 0, keyLo: 0, hasKey: false, flags: 0 };

  constructor(
    private readonly kind: TunnelKind,
    private readonly parser: Parser,
  ) {}

  length(hasKey: boolean, csum: boolean): number {
    if (this.kind === 'gre') return greHeaderLength((hasKey ? GRE_KEY : 0) | (csum ? GRE_CSUM : 0));
    return 8;
  }

  write(
    hdr: Uint8Array,
    at: number,
    _keyHi: number,
    keyLo: number,
    hasKey: boolean,
    csum: boolean,
    frame: Uint8Array,
    off: number,
    len: number,
  ): number {
    if (this.kind === 'vxlan') return writeVxlan(hdr, at, keyLo);
    if (this.kind === 'geneve') return writeGeneve(hdr, at, keyLo);
    const flags = (hasKey ? GRE_KEY : 0) | (csum ? GRE_CSUM : 0);
    const n = writeGre(hdr, at, flags, ETH_TYPE_TEB, keyLo, 0);
    if (csum) fillGreChecksumSplit(hdr, at, frame, off, len);
    return n;
  }

  parse(buf: Uint8Array, off: number, len: number): ParsedTunnel | null {
    const h = this.h;
    if (this.parser(buf, off, len, h) !== TNL_OK) return null;
    const o = this.out;
    o.length = h.headerLength;
    o.keyHi = 0;
    o.keyLo = h.keyPresent ? h.key : 0;
    o.hasKey = h.keyPresent;
    o.flags = (h.keyPresent ? TUN_FLAG_KEY : 0) | (h.csumPresent ? TUN_FLAG_CSUM : 0);
    return o;
  }
}

/** The codec of a protocol (one per socket: it holds the reused parse result). */
export function tunnelCodec(kind: TunnelKind): TunnelCodec {
  return new Codec(kind, kind === 'gre' ? parseGre : kind === 'vxlan' ? parseVxlan : parseGeneve);
}
