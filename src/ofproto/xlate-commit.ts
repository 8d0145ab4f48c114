// Committing header rewrites (OVS's commit_odp_actions): OpenFlow actions change the pipeline flow; only
// when the packet leaves (an output, a controller action) do the differences between the flow and the
// packet as the datapath holds it ("base") become datapath set actions. Each word of the flow-key layout
// that a datapath can rewrite is compared field by field; a changed field is set whole (the megaflow
// already holds the bits the translation read or wrote).
import type { ActionsBuilder } from '../datapath/actions.js';
import {
  K_ARP_SHA_HI,
  K_ARP_SHA_LO,
  K_ARP_THA_HI,
  K_ARP_THA_LO,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IPV6_DST,
  K_IPV6_LABEL,
  K_IPV6_SRC,
  K_ND_TARGET,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TP,
} from '../packet/flow-key.js';

/** A rewritable field: the key words it spans and the bits of each (a MAC spans two words). */
interface WordField {
  readonly words: readonly number[];
  readonly masks: readonly number[];
}

function field(word: number, mask: number): WordField {
  return { words: [word], masks: [mask >>> 0] };
}

function mac(hi: number, lo: number): WordField {
  return { words: [hi, lo], masks: [0xffff, 0xffff_ffff] };
}

function addr128(first: number): WordField {
  return { words: [first, first + 1, first + 2, first + 3], masks: [ALL, ALL, ALL, ALL] };
}

const ALL = 0xffff_ffff;

/** The rewritable fields, in the order OVS commits headers: Ethernet, IPv4/IPv6, ARP/ND, L4. */
const FIELDS: readonly WordField[] = [
  mac(K_DL_SRC_HI, K_DL_SRC_LO),
  mac(K_DL_DST_HI, K_DL_DST_LO),
  field(K_NW_SRC, ALL),
  field(K_NW_DST, ALL),
  addr128(K_IPV6_SRC),
  addr128(K_IPV6_DST),
  field(K_IPV6_LABEL, 0xfffff),
  // K_NW: the ARP opcode (bits 0-7; the IP protocol is not rewritable but the executor only applies
  // these bits to ARP frames), DSCP and ECN (the TOS byte, bits 8-15, set apart as OVS does) and the TTL.
  field(K_NW, 0xff),
  field(K_NW, 0xfc00),
  field(K_NW, 0x0300),
  field(K_NW, 0xff_0000),
  mac(K_ARP_SHA_HI, K_ARP_SHA_LO),
  mac(K_ARP_THA_HI, K_ARP_THA_LO),
  addr128(K_ND_TARGET),
  field(K_TP, 0xffff_0000),
  field(K_TP, 0xffff),
];

/** ICMP type and code are always set together (OVS never sets one of them alone). */
const ICMP_TP = field(K_TP, 0x00ff_00ff);
const FIELDS_ICMP: readonly WordField[] = [...FIELDS.filter((f) => f.words[0] !== K_TP), ICMP_TP];

/**
 * Emits set actions for every field where `flow` differs from `base` (the whole field), and updates `base`
 * to match. Returns whether anything was emitted.
 */
export function commitFields(flow: Uint32Array, base: Uint32Array, actions: ActionsBuilder): boolean {
  let any = false;
  const dlType = flow[K_DL_TYPE] & 0xffff;
  const proto = flow[K_NW] & 0xff;
  const icmp = (dlType === 0x0800 && proto === 1) || (dlType === 0x86dd && proto === 58);
  for (const f of icmp ? FIELDS_ICMP : FIELDS) {
    let differs = false;
    for (let i = 0; i < f.words.length; i++) {
      if (((flow[f.words[i]] ^ base[f.words[i]]) & f.masks[i]) !== 0) differs = true;
    }
    if (!differs) continue;
    for (let i = 0; i < f.words.length; i++) {
      const w = f.words[i];
      const m = f.masks[i];
      const value = (flow[w] & m) >>> 0;
      actions.setMasked(w, value, m);
      base[w] = ((base[w] & ~m) | value) >>> 0;
    }
    any = true;
  }
  return any;
}
