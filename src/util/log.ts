// Logging for the daemons, after Open vSwitch's vlog: a logger per module, a level for the console
// (stderr) and one for the log file, and OVS's line layout — `2026-11-23T23:00:00.123Z|00042|module|INFO|msg`
// in the file, whole seconds on the console. Lines are written synchronously, so the last words before a
// crash are on disk. (Chosen over pino: OVS's text lines, not JSON to re-parse, and ~9 MB less per daemon.)
import { openSync, writeSync } from 'node:fs';
import type { Logger as RpcLogger } from '../jsonrpc/session.js';

/** Log levels, most verbose first. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<Level | 'silent', number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };
const NAME: Record<Level, string> = { debug: 'DBG', info: 'INFO', warn: 'WARN', error: 'ERR' };

/** Where log lines go. */
export interface LogOptions {
  /** Append lines to this file. */
  readonly file?: string;
  /** Lowest level written to stderr ('warn' by default, like OVS's console); 'silent' for none. */
  readonly consoleLevel?: Level | 'silent';
  /** Lowest level written to the file ('info' by default). */
  readonly fileLevel?: Level;
}

/** The destinations shared by every module logger of a process. */
class Sink {
  private seq = 0;
  private readonly fd: number | undefined;

  constructor(readonly opts: LogOptions) {
    this.fd = opts.file === undefined ? undefined : openSync(opts.file, 'a');
  }

  write(level: Level, module: string, msg: string): void {
    const toConsole = RANK[level] >= RANK[this.opts.consoleLevel ?? 'warn'];
    const toFile = this.fd !== undefined && RANK[level] >= RANK[this.opts.fileLevel ?? 'info'];
    if (!toConsole && !toFile) return;
    const n = String(++this.seq).padStart(5, '0');
    const time = new Date().toISOString();
    const rest = `|${n}|${module}|${NAME[level]}|${msg}\n`;
    if (toFile) writeSync(this.fd as number, `${time}${rest}`);
    if (toConsole) process.stderr.write(`${time.slice(0, 19)}Z${rest}`);
  }
}

/** A module's logger. `child({module})` gives another module's logger on the same destinations. */
export class Logger {
  constructor(
    private readonly sink: Sink,
    /** The module name printed in each line. */
    readonly module: string,
  ) {}

  /** The logger of another module. */
  child(bindings: { module: string }): Logger {
    return new Logger(this.sink, bindings.module);
  }

  debug(msg: string): void {
    this.sink.write('debug', this.module, msg);
  }

  info(msg: string): void {
    this.sink.write('info', this.module, msg);
  }

  warn(msg: string): void {
    this.sink.write('warn', this.module, msg);
  }

  error(msg: string): void {
    this.sink.write('error', this.module, msg);
  }
}

/** Creates the root logger of a program (module name `main` until a child is taken). */
export function createLogger(opts: LogOptions = {}, module = 'main'): Logger {
  return new Logger(new Sink(opts), module);
}

/** The logger interface of the protocol layers, over a module logger. */
export function rpcLogger(log: Logger): RpcLogger {
  return {
    warn: (m) => log.warn(m),
    info: (m) => log.info(m),
    debug: (m) => log.debug(m),
  };
}
