// A tunnel Interface's options (gre, vxlan, geneve) read the way Open vSwitch's netdev-vport reads them:
// remote_ip and local_ip (an address or `flow`), key / in_key / out_key (a number or `flow`), dst_port,
// tos (a DSCP value or `inherit`), ttl (or `inherit`), df_default and csum. Problems are worded as OVS
// words them; the fatal ones become the Interface's error.
import { formatIpv4, parseIpv4 } from '../packet/ip-addr.js';
import type { TunnelKind } from '../packet/tunnel-headers.js';
import { GENEVE_PORT, VXLAN_PORT } from '../packet/tunnel-headers.js';
import { NetdevError } from './netdev.js';

export type { TunnelKind } from '../packet/tunnel-headers.js';

/** The outer TTL when none is configured (OVS's DEFAULT_TTL). */
export const DEFAULT_TUNNEL_TTL = 64;

/** A key: fixed (a 64-bit tun_id, `present` false when none was configured) or taken from the flow. */
export type TunnelKey = { flow: false; present: boolean; value: bigint } | { flow: true };

/** One tunnel port's configuration. */
export interface TunnelConfig {
  readonly kind: TunnelKind;
  /** Remote underlay IPv4 address as an unsigned 32-bit number, or 'flow' (set by the pipeline). */
  readonly remote: number | 'flow';
  /** Local address: null (the routing's choice), a fixed IPv4 address, or 'flow'. */
  readonly local: number | 'flow' | null;
  readonly inKey: TunnelKey;
  readonly outKey: TunnelKey;
  /** UDP destination port (0 for GRE). */
  readonly dstPort: number;
  /** Outer DSCP/ToS byte, or 'inherit' (copied from the inner IP header). */
  readonly tos: number | 'inherit';
  /** Outer TTL, or 'inherit'. */
  readonly ttl: number | 'inherit';
  /** df_default: set the outer Don't Fragment bit (default true). */
  readonly df: boolean;
  /** csum: outer checksum (GRE checksum, UDP checksum for VXLAN/Geneve); null when not configured (off). */
  readonly csum: boolean | null;
  /** Non-fatal problems, as OVS logs them. */
  readonly warnings: readonly string[];
}

/** Whether `type` is a tunnel type this switch provides. */
export function isTunnelType(type: string): type is TunnelKind {
  return type === 'gre' || type === 'vxlan' || type === 'geneve';
}

/** strtoull(s, NULL, 0): leading hex (0x), octal (0) or decimal digits; 0 when there are none. */
function parseKeyValue(text: string): bigint {
  const t = text.trim();
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(t);
  if (m === null) return 0n;
  const digits = m[1];
  const value = /^0[xX]/.test(digits)
    ? BigInt(digits)
    : digits.length > 1 && digits.startsWith('0')
      ? BigInt(`0o${digits.slice(1)}`)
      : BigInt(digits);
  return value & 0xffff_ffff_ffff_ffffn;
}

function parseKey(options: ReadonlyMap<string, string>, name: 'in_key' | 'out_key'): TunnelKey {
  const text = options.get(name) ?? options.get('key');
  if (text === undefined) return { flow: false, present: false, value: 0n };
  if (text === 'flow') return { flow: true };
  return { flow: false, present: true, value: parseKeyValue(text) };
}

function isMulticast(addr: number): boolean {
  return addr >>> 28 === 0xe;
}

const KNOWN = new Set(['remote_ip', 'local_ip', 'tos', 'ttl', 'df_default', 'key', 'in_key', 'out_key']);

/** Reads a tunnel Interface's options; throws NetdevError (OVS's text) when the port cannot work. */
export function parseTunnelConfig(
  kind: TunnelKind,
  name: string,
  options: ReadonlyMap<string, string>,
): TunnelConfig {
  const warnings: string[] = [];
  let remote: number | 'flow' | undefined;
  let local: number | 'flow' | null = null;
  let tos: number | 'inherit' = 0;
  let ttl: number | 'inherit' = 0;
  let df = true;
  let csum: boolean | null = null;
  let dstPort = kind === 'vxlan' ? VXLAN_PORT : kind === 'geneve' ? GENEVE_PORT : 0;
  for (const [key, value] of options) {
    if (key === 'remote_ip' || key === 'local_ip') {
      if (value === 'flow') {
        if (key === 'remote_ip') remote = 'flow';
        else local = 'flow';
        continue;
      }
      const addr = parseIpv4(value);
      if (addr === undefined) {
        warnings.push(`${name}: bad ${kind} '${key}'`);
        continue;
      }
      if (key === 'remote_ip') {
        if (isMulticast(addr))
          throw new NetdevError('EINVAL', `${name}: multicast remote_ip=${value} not allowed`);
        remote = addr;
      } else local = addr;
    } else if (key === 'tos') {
      if (value === 'inherit') tos = 'inherit';
      else if (/^(0[xX][0-9a-fA-F]+|\d+)$/.test(value) && (Number(value) & ~0xfc) === 0) tos = Number(value);
      else warnings.push(`${name}: invalid TOS ${value}`);
    } else if (key === 'ttl') {
      ttl = value === 'inherit' ? 'inherit' : Number.parseInt(value, 10) || 0;
    } else if (key === 'dst_port' && kind !== 'gre') {
      dstPort = (Number.parseInt(value, 10) || 0) & 0xffff;
    } else if (key === 'csum') {
      if (value === 'true') csum = true;
      else if (value === 'false') csum = false;
    } else if (key === 'df_default') {
      if (value === 'false') df = false;
    } else if (!KNOWN.has(key)) {
      warnings.push(`${name}: unknown ${kind} argument '${key}'`);
    }
  }
  if (remote === undefined) {
    throw new NetdevError('EINVAL', `${name}: ${kind} type requires valid 'remote_ip' argument`);
  }
  if (local === 'flow' && remote !== 'flow') {
    throw new NetdevError('EINVAL', `${name}: ${kind} type requires 'remote_ip=flow' with 'local_ip=flow'`);
  }
  return {
    kind,
    remote,
    local,
    inKey: parseKey(options, 'in_key'),
    outKey: parseKey(options, 'out_key'),
    dstPort,
    tos,
    ttl: ttl === 0 ? DEFAULT_TUNNEL_TTL : ttl,
    df,
    csum,
    warnings,
  };
}

function keyText(k: TunnelKey): string {
  if (k.flow) return 'flow';
  return k.value === 0n ? '0' : `0x${k.value.toString(16)}`;
}

/** One line of `ofproto/list-tunnels`, laid out as Open vSwitch 3.1's tnl_port_format. */
export function formatTunnelPort(dpPort: number, name: string, c: TunnelConfig): string {
  const local = typeof c.local === 'number' ? formatIpv4(c.local) : '::';
  const ends =
    c.remote !== 'flow'
      ? `${local}->${formatIpv4(c.remote)}`
      : c.local !== 'flow'
        ? `${local}->flow`
        : 'flow->flow';
  let line = `port ${dpPort}: ${name} (${c.kind}: ${ends}, key=${keyText(c.inKey)}, legacy_l2, dp port=${dpPort}`;
  const same =
    c.inKey.flow === c.outKey.flow &&
    (c.inKey.flow ||
      c.outKey.flow ||
      (c.inKey.present === c.outKey.present && c.inKey.value === c.outKey.value));
  if (!same) line += `, out_key=${!c.outKey.flow && !c.outKey.present ? 'none' : keyText(c.outKey)}`;
  line += c.ttl === 'inherit' ? ', ttl=inherit' : `, ttl=${c.ttl & 0xff}`;
  if (c.tos === 'inherit') line += ', tos=inherit';
  else if (c.tos !== 0) line += `, tos=0x${c.tos.toString(16)}`;
  if (!c.df) line += ', df=false';
  if (c.csum !== null) line += `, csum=${c.csum}`;
  return `${line})\n`;
}
