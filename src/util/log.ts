// Logging for the daemons: pino loggers (one child per module), written in Open vSwitch's log line
// layout — `2026-11-23T23:00:00.123Z|00042|module|INFO|message` — to a log file and/or stderr.
import { createWriteStream, type WriteStream } from 'node:fs';
import pino from 'pino';
import type { Logger as RpcLogger } from '../jsonrpc/session.js';

/** A module logger: pino's, with the methods the protocol layers take. */
export type Logger = pino.Logger;

const LEVELS: Record<number, string> = {
  10: 'DBG',
  20: 'DBG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERR',
  60: 'EMER',
};

/** Where log lines go. */
export interface LogOptions {
  /** Append lines to this file (at info level and above). */
  readonly file?: string;
  /** Also write lines at this level and above to stderr ('warn' by default, like OVS's console). */
  readonly consoleLevel?: pino.Level | 'silent';
  /** Lowest level written to the file. */
  readonly fileLevel?: pino.Level;
}

function ovsLine(seq: number, line: string): string {
  const o = JSON.parse(line) as { time: number; level: number; module?: string; msg?: string };
  const n = String(seq).padStart(5, '0');
  return `${new Date(o.time).toISOString()}|${n}|${o.module ?? 'main'}|${LEVELS[o.level] ?? 'INFO'}|${o.msg ?? ''}\n`;
}

/** Creates the root logger of a daemon. */
export function createLogger(opts: LogOptions = {}): Logger {
  let seq = 0;
  const streams: pino.StreamEntry[] = [];
  let file: WriteStream | undefined;
  if (opts.file !== undefined) {
    file = createWriteStream(opts.file, { flags: 'a' });
    const out = file;
    streams.push({
      level: opts.fileLevel ?? 'info',
      stream: { write: (l: string) => out.write(ovsLine(++seq, l)) },
    });
  }
  const consoleLevel = opts.consoleLevel ?? 'warn';
  if (consoleLevel !== 'silent') {
    streams.push({
      level: consoleLevel,
      stream: { write: (l: string) => process.stderr.write(ovsLine(++seq, l)) },
    });
  }
  if (streams.length === 0) return pino({ level: 'silent' });
  const level = streams.map((s) => pino.levels.values[s.level ?? 'info']).reduce((a, b) => Math.min(a, b));
  return pino({ level: pino.levels.labels[level], base: null }, pino.multistream(streams));
}

/** The logger interface of the protocol layers, over a module's pino logger. */
export function rpcLogger(log: Logger): RpcLogger {
  return {
    warn: (m) => log.warn(m),
    info: (m) => log.info(m),
    debug: (m) => log.debug(m),
  };
}
