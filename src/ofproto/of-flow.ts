// The flow an OpenFlow pipeline sees: the datapath flow key's words (src/packet/flow-key.ts, with K_IN_PORT
// holding the OpenFlow port) followed by the pipeline-only fields — metadata and the sixteen 32-bit
// registers — that never reach the datapath. Matches are (value, mask) pairs over these words; a megaflow
// mask covers only the first KEY_WORDS of them.
import { KEY_WORDS } from '../packet/flow-key.js';

/** OpenFlow metadata (64 bits): high and low words. */
export const F_METADATA_HI = KEY_WORDS;
export const F_METADATA_LO = KEY_WORDS + 1;
/** reg0..reg15 (NXM_NX_REG0..15), one word each; xreg N is reg 2N (high) and 2N+1 (low). */
export const F_REG0 = KEY_WORDS + 2;
export const F_REGS = 16;
/** Words in a pipeline flow. */
export const FLOW_WORDS = F_REG0 + F_REGS;

/** A new zeroed pipeline flow. */
export function newOfFlow(): Uint32Array {
  return new Uint32Array(FLOW_WORDS);
}

/**
 * Flows per slab of a FlowWordsPool: one ArrayBuffer of about 32 KiB serves this many. Small slabs are
 * freed sooner when a few of their views live on.
 */
const SLAB_FLOWS = Math.floor(8192 / FLOW_WORDS);

/**
 * Zeroed FLOW_WORDS views carved from shared slabs. A separate Uint32Array per match costs an ArrayBuffer
 * each (an off-heap allocation and a GC finalizer); loading 100,000 flows makes hundreds of thousands of
 * them. A slab is freed once every view of it is garbage, so short-lived and long-lived words must come
 * from different pools (or the short-lived ones pin the slabs of the long-lived ones).
 */
export class FlowWordsPool {
  private slab = new ArrayBuffer(SLAB_FLOWS * FLOW_WORDS * 4);
  private used = 0;

  alloc(): Uint32Array {
    if (this.used === SLAB_FLOWS) {
      this.slab = new ArrayBuffer(SLAB_FLOWS * FLOW_WORDS * 4);
      this.used = 0;
    }
    // A view made straight on the buffer: subarray() costs three times as much.
    const view = new Uint32Array(this.slab, this.used * FLOW_WORDS * 4, FLOW_WORDS);
    this.used++;
    return view;
  }
}
