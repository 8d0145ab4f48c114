// Lexical pieces of the ovs-ofctl text syntax, shared by the match-field registry, the action parser and
// the flow parser: the error type, OVS's key=value tokenizer, and number, address and hex conversions that
// behave like the C library calls OVS makes (strtoull with base 0, inet_pton, its own scanf), so that the
// same inputs are accepted, refused and normalized the same way.
import { formatIpv4, formatIpv6Words, parseIpv4, parseIpv6 } from '../packet/ip-addr.js';

/**
 * A flow, match or action text that ovs-ofctl would refuse. `message` is what ovs-ofctl prints after
 * "ovs-ofctl: "; `code` is stable: 'SYNTAX' for text errors, the OpenFlow error name (e.g.
 * 'OFPBAC_MATCH_INCONSISTENT') when OVS reports one, 'UNSUPPORTED' for syntax OVS has and tsovs does not.
 */
export class FlowTextError extends Error {
  readonly code: string;

  constructor(message: string, code = 'SYNTAX') {
    super(message);
    this.name = 'FlowTextError';
    this.code = code;
  }
}

/** One key[=:(]value item of a comma-separated OVS list. */
export interface KeyValue {
  readonly key: string;
  /** The value; '' when the item had none. */
  readonly value: string;
}

const SPACE_COMMA = ', \t\r\n';

/**
 * Splits `text` into items exactly as OVS's ofputil_parse_key_value() does: items are separated by commas
 * or white space; a key ends at one of ":=(, \t\r\n"; after ':' or '=' the value runs to the next comma or
 * white space (parentheses nest), after '(' to the matching ')' (and a following "->dst" is kept).
 */
export function splitKeyValues(text: string): KeyValue[] {
  const out: KeyValue[] = [];
  let pos = 0;
  const n = text.length;
  for (;;) {
    while (pos < n && SPACE_COMMA.includes(text[pos])) pos++;
    if (pos >= n) return out;
    const keyStart = pos;
    while (pos < n && !':=(, \t\r\n'.includes(text[pos])) pos++;
    const key = text.slice(keyStart, pos);
    const delim = pos < n ? text[pos] : '';
    if (delim !== '') pos++;
    let delims: string;
    if (delim === ':' || delim === '=') delims = SPACE_COMMA;
    else if (delim === '(') delims = ')';
    else {
      out.push({ key, value: '' });
      continue;
    }
    const valueStart = pos;
    let len = valueLength(text, valueStart, delims);
    if (delim === '(' && text[valueStart + len] === ')' && text.startsWith('->', valueStart + len + 1)) {
      len += valueLength(text, valueStart + len, SPACE_COMMA);
    }
    out.push({ key, value: text.slice(valueStart, valueStart + len) });
    pos = valueStart + len + (valueStart + len < n ? 1 : 0);
  }
}

// OVS's parse_value(): characters up to a delimiter, skipping over balanced parentheses.
function valueLength(text: string, start: number, delims: string): number {
  let i = start;
  const n = text.length;
  while (i < n && !delims.includes(text[i])) {
    if (text[i] === '(') {
      let level = 0;
      do {
        if (i >= n) return i - start;
        if (text[i] === '(') level++;
        else if (text[i] === ')') level--;
        i++;
      } while (level > 0);
    } else {
      i++;
    }
  }
  return i - start;
}

const U64_MAX = (1n << 64n) - 1n;

/** Result of a strtoull()-like conversion: the value, where it stopped, and errno ('' when fine). */
export interface Strtoull {
  readonly value: bigint;
  readonly end: number;
  readonly errno: '' | 'ERANGE';
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/**
 * glibc strtoull(s + start, &end, base): leading white space, an optional sign (a '-' negates modulo
 * 2^64), and with base 0 a "0x" (hex) or "0" (octal) prefix. `end === start` when no digits were found.
 */
export function strtoull(s: string, start = 0, base = 0): Strtoull {
  let i = start;
  while (i < s.length && isSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  let b = base;
  if (
    (b === 0 || b === 16) &&
    s[i] === '0' &&
    (s[i + 1] === 'x' || s[i + 1] === 'X') &&
    digitValue(s[i + 2]) < 16
  ) {
    i += 2;
    b = 16;
  } else if (b === 0) {
    b = s[i] === '0' ? 8 : 10;
  }
  const digitsStart = i;
  let value = 0n;
  let overflow = false;
  const bigBase = BigInt(b);
  while (i < s.length && digitValue(s[i]) < b) {
    value = value * bigBase + BigInt(digitValue(s[i]));
    if (value > U64_MAX) overflow = true;
    i++;
  }
  if (i === digitsStart) return { value: 0n, end: start, errno: '' };
  if (overflow) return { value: U64_MAX, end: i, errno: 'ERANGE' };
  if (negative) value = -value & U64_MAX;
  return { value, end: i, errno: '' };
}

/** glibc strtoll(): like strtoull but the result must lie in the signed 64-bit range. */
export function strtoll(
  s: string,
  start = 0,
  base = 0,
): { value: bigint; end: number; errno: '' | 'ERANGE' } {
  let i = start;
  while (i < s.length && isSpace(s[i])) i++;
  const negative = s[i] === '-';
  const r = strtoull(s, start, base);
  if (r.end === start) return { value: 0n, end: start, errno: '' };
  if (r.errno) return { value: 0n, end: r.end, errno: 'ERANGE' };
  const magnitude = negative ? -r.value & U64_MAX : r.value;
  if (negative ? magnitude > 1n << 63n : magnitude >= 1n << 63n)
    return { value: 0n, end: r.end, errno: 'ERANGE' };
  return { value: negative ? -magnitude : magnitude, end: r.end, errno: '' };
}

/** OVS str_to_llong(): the whole string is one integer (base 0); undefined otherwise. */
export function strToLlong(s: string): bigint | undefined {
  const r = strtoll(s, 0, 0);
  if (r.errno || r.end === 0 || r.end !== s.length) return undefined;
  return r.value;
}

/** OVS str_to_int(): an int-range integer filling the whole string. */
export function strToInt(s: string): number | undefined {
  const v = strToLlong(s);
  if (v === undefined || v < -(1n << 31n) || v >= 1n << 31n) return undefined;
  return Number(v);
}

/** OVS str_to_uint(s, 10): a decimal 0..UINT_MAX filling the whole string. */
export function strToUint(s: string): number | undefined {
  const r = strtoll(s, 0, 10);
  if (r.errno || r.end === 0 || r.end !== s.length || r.value < 0n || r.value > 0xffffffffn) return undefined;
  return Number(r.value);
}

/** C atoi(): the leading integer of `s`, 0 when there is none (wraps to 32 bits as glibc does). */
export function atoi(s: string): number {
  const r = strtoll(s, 0, 10);
  return Number(BigInt.asIntN(32, r.value));
}

/** OVS str_to_u8(): `invalid NAME "STR"` unless 0..255. */
export function strToU8(s: string, name: string): number {
  const v = strToInt(s);
  if (v === undefined || v < 0 || v > 255) throw new FlowTextError(`invalid ${name} "${s}"`);
  return v;
}

/** OVS str_to_u16(): `invalid NAME "STR"` unless 0..65535. */
export function strToU16(s: string, name: string): number {
  const v = strToInt(s);
  if (v === undefined || v < 0 || v > 65535) throw new FlowTextError(`invalid ${name} "${s}"`);
  return v;
}

/** OVS str_to_u32(). */
export function strToU32(s: string): number {
  if (s === '') throw new FlowTextError('missing required numeric argument');
  const r = strtoull(s, 0, 0);
  if (r.errno || r.end === 0 || r.end !== s.length || r.value > 0xffffffffn) {
    throw new FlowTextError(`invalid numeric format ${s}`);
  }
  return Number(r.value);
}

/** OVS str_to_u64() (negative numbers wrap, as strtoull does). */
export function strToU64(s: string): bigint {
  if (s === '') throw new FlowTextError('missing required numeric argument');
  const r = strtoull(s, 0, 0);
  if (r.errno || r.end !== s.length) throw new FlowTextError(`invalid numeric format ${s}`);
  return r.value;
}

/** Result of OVS's parse_int_string(). */
export interface IntString {
  readonly value: bigint;
  readonly end: number;
  readonly err: '' | 'EINVAL' | 'ERANGE';
}

/**
 * OVS parse_int_string(): an integer of at most `width` bytes starting at `start`. "0x..." is read as hex
 * of any length (white space between hex digits is skipped, leading zeros do not count); anything else
 * goes through strtoull() with base 0 and must fit in `width` bytes.
 */
export function parseIntString(s: string, width: number, start = 0): IntString {
  if (s.startsWith('0x', start) || s.startsWith('0X', start)) {
    let i = start + 2;
    let value = 0n;
    let len = 0;
    for (;;) {
      while (i < s.length && isSpace(s[i])) i++;
      const d = digitValue(s[i]);
      if (d >= 16) break;
      if (d !== 0 || len) {
        if (Math.ceil((len + 1) / 2) > width) return { value: 0n, end: i, err: 'ERANGE' };
        len++;
        value = value * 16n + BigInt(d);
      }
      i++;
    }
    return { value, end: i, err: '' };
  }
  const r = strtoull(s, start, 0);
  if (r.errno) return { value: 0n, end: r.end, err: 'ERANGE' };
  if (r.end === start) return { value: 0n, end: start, err: 'EINVAL' };
  if (width < 8 && r.value >> BigInt(width * 8) !== 0n) return { value: r.value, end: r.end, err: 'ERANGE' };
  return { value: r.value, end: r.end, err: '' };
}

/** OVS ds_put_hex(): "0x" and the value's hex digits without leading zeros, or "0". */
export function hexText(value: bigint | number): string {
  const v = BigInt(value);
  return v === 0n ? '0' : `0x${v.toString(16)}`;
}

/** Bytes as two-digit hex joined by `sep` (OVS ds_put_hex_with_delimiter). */
export function hexBytes(bytes: Uint8Array, sep: string): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(sep);
}

/**
 * OVS ofpbuf_put_hex(): pairs of hex digits, skipping white space and '.', until something else.
 * Returns the bytes and the index where parsing stopped (text.length when all was hex).
 */
export function parseHexBytes(text: string): { bytes: Uint8Array; end: number } {
  const out: number[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && ' .\t\r\n'.includes(text[i])) i++;
    const hi = digitValue(text[i]);
    const lo = digitValue(text[i + 1]);
    if (hi >= 16 || lo >= 16) return { bytes: Uint8Array.from(out), end: i };
    out.push(hi * 16 + lo);
    i += 2;
  }
}

// One scanf conversion as OVS's ovs_scan() does it (strtoull after white space), truncated to `bits`.
function scanUnsigned(
  s: string,
  start: number,
  base: number,
  bits: number,
): { value: number; end: number } | null {
  const r = strtoull(s, start, base);
  if (r.end === start) return null;
  return { value: Number(r.value & ((1n << BigInt(bits)) - 1n)), end: r.end };
}

/**
 * OVS ETH_ADDR_SCAN_FMT ("%hhx:%hhx:...") at `start`: the MAC as a 48-bit bigint and the end index,
 * or null. Each byte is read like scanf's %hhx (any number of hex digits, truncated to 8 bits).
 */
export function scanMac(s: string, start = 0): { mac: bigint; end: number } | null {
  let i = start;
  let mac = 0n;
  for (let k = 0; k < 6; k++) {
    if (k > 0) {
      if (s[i] !== ':') return null;
      i++;
    }
    const b = scanUnsigned(s, i, 16, 8);
    if (!b) return null;
    mac = (mac << 8n) | BigInt(b.value);
    i = b.end;
  }
  return { mac, end: i };
}

/** OVS str_to_mac(): `invalid mac address STR` unless `s` starts with a MAC. */
export function strToMac(s: string): bigint {
  const m = scanMac(s);
  if (!m) throw new FlowTextError(`invalid mac address ${s}`);
  return m.mac;
}

/** OVS IP_SCAN_FMT ("%hhu.%hhu.%hhu.%hhu") at `start`: the address and end index, or null. */
export function scanIpv4(s: string, start = 0): { ip: number; end: number } | null {
  let i = start;
  let ip = 0;
  for (let k = 0; k < 4; k++) {
    if (k > 0) {
      if (s[i] !== '.') return null;
      i++;
    }
    const b = scanUnsigned(s, i, 10, 8);
    if (!b) return null;
    ip = ip * 256 + b.value;
    i = b.end;
  }
  return { ip, end: i };
}

/** An IPv4 prefix length as a netmask. */
export function prefixMask32(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** The prefix length of a CIDR netmask, or -1 when `mask` is not one. */
export function cidrBits32(mask: number): number {
  const inv = ~mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return -1;
  return Math.clz32(inv);
}

/** OVS ip_parse_masked(): "IP", "IP/MASK" or "IP/PREFIX". */
export function parseIpv4Masked(s: string): { ip: number; mask: number } {
  const ip = scanIpv4(s);
  if (ip) {
    if (s[ip.end] === '/') {
      const m = scanIpv4(s, ip.end + 1);
      if (m) {
        if (m.end !== s.length) throw new FlowTextError(`${s}: invalid IP address`);
        return { ip: ip.ip, mask: m.ip };
      }
      const p = strtoll(s, ip.end + 1, 10);
      if (p.end !== ip.end + 1) {
        if (p.value < 0n || p.value > 32n) {
          throw new FlowTextError(`${s}: IPv4 network prefix bits not between 0 and 32, inclusive`);
        }
        if (p.end !== s.length) throw new FlowTextError(`${s}: invalid IP address`);
        return { ip: ip.ip, mask: prefixMask32(Number(p.value)) };
      }
    }
    if (ip.end !== s.length) throw new FlowTextError(`${s}: invalid IP address`);
    return { ip: ip.ip, mask: 0xffffffff };
  }
  throw new FlowTextError(`${s}: invalid IP address`);
}

/** OVS str_to_ip(): a strict dotted quad (inet_pton). */
export function strToIp(s: string): number {
  const ip = parseIpv4(s);
  if (ip === undefined) throw new FlowTextError(`${s}: could not convert to IP address`);
  return ip;
}

/** "a.b.c.d", or "a.b.c.d/N" / "a.b.c.d/m.m.m.m" for a partial mask (OVS ip_format_masked). */
export function formatIpv4Masked(ip: number, mask: number): string {
  if (mask >>> 0 === 0xffffffff) return formatIpv4(ip >>> 0);
  const bits = cidrBits32(mask >>> 0);
  return formatIpv4(ip >>> 0) + (bits >= 0 ? `/${bits}` : `/${formatIpv4(mask >>> 0)}`);
}

/** A 128-bit bigint as the four big-endian words of an IPv6 address. */
export function ipv6Words(v: bigint): number[] {
  return [
    Number((v >> 96n) & 0xffffffffn),
    Number((v >> 64n) & 0xffffffffn),
    Number((v >> 32n) & 0xffffffffn),
    Number(v & 0xffffffffn),
  ];
}

/** inet_ntop() text of a 128-bit address. */
export function formatIpv6(v: bigint): string {
  return formatIpv6Words(ipv6Words(v), 0);
}

const U128_MAX = (1n << 128n) - 1n;

/** A prefix length as a 128-bit netmask. */
export function prefixMask128(bits: number): bigint {
  return bits === 0 ? 0n : (U128_MAX >> BigInt(128 - bits)) << BigInt(128 - bits);
}

/** The prefix length of a 128-bit CIDR mask, or -1. */
export function cidrBits128(mask: bigint): number {
  const inv = ~mask & U128_MAX;
  if ((inv & (inv + 1n)) !== 0n) return -1;
  return inv === 0n ? 128 : 128 - inv.toString(2).length;
}

function ipv6Bigint(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]{1,46}$/.test(text)) return undefined;
  const bytes = parseIpv6(text);
  if (!bytes) return undefined;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** OVS ipv6_parse_masked(): "ADDR", "ADDR/PREFIX" or "ADDR/MASK". */
export function parseIpv6Masked(s: string): { ip: bigint; mask: bigint } {
  const m = /^([0-9a-fA-F:.]{1,46})(.*)$/.exec(s.replace(/^[ \t\r\n\v\f]+/, ''));
  const ip = m ? ipv6Bigint(m[1]) : undefined;
  if (m === null || ip === undefined) throw new FlowTextError(`${s}: invalid IPv6 address`);
  const rest = m[2];
  if (rest === '') return { ip, mask: U128_MAX };
  if (rest[0] === '/') {
    const p = strtoll(rest, 1, 10);
    if (p.end !== 1) {
      if (p.value < 0n || p.value > 128n) {
        throw new FlowTextError(`${s}: IPv6 network prefix bits not between 0 and 128, inclusive`);
      }
      if (p.end !== rest.length) throw new FlowTextError(`${s}: invalid IPv6 address`);
      return { ip, mask: prefixMask128(Number(p.value)) };
    }
    const mm = /^\/([0-9a-fA-F:.]{1,46})(.*)$/.exec(rest);
    if (mm) {
      const mask = ipv6Bigint(mm[1]);
      if (mask === undefined) throw new FlowTextError(`${s}: Invalid IPv6 mask`);
      if (mm[2] !== '') throw new FlowTextError(`${s}: invalid IPv6 address`);
      return { ip, mask };
    }
  }
  throw new FlowTextError(`${s}: invalid IPv6 address`);
}

/** inet_ntop() text with "/N" or "/MASK" for a partial mask (OVS ipv6_format_masked). */
export function formatIpv6Masked(ip: bigint, mask: bigint): string {
  if (mask === U128_MAX) return formatIpv6(ip);
  const bits = cidrBits128(mask);
  return formatIpv6(ip) + (bits >= 0 ? `/${bits}` : `/${formatIpv6(mask)}`);
}

/** "aa:bb:cc:dd:ee:ff" for a 48-bit bigint. */
export function formatMac48(mac: bigint): string {
  let out = '';
  for (let i = 5; i >= 0; i--) {
    out += Number((mac >> BigInt(i * 8)) & 0xffn)
      .toString(16)
      .padStart(2, '0');
    if (i) out += ':';
  }
  return out;
}

/** The MAC, with "/MASK" unless the mask is exact (OVS eth_format_masked). */
export function formatMacMasked(mac: bigint, mask: bigint): string {
  return mask === 0xffffffffffffn ? formatMac48(mac) : `${formatMac48(mac)}/${formatMac48(mask)}`;
}
