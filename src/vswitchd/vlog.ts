// vswitchd's logging after Open vSwitch's vlog: named modules, each with a level per destination (console,
// syslog, file), changed at run time by `vlog/set` and shown by `vlog/list` in OVS's layout. Lines have
// OVS's form, `2026-11-24T02:00:07.123Z|00042|bridge|INFO|message` (whole seconds on the console). There is
// no syslog here: its level is kept and shown so that scripts setting it keep working.
// (util/log.ts has fixed levels per process; this adds the per-module table vlog/set needs.)
import { closeSync, openSync, writeSync } from 'node:fs';

/** vlog levels, least verbose first. */
export const VLOG_LEVELS = ['off', 'emer', 'err', 'warn', 'info', 'dbg'] as const;
/** One vlog level. */
export type VlogLevel = (typeof VLOG_LEVELS)[number];
/** vlog destinations. */
export const VLOG_DESTINATIONS = ['console', 'syslog', 'file'] as const;
/** One vlog destination. */
export type VlogDestination = (typeof VLOG_DESTINATIONS)[number];

/** A vlog/set (or -v) specification that does not parse; `message` is OVS's text. */
export class VlogSpecError extends Error {
  /** Stable code. */
  readonly code = 'invalid vlog spec';
}

/** The modules vswitchd logs from (vlog/list shows them all). */
export const VSWITCHD_MODULES = [
  'bridge',
  'connmgr',
  'coverage',
  'dpif_netdev',
  'jsonrpc',
  'memory',
  'netdev',
  'netdev_dummy',
  'netdev_vport',
  'ofproto',
  'ovsdb_idl',
  'reconnect',
  'unixctl',
  'vlog',
  'vswitchd',
] as const;

/** A module's logger; also fits the {warn, info, debug} Logger of the protocol layers. */
export interface ModuleLog {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

type Levels = Record<VlogDestination, VlogLevel>;

const RANK: Record<VlogLevel, number> = { off: 0, emer: 1, err: 2, warn: 3, info: 4, dbg: 5 };
const SHOWN: Record<VlogLevel, string> = {
  off: 'OFF',
  emer: 'EMER',
  err: 'ERR',
  warn: 'WARN',
  info: 'INFO',
  dbg: 'DBG',
};

/** Options of a Vlog. */
export interface VlogOptions {
  /** Log file to append to (none: the file destination writes nothing). */
  readonly file?: string;
  /** Initial console level of every module (default 'info', OVS's; 'off' for a detached daemon). */
  readonly console?: VlogLevel;
  /** Where console lines go (default stderr). */
  readonly consoleWrite?: (line: string) => void;
}

/** One process's vlog: module levels, the log file, the line counter. */
export class Vlog {
  private readonly levels = new Map<string, Levels>();
  private seq = 0;
  private fd: number | undefined;
  private readonly consoleWrite: (line: string) => void;

  constructor(modules: readonly string[] = VSWITCHD_MODULES, options: VlogOptions = {}) {
    const console = options.console ?? 'info';
    for (const m of modules) this.levels.set(m, { console, syslog: 'info', file: 'info' });
    this.fd = options.file === undefined ? undefined : openSync(options.file, 'a');
    this.consoleWrite = options.consoleWrite ?? ((line) => process.stderr.write(line));
  }

  /** The logger of `module` (which must be one of the modules given to the constructor). */
  module(module: string): ModuleLog {
    if (!this.levels.has(module)) this.levels.set(module, { console: 'info', syslog: 'info', file: 'info' });
    return {
      error: (msg) => this.write(module, 'err', msg),
      warn: (msg) => this.write(module, 'warn', msg),
      info: (msg) => this.write(module, 'info', msg),
      debug: (msg) => this.write(module, 'dbg', msg),
    };
  }

  /** Applies one vlog/set word list, e.g. "bridge:file:dbg", "console:off", "dbg"; throws VlogSpecError. */
  set(spec: string): void {
    const words = spec.split(/[ ,:\t]+/).filter((w) => w !== '');
    if (words[0] !== undefined && /^(pattern|facility)$/i.test(words[0])) {
      this.setSpecial(words);
      return;
    }
    let module: string | undefined;
    let level: VlogLevel | undefined;
    let destination: VlogDestination | undefined;
    for (const word of words) {
      const w = word.toLowerCase();
      if (w === 'any') continue;
      if (isDestination(w)) {
        if (destination !== undefined) throw new VlogSpecError('cannot specify multiple destinations');
        destination = w;
      } else if (isLevel(w)) {
        if (level !== undefined) throw new VlogSpecError('cannot specify multiple levels');
        level = w;
      } else if (this.levels.has(word)) {
        if (module !== undefined) throw new VlogSpecError('cannot specify multiple modules');
        module = word;
      } else {
        throw new VlogSpecError(`no destination, level, or module "${word}"`);
      }
    }
    this.setLevels(module, destination, level ?? 'dbg');
  }

  /** Sets `level` for one module (or all) at one destination (or all). */
  setLevels(module: string | undefined, destination: VlogDestination | undefined, level: VlogLevel): void {
    const modules = module === undefined ? [...this.levels.keys()] : [module];
    const dests = destination === undefined ? VLOG_DESTINATIONS : [destination];
    for (const m of modules) {
      const l = this.levels.get(m);
      if (l !== undefined) for (const d of dests) l[d] = level;
    }
  }

  /** `vlog/list`: the header and one line per module, sorted. */
  list(): string {
    const lines = [...this.levels].map(
      ([m, l]) =>
        `${m.padEnd(16)}  ${SHOWN[l.console].padStart(4)}       ${SHOWN[l.syslog].padStart(4)}       ${SHOWN[l.file].padStart(4)}\n`,
    );
    lines.sort();
    return `                 console    syslog    file\n                 -------    ------    ------\n${lines.join('')}`;
  }

  /** Closes the log file. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private setSpecial(words: string[]): void {
    if (words[0].toLowerCase() === 'facility') return;
    const dest = words[1]?.toLowerCase();
    if (dest === undefined) throw new VlogSpecError('missing destination');
    if (dest !== 'any' && !isDestination(dest)) throw new VlogSpecError(`unknown destination "${words[1]}"`);
    // Patterns are accepted and ignored: lines always have OVS's default layout.
  }

  private write(module: string, level: VlogLevel, msg: string): void {
    const l = this.levels.get(module);
    if (l === undefined) return;
    const toConsole = RANK[level] <= RANK[l.console];
    const toFile = this.fd !== undefined && RANK[level] <= RANK[l.file];
    if (!toConsole && !toFile) return;
    const n = String(++this.seq).padStart(5, '0');
    const time = new Date().toISOString();
    const rest = `|${n}|${module}|${SHOWN[level]}|${msg}\n`;
    if (toFile) writeSync(this.fd as number, `${time}${rest}`);
    if (toConsole) this.consoleWrite(`${time.slice(0, 19)}Z${rest}`);
  }
}

function isLevel(w: string): w is VlogLevel {
  return (VLOG_LEVELS as readonly string[]).includes(w);
}

function isDestination(w: string): w is VlogDestination {
  return (VLOG_DESTINATIONS as readonly string[]).includes(w);
}
