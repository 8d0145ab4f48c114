// Splits a byte stream into JSON texts. OVSDB and unixctl peers write JSON objects back to back with no
// delimiter, so the splitter scans bytes (nesting depth, strings, escapes) and parses only whole values.
// Every byte of a UTF-8 multibyte character is >= 0x80, so scanning bytes never misreads one as syntax.
import type { Json } from './json.js';

/** Default limit on the size of one JSON text (64 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Deepest nesting accepted, as Open vSwitch's JSON parser has it. */
export const MAX_NESTING_DEPTH = 1000;

/** Why a byte stream could not be split: `code` is stable, `message` says where and what. */
export class JsonStreamError extends Error {
  constructor(
    /** 'syntax error' (not JSON, or not an object/array at top level) or 'message too long'. */
    readonly code: 'syntax error' | 'message too long',
    message: string,
  ) {
    super(message);
    this.name = 'JsonStreamError';
  }
}

/** What one `feed` produced: the complete values, then the error that stopped the stream, if any. */
export interface SplitResult {
  values: Json[];
  error: JsonStreamError | null;
}

/** Options for a `JsonSplitter`. */
export interface JsonSplitterOptions {
  /** Largest JSON text accepted, in bytes; a longer one is an error instead of unbounded buffering. */
  maxMessageBytes?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function describeByte(byte: number): string {
  const hex = `0x${byte.toString(16).padStart(2, '0')}`;
  return byte >= 0x21 && byte < 0x7f ? `'${String.fromCharCode(byte)}' (${hex})` : hex;
}

/** Incremental splitter: feed it chunks as they arrive, get back every JSON text completed so far. */
export class JsonSplitter {
  private readonly maxBytes: number;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  /** Bytes of the value in progress that came in earlier chunks. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes consumed over the stream's life, for error positions. */
  private offset = 0;
  private failure: JsonStreamError | null = null;

  constructor(options: JsonSplitterOptions = {}) {
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** True when part of a value has been received but not its end. */
  get hasPartialValue(): boolean {
    return this.depth > 0;
  }

  /**
   * Scans `chunk` (kept by reference until its value completes: do not reuse it, as Node's streams do not).
   * After an error the splitter stays failed and every later feed returns that error.
   */
  feed(chunk: Uint8Array): SplitResult {
    const values: Json[] = [];
    if (this.failure) return { values, error: this.failure };
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.depth === 0) {
        if (isWhitespace(byte)) continue;
        if (byte !== OPEN_BRACE && byte !== OPEN_BRACKET) {
          return { values, error: this.fail('syntax error', this.topLevelMessage(byte, i)) };
        }
        start = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        i = this.skipString(chunk, i) - 1;
        continue;
      }
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        if (++this.depth > MAX_NESTING_DEPTH) {
          const where = `byte ${this.offset + i}`;
          const msg = `${where}: input exceeds maximum nesting depth ${MAX_NESTING_DEPTH}`;
          return { values, error: this.fail('syntax error', msg) };
        }
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        if (--this.depth === 0) {
          const result = this.complete(chunk.subarray(start, i + 1));
          if (result instanceof JsonStreamError) return { values, error: result };
          values.push(result);
          start = -1;
        }
      }
    }
    const error = start >= 0 ? this.keep(chunk.subarray(start)) : null;
    this.offset += chunk.length;
    return { values, error };
  }

  /** Scans string content from `i`; returns the index after the closing quote, or the chunk's length. */
  private skipString(chunk: Uint8Array, i: number): number {
    if (this.escaped) {
      this.escaped = false;
      i++;
    }
    for (; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === BACKSLASH) {
        // Skip the escaped byte; it may be in the next chunk.
        if (++i === chunk.length) this.escaped = true;
      } else if (byte === QUOTE) {
        this.inString = false;
        return i + 1;
      }
    }
    return chunk.length;
  }

  private topLevelMessage(byte: number, i: number): string {
    return `byte ${this.offset + i}: syntax error at top level: ${describeByte(byte)} where a JSON object or array must begin`;
  }

  private tooLong(): JsonStreamError {
    return this.fail('message too long', `JSON message exceeds the maximum of ${this.maxBytes} bytes`);
  }

  /** Holds the unfinished tail of a chunk until the value's end arrives. */
  private keep(tail: Uint8Array): JsonStreamError | null {
    if (this.pendingBytes + tail.length > this.maxBytes) return this.tooLong();
    this.pending.push(Buffer.from(tail.buffer, tail.byteOffset, tail.length));
    this.pendingBytes += tail.length;
    return null;
  }

  /** Parses one complete value whose last part is `last`. */
  private complete(last: Uint8Array): Json | JsonStreamError {
    if (this.pendingBytes + last.length > this.maxBytes) return this.tooLong();
    const bytes = this.pending.length === 0 ? last : Buffer.concat([...this.pending, last]);
    this.pending = [];
    this.pendingBytes = 0;
    try {
      return JSON.parse(this.decoder.decode(bytes)) as Json;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return this.fail('syntax error', `invalid JSON: ${why}`);
    }
  }

  private fail(code: JsonStreamError['code'], message: string): JsonStreamError {
    this.failure = new JsonStreamError(code, message);
    this.pending = [];
    this.pendingBytes = 0;
    return this.failure;
  }
}
