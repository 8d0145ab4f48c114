// IPv4 and IPv6 address text: dotted quads, and IPv6 in the compressed form glibc's inet_ntop prints (and so
// Open vSwitch's ODP flows), with parsers for both. Addresses in flow keys are big-endian-in-value words.
import { PacketError } from './errors.js';

/** "a.b.c.d" for an IPv4 address held as an unsigned 32-bit number. */
export function formatIpv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/** The IPv4 address in `text` as an unsigned 32-bit number; undefined unless it is a dotted quad. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

/** IPv6 text for the four 32-bit words at words[off..off+4), compressed the way inet_ntop does it. */
export function formatIpv6Words(words: ArrayLike<number>, off: number): string {
  const groups = new Array<number>(8);
  for (let i = 0; i < 4; i++) {
    groups[2 * i] = (words[off + i] >>> 16) & 0xffff;
    groups[2 * i + 1] = words[off + i] & 0xffff;
  }
  return formatGroups(groups);
}

/** IPv6 text for the 16 bytes at buf[off..off+16). */
export function formatIpv6Bytes(buf: Uint8Array, off: number): string {
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++) groups[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  return formatGroups(groups);
}

/** The 16 bytes of the IPv6 address in `text` (`::` and a dotted-quad tail accepted); undefined if invalid. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0], halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1], true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** The address bytes (4 for IPv4, 16 for IPv6) of `text`; undefined when it is neither. */
export function ipBytes(text: string): Uint8Array | undefined {
  if (text.includes(':')) return parseIpv6(text);
  const v4 = parseIpv4(text);
  if (v4 === undefined) return undefined;
  return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff);
}

/** Text of the 4-byte (IPv4) or 16-byte (IPv6) address at buf[off]. */
export function ipText(buf: Uint8Array, off: number, len: 4 | 16): string {
  if (len === 16) return formatIpv6Bytes(buf, off);
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

// Colon-separated hex groups; `allowV4Tail` lets the last group be a dotted quad (two groups' worth).
function parseGroups(text: string, allowV4Tail: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (allowV4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups.length <= 8 ? groups : undefined;
}

// inet_ntop's rules: the first longest run (>= 2) of zero groups becomes "::"; an address whose first six
// groups are zero (but not ::/::1-style with a 7-group run), or ::ffff:0:0/96, ends in a dotted quad.
function formatGroups(g: number[]): string {
  const [runStart, runLen] = longestZeroRun(g);
  if (runStart === 0 && (runLen === 6 || (runLen === 5 && g[5] === 0xffff))) {
    const prefix = runLen === 6 ? '::' : '::ffff:';
    return prefix + `${g[6] >>> 8}.${g[6] & 0xff}.${g[7] >>> 8}.${g[7] & 0xff}`;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === runStart) {
      out += i === 0 ? '::' : ':';
      i += runLen - 1;
      continue;
    }
    out += g[i].toString(16) + (i < 7 ? ':' : '');
  }
  return out;
}

function longestZeroRun(g: number[]): [number, number] {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  return bestLen >= 2 ? [best, bestLen] : [-1, 0];
}

/** The bytes of an IPv4 (len 4) or IPv6 (len 16) address text; throws PacketError MALFORMED otherwise. */
export function requireIp(text: string, len: 4 | 16): Uint8Array {
  const bytes = ipBytes(text);
  if (!bytes || bytes.length !== len)
    throw new PacketError('MALFORMED', `not an IPv${len === 4 ? 4 : 6} address: ${text}`);
  return bytes;
}

/** The bytes of two addresses of one family (both IPv4 or both IPv6); throws PacketError MALFORMED otherwise. */
export function requireIpPair(src: string, dst: string): [Uint8Array, Uint8Array] {
  const a = ipBytes(src);
  const b = ipBytes(dst);
  if (!a || !b || a.length !== b.length)
    throw new PacketError('MALFORMED', `not two addresses of one family: ${src}, ${dst}`);
  return [a, b];
}
