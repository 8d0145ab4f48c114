// OpenFlow framing: versions, the 8-byte ofp_header, bounds-checked big-endian readers and writers used by
// every codec in this folder, and a reassembler that splits a TCP or unix byte stream into messages.
//
// Readers throw only OfpError (a read past the end is OFPBRC_BAD_LEN unless the caller names another
// error), so a decoder built on them can never throw anything else on malformed input.
import { OfpError, type OfpErrorName } from './wire-errors.js';

/** Wire version numbers (ofp_header.version). */
export const OFP10_VERSION = 0x01;
export const OFP11_VERSION = 0x02;
export const OFP12_VERSION = 0x03;
export const OFP13_VERSION = 0x04;
export const OFP14_VERSION = 0x05;
export const OFP15_VERSION = 0x06;

/** Bytes in struct ofp_header. */
export const OFP_HEADER_LEN = 8;
/** Largest OpenFlow message (ofp_header.length is 16 bits). */
export const OFP_MAX_MSG_LEN = 65535;

/** "OpenFlow10" ... "OpenFlow15", as ovs-ofctl's -O option spells them; undefined for other numbers. */
export function versionName(version: number): string | undefined {
  return version >= 1 && version <= 6 ? `OpenFlow1${version - 1}` : undefined;
}

/** The wire version of "OpenFlow13" / "OF1.3" / "1.3"; undefined if not one. */
export function versionFromName(name: string): number | undefined {
  const m = /^(?:OpenFlow1(\d)|(?:OF)?1\.(\d))$/.exec(name);
  if (!m) return undefined;
  const minor = Number.parseInt(m[1] ?? m[2], 10);
  return minor <= 5 ? minor + 1 : undefined;
}

/** Bitmap of versions (bit N = version N) from a list of wire versions. */
export function versionBitmap(versions: readonly number[]): number {
  let bits = 0;
  for (const v of versions) if (v >= 1 && v <= 31) bits |= 1 << v;
  return bits >>> 0;
}

/** Highest version in a bitmap, or 0 for none. */
export function highestVersion(bitmap: number): number {
  return bitmap === 0 ? 0 : 31 - Math.clz32(bitmap);
}

/** The decoded ofp_header. */
export interface OfpHeader {
  version: number;
  type: number;
  length: number;
  xid: number;
}

/** Reads the ofp_header at the start of `msg` (which must hold 8 bytes; throws OFPBRC_BAD_LEN otherwise). */
export function readHeader(msg: Uint8Array): OfpHeader {
  if (msg.length < OFP_HEADER_LEN) {
    throw new OfpError('OFPBRC_BAD_LEN', `message of ${msg.length} bytes is shorter than ofp_header`);
  }
  return {
    version: msg[0],
    type: msg[1],
    length: (msg[2] << 8) | msg[3],
    xid: ((msg[4] << 24) | (msg[5] << 16) | (msg[6] << 8) | msg[7]) >>> 0,
  };
}

/** Bounds-checked big-endian reader over bytes [start, end) of a buffer. */
export class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    /** The error a read past `end` throws. */
    readonly lenError: OfpErrorName = 'OFPBRC_BAD_LEN',
    /** Names the structure in error messages. */
    readonly what = 'message',
  ) {
    this.pos = start;
  }

  /** Bytes left. */
  get left(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are there. */
  need(n: number, what = this.what): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new OfpError(this.lenError, `${what}: need ${n} bytes at offset ${this.pos}, have ${this.left}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  u64(): bigint {
    const hi = this.u32();
    const lo = this.u32();
    // Flow mods carry cookies and masks of 0 and all-ones: constants for those, no BigInt arithmetic.
    if (hi === 0) return lo === 0 ? 0n : BigInt(lo);
    if (hi === 0xffffffff && lo === 0xffffffff) return U64_MAX;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** A copy of the next `n` bytes. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next `n` bytes in place (not copied): for a look before copying what is kept. */
  view(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The rest of the range, copied. */
  rest(): Uint8Array {
    return this.bytes(this.left);
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A NUL-padded string field of `n` bytes (text up to the first NUL, Latin-1). */
  str(n: number): string {
    this.need(n);
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = this.buf[this.pos + i];
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    this.pos += n;
    return s;
  }

  /** A reader over the next `n` bytes (which this reader skips); its overrun error is `lenError`. */
  sub(n: number, lenError: OfpErrorName = this.lenError, what = this.what): Reader {
    this.need(n, what);
    const r = new Reader(this.buf, this.pos, this.pos + n, lenError, what);
    this.pos += n;
    return r;
  }

  /** Peeks a 16-bit value `off` bytes ahead without consuming (0 past the end: check `left` first). */
  peek16(off = 0): number {
    const p = this.pos + off;
    return p + 2 <= this.end ? (this.buf[p] << 8) | this.buf[p + 1] : 0;
  }

  /** Peeks a 32-bit value `off` bytes ahead without consuming (0 past the end). */
  peek32(off = 0): number {
    const p = this.pos + off;
    if (p + 4 > this.end) return 0;
    const b = this.buf;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }
}

/** 2^64 - 1, the all-ones cookie and mask. */
const U64_MAX = 0xffffffffffffffffn;

/** Growable big-endian writer. */
export class Writer {
  private buf: Uint8Array;
  len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): number {
    const at = this.len;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
    }
    this.len = at + n;
    return at;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.buf[at] = v;
    return this;
  }

  u16(v: number): this {
    const at = this.room(2);
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v;
    return this;
  }

  u32(v: number): this {
    const at = this.room(4);
    this.buf[at] = v >>> 24;
    this.buf[at + 1] = v >>> 16;
    this.buf[at + 2] = v >>> 8;
    this.buf[at + 3] = v;
    return this;
  }

  u64(v: bigint): this {
    if (v === 0n) return this.u32(0).u32(0);
    if (v === U64_MAX || v === -1n) return this.u32(0xffffffff).u32(0xffffffff);
    const x = BigInt.asUintN(64, v);
    this.u32(Number(x >> 32n));
    return this.u32(Number(x & 0xffffffffn));
  }

  bytes(b: Uint8Array): this {
    const n = b.length;
    const at = this.room(n);
    // Match values are a few bytes: a loop is cheaper than set() for those.
    if (n <= 16) for (let i = 0; i < n; i++) this.buf[at + i] = b[i];
    else this.buf.set(b, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.room(n);
    // Mostly padding of a few bytes: a loop is cheaper than fill() for those.
    if (n <= 16) for (let i = 0; i < n; i++) this.buf[at + i] = 0;
    else this.buf.fill(0, at, at + n);
    return this;
  }

  /** A NUL-padded string field of exactly `n` bytes (truncated to n-1 bytes so it always ends in NUL). */
  str(s: string, n: number): this {
    const at = this.room(n);
    this.buf.fill(0, at, at + n);
    const k = Math.min(s.length, n - 1);
    for (let i = 0; i < k; i++) this.buf[at + i] = s.charCodeAt(i) & 0xff;
    return this;
  }

  /** Zero bytes up to the next multiple of 8 measured from `from`. */
  pad8(from = 0): this {
    const over = (this.len - from) % 8;
    return over === 0 ? this : this.zeros(8 - over);
  }

  /** Overwrites the 16-bit value at `at`. */
  set16(at: number, v: number): void {
    this.buf[at] = v >>> 8;
    this.buf[at + 1] = v;
  }

  /** Overwrites the 32-bit value at `at`. */
  set32(at: number, v: number): void {
    this.buf[at] = v >>> 24;
    this.buf[at + 1] = v >>> 16;
    this.buf[at + 2] = v >>> 8;
    this.buf[at + 3] = v;
  }

  /** The bytes written (a copy). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** The bytes written, in place: valid until the next write or reset(). */
  view(): Uint8Array {
    // The constructor, not subarray() (which looks up a species constructor): one view per message sent.
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.len);
  }

  /** Forgets what was written, keeping the room. */
  reset(): void {
    this.len = 0;
  }
}

/** Bytes rounded up to a multiple of 8. */
export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

/** Builds a message: writes the ofp_header, lets `body` write the rest, then fixes the length. */
export function buildMessage(
  version: number,
  type: number,
  xid: number,
  body: (w: Writer) => void,
): Uint8Array {
  return buildMessageIn(new Writer(), version, type, xid, body).finish();
}

/** buildMessage() in `w` (reset first): its bytes are w.view(), for callers that copy them at once. */
export function buildMessageIn(
  w: Writer,
  version: number,
  type: number,
  xid: number,
  body: (w: Writer) => void,
): Writer {
  w.reset();
  w.u8(version).u8(type).u16(0).u32(xid);
  body(w);
  if (w.len > OFP_MAX_MSG_LEN) {
    throw new OfpError('OFPBRC_BAD_LEN', `message of ${w.len} bytes exceeds the OpenFlow maximum of 65535`);
  }
  w.set16(2, w.len);
  return w;
}

/**
 * Copies of small byte strings carved from shared 64 KiB slabs: decoding a flow mod keeps a few values
 * and masks of a few bytes each, and a buffer of their own each cost more than the rest of the decoding.
 * A slab is freed once every copy in it is garbage.
 */
export class ByteSlab {
  private slab = new Uint8Array(BYTE_SLAB);
  private used = 0;

  /** A copy of `src[from, to)`. */
  copy(src: Uint8Array, from: number, to: number): Uint8Array {
    const n = to - from;
    if (n > BYTE_SLAB / 8) return src.slice(from, to);
    if (this.used + n > BYTE_SLAB) {
      this.slab = new Uint8Array(BYTE_SLAB);
      this.used = 0;
    }
    // A view made from the buffer (not subarray(), which looks up a species constructor) and a byte loop
    // (not set(), which wants a view of the source too): the copies are a few bytes each.
    const slab = this.slab;
    const at = this.used;
    if (n <= 32) for (let i = 0; i < n; i++) slab[at + i] = src[from + i];
    else slab.set(src.subarray(from, to), at);
    this.used = at + n;
    return new Uint8Array(slab.buffer, at, n);
  }
}

const BYTE_SLAB = 64 * 1024;

/** Why a byte stream could not be split into OpenFlow messages. */
export class OfpFramingError extends Error {
  constructor(
    readonly code: 'too short' | 'too long',
    message: string,
  ) {
    super(message);
    this.name = 'OfpFramingError';
  }
}

/** What one `feed` produced: whole messages, then the error that stopped the stream, if any. */
export interface FrameResult {
  messages: Uint8Array[];
  error: OfpFramingError | null;
}

/**
 * Where framed messages are copied to: a buffer of its own for each message (slice()) cost more in
 * allocation and garbage collection than decoding a flow mod. A kept message keeps its 64 KiB slab.
 */
const messageBytes = new ByteSlab();

/**
 * Splits a stream into OpenFlow messages by ofp_header.length. A length below 8 cannot be skipped (the
 * stream has lost its framing), so like Open vSwitch ("received too-short ofp_header") the framer fails
 * for good and the connection must be closed; every message before it is still delivered. Each message is
 * a fresh copy, so the caller may keep it.
 */
export class OfpFramer {
  private pending: Uint8Array = new Uint8Array(0);
  private failure: OfpFramingError | null = null;
  /** Bytes consumed over the stream's life, for error positions. */
  private offset = 0;

  /** True when part of a message has arrived but not its end. */
  get hasPartial(): boolean {
    return this.pending.length > 0;
  }

  feed(chunk: Uint8Array): FrameResult {
    const messages: Uint8Array[] = [];
    if (this.failure) return { messages, error: this.failure };
    let data = chunk;
    if (this.pending.length > 0) {
      data = new Uint8Array(this.pending.length + chunk.length);
      data.set(this.pending);
      data.set(chunk, this.pending.length);
    }
    let at = 0;
    while (data.length - at >= OFP_HEADER_LEN) {
      const len = (data[at + 2] << 8) | data[at + 3];
      if (len < OFP_HEADER_LEN) {
        this.failure = new OfpFramingError(
          'too short',
          `received too-short ofp_header (${len} bytes) at stream offset ${this.offset + at}`,
        );
        this.pending = new Uint8Array(0);
        return { messages, error: this.failure };
      }
      if (data.length - at < len) break;
      messages.push(messageBytes.copy(data, at, at + len));
      at += len;
    }
    this.offset += at;
    this.pending = data.slice(at);
    return { messages, error: null };
  }
}

/** Checks an outgoing message's framing: at least 8 bytes, at most 65535, header length equal to its size. */
export function checkFraming(msg: Uint8Array): OfpFramingError | null {
  if (msg.length < OFP_HEADER_LEN) return new OfpFramingError('too short', `message of ${msg.length} bytes`);
  if (msg.length > OFP_MAX_MSG_LEN) {
    return new OfpFramingError('too long', `message of ${msg.length} bytes exceeds 65535`);
  }
  const len = (msg[2] << 8) | msg[3];
  if (len !== msg.length) {
    return new OfpFramingError(
      'too short',
      `ofp_header.length ${len} differs from the message size ${msg.length}`,
    );
  }
  return null;
}

/** Lower-case hex of bytes. */
export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

/** Bytes from hex text (whitespace ignored). */
export function unhex(text: string): Uint8Array {
  const t = text.replace(/\s+/g, '');
  if (t.length % 2 !== 0 || /[^0-9a-fA-F]/.test(t)) throw new Error(`not hex: ${t.slice(0, 32)}`);
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}
