// The contract between the datapath (fast path) and ofproto (slow path), Open vSwitch's upcall: a
// packet that misses both caches is translated once; the result says which key bits were consulted
// (the megaflow mask), what to do, and what state it depended on, so that exactly those flows are
// dropped when that state changes.

/** What translation decided for one flow. */
export interface XlateResult {
  /** Datapath actions (src/datapath/actions.ts); empty means drop. */
  readonly actions: Uint32Array;
  /** KEY_WORDS words: 1 bits for every key bit the translation looked at. */
  readonly mask: Uint32Array;
  /** Names of state the decision depended on; `Datapath.invalidate(tag)` removes dependent flows. */
  readonly tags: readonly string[];
  /** Whether the result may be cached (false: every packet of this flow takes the slow path). */
  readonly install: boolean;
  /**
   * Called by the revalidator with the packets and bytes a cached flow carried since the previous call
   * (while it carries traffic, and a last time with `removing` when it is removed): rules' counters
   * follow, and while it lives the learning it did is refreshed.
   */
  readonly onUsed?: (now: number, packets: number, bytes: number, removing: boolean) => void;
}

/** Where the datapath sends misses and userspace actions (implemented by src/ofproto). */
export interface UpcallHandler {
  /** Translates the flow `key` (a miss in both caches); may learn (e.g. the source MAC). */
  translate(key: Uint32Array, now: number): XlateResult;
  /** A packet sent to userspace by ACT_USERSPACE (`reason`), e.g. a BPDU; the bytes are valid only now. */
  userspace(
    reason: number,
    key: Uint32Array,
    buf: Uint8Array,
    offset: number,
    length: number,
    now: number,
  ): void;
}
