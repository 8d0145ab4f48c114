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
