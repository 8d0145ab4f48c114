// The conversions the connection manager needs between the wire codec's terms (MatchEntry[], OfAction[],
// Instruction[]) and the switch's text-layer terms (MatchWords, OfpAction[]): those of
// src/openflow/convert.ts, taken as an object so that tests may substitute them.
import type { OfpAction } from '../openflow/action-text.js';
import * as convert from '../openflow/convert.js';
import type { MatchWords } from '../openflow/match-text.js';
import type { Instruction, OfAction } from '../openflow/messages-actions.js';
import type { MatchEntry } from '../openflow/oxm.js';

/** Wire ↔ text-layer conversions; the `FromWire` ones throw OfpError for what the switch cannot take. */
export interface WireConvert {
  /** A wire match as flow words; `strict: false` for OpenFlow 1.0 ofp10_match entries. */
  matchFromWire(entries: readonly MatchEntry[], options?: { readonly strict?: boolean }): MatchWords;
  /** Flow words as wire entries: `version` 0 (or 1.0) the NXM spelling, 1.2+ the OXM one. */
  matchToWire(match: MatchWords, version?: number): MatchEntry[];
  actionsFromWire(actions: readonly OfAction[], version?: number): OfpAction[];
  actionsToWire(
    actions: readonly OfpAction[],
    version: number,
    context?: { readonly match?: MatchWords },
  ): OfAction[];
  instructionsFromWire(instructions: readonly Instruction[], version?: number): OfpAction[];
  instructionsToWire(
    actions: readonly OfpAction[],
    version: number,
    context?: { readonly match?: MatchWords },
  ): Instruction[];
}

/** The real conversions (src/openflow/convert.ts). */
export const WIRE_CONVERT: WireConvert = {
  matchFromWire: convert.matchFromWire,
  matchToWire: convert.matchToWire,
  actionsFromWire: convert.actionsFromWire,
  actionsToWire: convert.actionsToWire,
  instructionsFromWire: convert.instructionsFromWire,
  instructionsToWire: convert.instructionsToWire,
};
