// The one error type of the packet library's slow-path parsers (the *Repr parse functions). The views and
// the flow-key extractor never throw; a Repr parser throws only a PacketError, with a stable code.

/** Why a Repr parser refused some bytes. */
export type PacketErrorCode = 'TRUNCATED' | 'MALFORMED' | 'UNSUPPORTED';

/** A header that cannot be turned into a representation (too short, inconsistent, or of an unhandled kind). */
export class PacketError extends Error {
  /** Stable machine-readable reason. */
  readonly code: PacketErrorCode;

  constructor(code: PacketErrorCode, message: string) {
    super(message);
    this.name = 'PacketError';
    this.code = code;
  }
}

/** Throws TRUNCATED unless `have` bytes are at least `need` (names the protocol in the message). */
export function needBytes(what: string, have: number, need: number): void {
  if (have < need) throw new PacketError('TRUNCATED', `${what}: need ${need} bytes, have ${have}`);
}
