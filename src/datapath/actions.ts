// Datapath actions: the compiled form that translation (src/ofproto) produces and the datapath executes
// per packet — a Uint32Array of opcodes, each followed by a fixed number of argument words — and their
// text in Open vSwitch's ODP syntax (`dpctl/dump-flows`): `3,push_vlan(vid=10,pcp=0),4`, `drop`,
// `set(ipv4(dst=10.0.0.9)),set(tcp(dst=99)),2` (header rewrites: set-format.ts, executed by set-field.ts).
import { formatSetRun } from './set-format.js';

/** Output to datapath port: [ACT_OUTPUT, port]. */
export const ACT_OUTPUT = 1;
/** Push an 802.1Q/802.1ad tag: [ACT_PUSH_VLAN, tpid << 16 | tci] (tci without the present bit). */
export const ACT_PUSH_VLAN = 2;
/** Pop the outer VLAN tag: [ACT_POP_VLAN]. */
export const ACT_POP_VLAN = 3;
/** Hand the packet to the slow path: [ACT_USERSPACE, reason] (reason: USERSPACE_* below). */
export const ACT_USERSPACE = 4;

/**
 * Set the tunnel metadata an output to a tunnel port uses (OVS's set(tunnel(...))):
 * [ACT_SET_TUNNEL, tun_id high, tun_id low, src, dst, flags] — flags in the K_TUN_FLAGS layout
 * (bit 0 key, bit 1 csum, bit 2 df | tos << 8 | ttl << 16).
 */
export const ACT_SET_TUNNEL = 5;

/**
 * Set the bits `mask` of the packet field held in flow-key word `keyWord` (layout: src/packet/flow-key.ts) to
 * `value` (already masked): [ACT_SET_MASKED, keyWord, value, mask]. Words: K_DL_DST_HI/LO, K_DL_SRC_HI/LO,
 * K_NW_SRC/K_NW_DST (IPv4; ARP spa/tpa), K_NW (TOS bits 8-15 and TTL bits 16-23 — IPv6 traffic class and hop
 * limit; ARP opcode bits 0-7), K_TP (ports; ICMP type << 16 | code), K_IPV6_SRC/DST (+0..3), K_IPV6_LABEL,
 * K_ND_TARGET (+0..3), K_ARP_SHA_HI/LO and K_ARP_THA_HI/LO (ND: SLL and TLL). Others are ignored.
 */
export const ACT_SET_MASKED = 6;

/** ACT_USERSPACE reasons (the low byte of its argument). */
export const USERSPACE_SLOW_PATH_STP = 1;
export const USERSPACE_CONTROLLER = 2;

/** Argument words after each opcode (index = opcode). */
export const ACTION_ARGS: readonly number[] = [0, 1, 1, 0, 1, 5, 3];

/** Builds an action program; used by translation (slow path: allocation is fine here). */
export class ActionsBuilder {
  private readonly words: number[] = [];

  /** Output to a datapath port. */
  output(port: number): this {
    this.words.push(ACT_OUTPUT, port);
    return this;
  }

  /** Pushes a VLAN tag (tpid 0x8100 for 802.1Q). */
  pushVlan(tci: number, tpid = 0x8100): this {
    this.words.push(ACT_PUSH_VLAN, ((tpid << 16) | (tci & 0xefff)) >>> 0);
    return this;
  }

  /** Pops the outer VLAN tag. */
  popVlan(): this {
    this.words.push(ACT_POP_VLAN);
    return this;
  }

  /** Sets the tunnel metadata for the outputs that follow (tunnel ports with remote_ip/key=flow use it). */
  setTunnel(tunId: bigint, src: number, dst: number, flags: number): this {
    this.words.push(
      ACT_SET_TUNNEL,
      Number((tunId >> 32n) & 0xffff_ffffn),
      Number(tunId & 0xffff_ffffn),
      src >>> 0,
      dst >>> 0,
      flags >>> 0,
    );
    return this;
  }

  /** Sets the bits `mask` of the field in flow-key word `keyWord` to `value` (see ACT_SET_MASKED). */
  setMasked(keyWord: number, value: number, mask: number): this {
    this.words.push(ACT_SET_MASKED, keyWord, (value & mask) >>> 0, mask >>> 0);
    return this;
  }

  /** Sends the packet to the slow path. */
  userspace(reason: number): this {
    this.words.push(ACT_USERSPACE, reason);
    return this;
  }

  /** Number of words so far. */
  get length(): number {
    return this.words.length;
  }

  /** The finished program. */
  build(): Uint32Array {
    return Uint32Array.from(this.words);
  }
}

/**
 * ODP text of a userspace action. A controller action's argument carries the OpenFlow packet-in reason in
 * bits 8-15 (OFPR_NO_MATCH 0, OFPR_ACTION 1, OFPR_INVALID_TTL 2, ...) above USERSPACE_CONTROLLER, and
 * ofproto's registration number above that.
 */
function userspaceText(arg: number): string {
  if (arg === USERSPACE_SLOW_PATH_STP) return 'userspace(pid=0,slow_path(stp))';
  if ((arg & 0xff) === USERSPACE_CONTROLLER) {
    const reason = (arg >>> 8) & 0xff;
    return `userspace(pid=0,controller(reason=${reason},dont_send=0,continuation=0,recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535))`;
  }
  return `userspace(pid=0,userdata(${arg}))`;
}

/**
 * ODP text of an action program, as `ovs-appctl dpctl/dump-flows` prints it ("drop" when empty). `key` is the
 * flow's key (flow-key.ts layout): its dl_type and nw_proto name the headers of ACT_SET_MASKED words (tcp, udp,
 * sctp or icmp for K_TP; ipv4 or arp; arp or nd); without it they are guessed (IPv4/IPv6 by the words, tcp).
 */
export function formatActions(actions: Uint32Array, key?: Uint32Array): string {
  const parts: string[] = [];
  for (let i = 0; i < actions.length; i += 1 + ACTION_ARGS[actions[i]]) {
    const arg = actions[i + 1];
    switch (actions[i]) {
      case ACT_SET_MASKED: {
        const next = formatSetRun(actions, i, key, parts);
        i = next - (1 + ACTION_ARGS[ACT_SET_MASKED]);
        break;
      }
      case ACT_OUTPUT:
        parts.push(String(arg));
        break;
      case ACT_PUSH_VLAN: {
        const tpid = arg >>> 16;
        const tci = arg & 0xffff;
        const tp = tpid === 0x8100 ? '' : `tpid=0x${tpid.toString(16)},`;
        parts.push(`push_vlan(${tp}vid=${tci & 0xfff},pcp=${tci >>> 13})`);
        break;
      }
      case ACT_POP_VLAN:
        parts.push('pop_vlan');
        break;
      case ACT_USERSPACE:
        parts.push(userspaceText(arg));
        break;
      case ACT_SET_TUNNEL:
        parts.push(formatSetTunnel(actions, i + 1));
        break;
      default:
        parts.push(`unknown(${actions[i]})`);
    }
  }
  return parts.length === 0 ? 'drop' : parts.join(',');
}

function dotted(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** set(tunnel(...)) in OVS's order: tun_id, src, dst, tos, ttl, flags. */
function formatSetTunnel(a: Uint32Array, at: number): string {
  const id = (BigInt(a[at]) << 32n) | BigInt(a[at + 1]);
  const flags = a[at + 4];
  const parts = [`tun_id=0x${id.toString(16)}`];
  if (a[at + 2] !== 0) parts.push(`src=${dotted(a[at + 2])}`);
  if (a[at + 3] !== 0) parts.push(`dst=${dotted(a[at + 3])}`);
  const tos = (flags >>> 8) & 0xff;
  if (tos !== 0) parts.push(`tos=0x${tos.toString(16)}`);
  parts.push(`ttl=${(flags >>> 16) & 0xff}`);
  const names = [flags & 4 ? 'df' : '', flags & 2 ? 'csum' : '', flags & 1 ? 'key' : ''].filter(
    (n) => n !== '',
  );
  parts.push(`flags(${names.join('|')})`);
  return `set(tunnel(${parts.join(',')}))`;
}
