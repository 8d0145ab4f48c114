// Hashing a flow for the actions that spread traffic — select groups, multipath, bundle — and choosing
// among weighted buckets with highest-random-weight (OVS's default for select groups and bundle hrw). The
// fields a hash reads are unwildcarded so that every packet of a cached flow would hash alike.
import type { HashFields } from '../openflow/action-text.js';
import {
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IPV6_DST,
  K_IPV6_SRC,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TP,
} from '../packet/flow-key.js';

const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const ALL = 0xffff_ffff;

/** One 32-bit mixing step (murmur3's). */
function mix(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  let y = h ^ x;
  y = (y << 13) | (y >>> 19);
  return (Math.imul(y, 5) + 0xe6546b64) >>> 0;
}

/** murmur3's finalizer. */
function finish(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Order-independent pair (so both directions of a connection hash alike). */
function sym(h: number, a: number, b: number): number {
  return mix(h, (a ^ b) >>> 0);
}

/**
 * Hashes `flow` over `fields` with `basis` (OVS flow_hash_fields), ORing the bits read into `wc`.
 */
export function hashFlow(flow: Uint32Array, fields: HashFields, basis: number, wc: Uint32Array): number {
  let h = basis >>> 0;
  const dlType = flow[K_DL_TYPE] & 0xffff;
  const isIp4 = dlType === ETH_TYPE_IP;
  const isIp6 = dlType === ETH_TYPE_IPV6;
  const proto = flow[K_NW] & 0xff;
  const l4 = (isIp4 || isIp6) && (proto === 6 || proto === 17 || proto === 132);
  const l3 = (): void => {
    wc[K_DL_TYPE] = ALL;
    if (isIp4) {
      wc[K_NW_SRC] = ALL;
      wc[K_NW_DST] = ALL;
      h = sym(h, flow[K_NW_SRC], flow[K_NW_DST]);
    } else if (isIp6) {
      for (let i = 0; i < 4; i++) {
        wc[K_IPV6_SRC + i] = ALL;
        wc[K_IPV6_DST + i] = ALL;
        h = sym(h, flow[K_IPV6_SRC + i], flow[K_IPV6_DST + i]);
      }
    }
  };
  const ports = (): void => {
    wc[K_NW] |= 0xff;
    if (!l4) return;
    wc[K_TP] = ALL;
    h = sym(h, flow[K_TP] >>> 16, flow[K_TP] & 0xffff);
    h = mix(h, proto);
  };
  switch (fields) {
    case 'eth_src':
      wc[K_DL_SRC_HI] |= 0xffff;
      wc[K_DL_SRC_LO] = ALL;
      h = mix(mix(h, flow[K_DL_SRC_HI] & 0xffff), flow[K_DL_SRC_LO]);
      break;
    case 'symmetric_l4':
      wc[K_DL_SRC_HI] |= 0xffff;
      wc[K_DL_SRC_LO] = ALL;
      wc[K_DL_DST_HI] |= 0xffff;
      wc[K_DL_DST_LO] = ALL;
      h = sym(h, flow[K_DL_SRC_LO], flow[K_DL_DST_LO]);
      h = sym(h, flow[K_DL_SRC_HI] & 0xffff, flow[K_DL_DST_HI] & 0xffff);
      h = mix(h, dlType);
      l3();
      ports();
      break;
    case 'symmetric_l3l4':
    case 'symmetric_l3l4+udp':
      l3();
      ports();
      break;
    case 'symmetric_l3':
      l3();
      break;
    case 'nw_src':
      wc[K_DL_TYPE] = ALL;
      if (isIp4) {
        wc[K_NW_SRC] = ALL;
        h = mix(h, flow[K_NW_SRC]);
      } else if (isIp6) {
        for (let i = 0; i < 4; i++) {
          wc[K_IPV6_SRC + i] = ALL;
          h = mix(h, flow[K_IPV6_SRC + i]);
        }
      }
      break;
    case 'nw_dst':
      wc[K_DL_TYPE] = ALL;
      if (isIp4) {
        wc[K_NW_DST] = ALL;
        h = mix(h, flow[K_NW_DST]);
      } else if (isIp6) {
        for (let i = 0; i < 4; i++) {
          wc[K_IPV6_DST + i] = ALL;
          h = mix(h, flow[K_IPV6_DST + i]);
        }
      }
      break;
  }
  return finish(h);
}

/**
 * Highest random weight: the index of the candidate whose score for `hash` is largest (weights scale the
 * score), or -1 when none has a positive weight. Stable: removing one candidate moves only its flows.
 */
export function hrwChoose(hash: number, weights: readonly number[]): number {
  let best = -1;
  let bestScore = -1;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] <= 0) continue;
    const score = (finish(mix(hash, i + 1)) / 0x1_0000_0000) ** (1 / weights[i]);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}
