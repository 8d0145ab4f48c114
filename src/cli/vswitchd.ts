// `tsovs vswitchd [DATABASE] [--pidfile[=F]] [--detach] [--log-file[=F]] [--unixctl=SOCK] [-v[SPEC]]
// [--enable-dummy[=system|override]]`: the switch daemon, with ovs-vswitchd's options. DATABASE defaults to
// unix:$TSOVS_RUNDIR/db.sock; the control socket to $TSOVS_RUNDIR/ovs-vswitchd.PID.ctl.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TSOVS_VERSION } from '../unixctl/server.js';
import {
  detach,
  exitOnSignals,
  isDetachedChild,
  type ProcessTuning,
  reportReady,
  writePidfile,
} from '../util/daemon.js';
import { runDir } from '../util/paths.js';
import type { DummyLevel } from '../vswitchd/netdevs.js';
import { Vlog, VlogSpecError } from '../vswitchd/vlog.js';
import { PROGRAM, Vswitchd } from '../vswitchd/vswitchd.js';

const USAGE = `tsovs vswitchd: the switch (Open vSwitch's ovs-vswitchd) — bridges and ports from the database
usage: tsovs vswitchd [OPTIONS] [DATABASE]   (default DATABASE: unix:$TSOVS_RUNDIR/db.sock)
  --pidfile[=FILE]      write a pid file (default: RUNDIR/${PROGRAM}.pid)
  --detach              run in the background once the database's configuration is applied
  --unixctl=SOCKET      control socket (default: RUNDIR/${PROGRAM}.PID.ctl)
  --log-file[=FILE]     log to a file (default: RUNDIR/${PROGRAM}.log)
  -v, --verbose[=SPEC]  set log levels as vlog/set does (no SPEC: everything at debug)
  --enable-dummy[=system|override]
                        accept Interface type dummy (and netdev-dummy/* commands); "system" also makes
                        system devices dummies, "override" every type but patch
  --no-chdir, --monitor, --overwrite-pidfile, --mlockall   accepted for compatibility
  -h, --help            show this help;  -V, --version  show the version
RUNDIR is $TSOVS_RUNDIR (default /var/run/tsovs).
`;

interface Options {
  database: string;
  pidfile?: string;
  detach: boolean;
  unixctl?: string;
  logFile?: string;
  verbose: string[];
  dummy: DummyLevel;
  help: boolean;
  version: boolean;
}

/** Options with an optional argument: given bare, they take their default (getopt's optional arguments). */
function withOptionalDefaults(args: readonly string[]): string[] {
  const defaults: Record<string, string> = {
    '--pidfile': join(runDir(), `${PROGRAM}.pid`),
    '--log-file': join(runDir(), `${PROGRAM}.log`),
    '--enable-dummy': 'dummy',
    '-v': 'dbg',
    '--verbose': 'dbg',
  };
  return args.map((a) =>
    defaults[a] !== undefined ? `${a.startsWith('--') ? a : '--verbose'}=${defaults[a]}` : a,
  );
}

/** Parses the command line (node's util.parseArgs); throws a TypeError whose message says what is wrong. */
function parse(args: readonly string[]): Options {
  const { values, positionals } = parseArgs({
    args: withOptionalDefaults(args),
    allowPositionals: true,
    options: {
      pidfile: { type: 'string' },
      detach: { type: 'boolean' },
      unixctl: { type: 'string' },
      'log-file': { type: 'string' },
      verbose: { type: 'string', short: 'v', multiple: true, default: [] },
      'enable-dummy': { type: 'string' },
      'no-chdir': { type: 'boolean' },
      monitor: { type: 'boolean' },
      'overwrite-pidfile': { type: 'boolean' },
      mlockall: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
  if (positionals.length > 1) throw new TypeError('exactly zero or one non-option argument required');
  const dummy = values['enable-dummy'];
  if (dummy !== undefined && !['dummy', 'system', 'override', ''].includes(dummy))
    throw new TypeError(`${dummy}: unknown dummy level`);
  return {
    database: positionals[0] ?? `unix:${join(runDir(), 'db.sock')}`,
    pidfile: values.pidfile,
    detach: values.detach === true,
    unixctl: values.unixctl,
    logFile: values['log-file'],
    verbose: values.verbose,
    dummy: dummy === undefined ? 'none' : dummy === '' ? 'dummy' : (dummy as DummyLevel),
    help: values.help === true,
    version: values.version === true,
  };
}

/** parseArgs's error in getopt's words. */
function optionError(err: Error & { code?: string }): string {
  const option = /'([^']+)'/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unrecognized option '${option}'`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option '${option}' requires an argument`;
  return err.message;
}

/**
 * How the background switch starts, for a smaller footprint with big flow tables: a young generation of
 * 2 × 4 MiB instead of V8's 2 × 16 MiB (once grown, V8 never gives it back), and glibc's mmap threshold
 * fixed at 128 KiB (by default it rises to the size of the largest block freed, after which resized
 * tables and socket buffers come from the brk heap, which cannot shrink past a block still in use).
 */
const MEMORY_TUNING: ProcessTuning = {
  nodeArgs: ['--max-semi-space-size=4'],
  env: { MALLOC_MMAP_THRESHOLD_: '131072' },
};

/** Runs the switch until it is told to exit (SIGTERM, SIGINT, SIGHUP or `exit`). */
export async function run(args: string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parse(args);
  } catch (err) {
    process.stderr.write(`${PROGRAM}: ${optionError(err as Error)} (use --help for help)\n`);
    return 1;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (opts.version) {
    process.stdout.write(`${PROGRAM} (tsovs) ${TSOVS_VERSION}\n`);
    return 0;
  }
  if (opts.detach) return detach(['vswitchd', ...args], MEMORY_TUNING);
  let vlog: Vlog;
  try {
    vlog = makeVlog(opts);
  } catch (err) {
    process.stderr.write(`${PROGRAM}: ${(err as Error).message}\n`);
    return 1;
  }
  return serve(opts, vlog);
}

function makeVlog(opts: Options): Vlog {
  const vlog = new Vlog(undefined, {
    file: opts.logFile === undefined ? undefined : resolve(opts.logFile),
    console: isDetachedChild() ? 'off' : 'info',
  });
  try {
    for (const spec of opts.verbose) vlog.set(spec);
  } catch (err) {
    if (err instanceof VlogSpecError) throw new Error(err.message);
    throw err;
  }
  if (opts.logFile !== undefined) vlog.module('vlog').info(`opened log file ${resolve(opts.logFile)}`);
  return vlog;
}

async function serve(opts: Options, vlog: Vlog): Promise<number> {
  const log = vlog.module('vswitchd');
  const abort = new AbortController();
  const starting = (async () => {
    if (opts.pidfile !== undefined) writePidfile(resolve(opts.pidfile), PROGRAM);
    return Vswitchd.start(opts.database, {
      dummy: opts.dummy,
      unixctl: opts.unixctl,
      vlog,
      signal: abort.signal,
      onExit: () => process.exit(0),
    });
  })();
  exitOnSignals(async () => {
    abort.abort();
    await starting.then((d) => d.stop()).catch(() => {});
  });
  try {
    await starting;
    log.info(`${PROGRAM} (tsovs) ${TSOVS_VERSION} running on ${opts.database}`);
    reportReady();
    return await new Promise<number>(() => {});
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (abort.signal.aborted) return 0;
    if (isDetachedChild()) {
      log.error(msg);
      reportReady(`${PROGRAM}: ${msg}`);
    } else {
      process.stderr.write(`${PROGRAM}: ${msg}\n`);
    }
    return 1;
  }
}
