// `tsovs ovsdb-server [DBFILE…] --remote=punix:PATH|ptcp:PORT[:IP] [--pidfile[=F]] [--detach]
// [--unixctl=PATH] [--log-file[=F]]`: the configuration database server, with ovsdb-server's options.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AddressError } from '../jsonrpc/address.js';
import { describeSystemError } from '../jsonrpc/errno.js';
import { DbLogError } from '../ovsdb/log.js';
import { OvsdbServer } from '../ovsdb/server.js';
import { FileStorage } from '../ovsdb/storage.js';
import { UnixctlError, UnixctlServer } from '../unixctl/server.js';
import { detach, exitOnSignals, isDetachedChild, reportReady, writePidfile } from '../util/daemon.js';
import { createLogger, type Logger, rpcLogger } from '../util/log.js';
import { dbDir, runDir } from '../util/paths.js';

const PROGRAM = 'ovsdb-server';

/** Options whose argument is optional (given as --opt=ARG, as getopt's optional arguments are). */
function withOptionalDefaults(args: readonly string[]): string[] {
  const defaults: Record<string, string> = {
    '--pidfile': join(runDir(), `${PROGRAM}.pid`),
    '--log-file': join(runDir(), `${PROGRAM}.log`),
  };
  return args.map((a) => (defaults[a] !== undefined ? `${a}=${defaults[a]}` : a));
}

interface ServerOptions {
  remote: string[];
  pidfile?: string;
  detach?: boolean;
  unixctl?: string;
  logFile?: string;
  verbose: string[];
}

const USAGE = `tsovs ${PROGRAM}: serves OVSDB databases (RFC 7047) from Open vSwitch standalone database files
usage: tsovs ${PROGRAM} [OPTIONS] [DBFILE...]   (default DBFILE: $TSOVS_DBDIR/conf.db)
  --remote=REMOTE       listen on punix:PATH or ptcp:PORT[:IP] (repeatable)
  --pidfile[=FILE]      write a pid file (default: RUNDIR/${PROGRAM}.pid)
  --detach              run in the background once ready
  --unixctl=PATH        control socket (default: RUNDIR/${PROGRAM}.PID.ctl)
  --log-file[=FILE]     log to a file (default: RUNDIR/${PROGRAM}.log)
  -v, --verbose[=SPEC]  log debug messages to the log file
  --no-chdir, --monitor, --overwrite-pidfile   accepted for compatibility
RUNDIR is $TSOVS_RUNDIR (default /var/run/tsovs).
`;

/**
 * Parses ovsdb-server's command line with Node's own parser (util.parseArgs, not commander: a daemon
 * keeps what it loads for its whole life). Throws a TypeError with a message for bad options.
 */
function parse(args: readonly string[]): { files: string[]; opts: ServerOptions; help: boolean } {
  const { values, positionals } = parseArgs({
    args: withOptionalDefaults(args.map((a) => (a === '-v' || a === '--verbose' ? '--verbose=dbg' : a))),
    allowPositionals: true,
    options: {
      remote: { type: 'string', multiple: true, default: [] },
      pidfile: { type: 'string' },
      detach: { type: 'boolean' },
      unixctl: { type: 'string' },
      'log-file': { type: 'string' },
      verbose: { type: 'string', short: 'v', multiple: true, default: [] },
      'no-chdir': { type: 'boolean' },
      monitor: { type: 'boolean' },
      'overwrite-pidfile': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const opts: ServerOptions = {
    remote: values.remote,
    pidfile: values.pidfile,
    detach: values.detach,
    unixctl: values.unixctl,
    logFile: values['log-file'],
    verbose: values.verbose,
  };
  const files = positionals.length > 0 ? positionals : [join(dbDir(), 'conf.db')];
  return { files, opts, help: values.help === true };
}

/** parseArgs's error in getopt's words ("unrecognized option '--x'"). */
function optionError(err: Error & { code?: string }): string {
  const option = /'([^']+)'/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unrecognized option '${option}'`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option '${option}' requires an argument`;
  return err.message;
}

/** Runs the server until it is told to exit. */
export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    process.stderr.write(`${PROGRAM}: ${optionError(err as Error)} (use --help for help)\n`);
    return 1;
  }
  const { files, opts } = parsed;
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (opts.detach) return detach([PROGRAM, ...args]);
  const log = createLogger({
    file: opts.logFile,
    consoleLevel: isDetachedChild() ? 'silent' : 'warn',
    fileLevel: (opts.verbose ?? []).length > 0 ? 'debug' : 'info',
  });
  try {
    const server = await start(files, opts, log);
    exitOnSignals(() => server.close());
    reportReady();
    return await new Promise<number>(() => {});
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (isDetachedChild()) {
      log.child({ module: PROGRAM }).error(msg);
      reportReady(`${PROGRAM}: ${msg}`);
    } else {
      process.stderr.write(`${PROGRAM}: ${msg}\n`);
    }
    return 1;
  }
}

/** Opens a database file, with start-up errors that say what to do about them. */
async function openStorage(file: string, log: Logger): Promise<FileStorage> {
  try {
    return await FileStorage.open(file, {
      onTornTail: (t) =>
        log.warn(`${file}: ${t.reason} at offset ${t.offset}; truncated the torn last record`),
      onWarning: (m) => log.warn(m),
    });
  } catch (err) {
    if (!(err instanceof DbLogError)) throw err;
    if (err.code === 'not found') {
      throw new Error(`${file}: database file not found (create it with "tsovs ovsdb-tool create ${file}")`);
    }
    if (err.code === 'locked') {
      const who = err.pid === undefined ? 'another process' : `pid ${err.pid}`;
      throw new Error(`${file}: database is locked by ${who} (is another ovsdb-server serving it?)`);
    }
    throw err;
  }
}

/** Listens on a --remote, with errors that name the remote and the reason. */
async function listenOn(server: OvsdbServer, remote: string): Promise<void> {
  try {
    await server.listen(remote);
  } catch (err) {
    if (err instanceof AddressError) throw err;
    const path = remote.startsWith('punix:') ? remote.slice('punix:'.length) : undefined;
    if (path !== undefined && !existsSync(dirname(resolve(path)))) {
      throw new Error(`${remote}: cannot listen: directory ${dirname(resolve(path))} does not exist`);
    }
    throw new Error(`${remote}: cannot listen (${describeSystemError(err)})`);
  }
}

/** A started server with its control socket. */
interface Running {
  close(): Promise<void>;
}

async function start(files: string[], opts: ServerOptions, log: Logger): Promise<Running> {
  const mlog = log.child({ module: PROGRAM });
  const server = new OvsdbServer({ logger: rpcLogger(log.child({ module: 'jsonrpc' })) });
  const storages: FileStorage[] = [];
  const closeAll = async () => {
    await server.close();
    for (const s of storages) await s.close().catch(() => {});
  };
  try {
    for (const f of files) {
      const storage = await openStorage(resolve(f), mlog);
      storages.push(storage);
      server.addDatabase(storage.db, storage);
    }
    if (opts.pidfile !== undefined) writePidfile(resolve(opts.pidfile), PROGRAM);
    for (const r of opts.remote) await listenOn(server, r);
    const unixctl = await UnixctlServer.start({
      program: PROGRAM,
      path: opts.unixctl,
      logger: rpcLogger(mlog),
    });
    registerCommands(unixctl, server, storages, async () => {
      await unixctl.close();
      await closeAll();
    });
    mlog.info(`serving ${files.join(', ')} on ${opts.remote.join(', ') || 'no remotes'}`);
    return {
      close: async () => {
        await unixctl.close();
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function registerCommands(
  unixctl: UnixctlServer,
  server: OvsdbServer,
  storages: FileStorage[],
  shutdown: () => Promise<void>,
): void {
  unixctl.register('exit', '', 0, 0, () => {
    setImmediate(() => {
      shutdown().finally(() => process.exit(0));
    });
    return '';
  });
  unixctl.register('ovsdb-server/compact', '', 0, 1, async ([name]) => {
    if (name?.startsWith('_')) throw new UnixctlError('cannot compact built-in databases');
    const chosen = storages.filter((s) => name === undefined || s.db.schema.name === name);
    if (chosen.length === 0) throw new UnixctlError('no database by that name');
    for (const s of chosen) await s.compact();
    return '';
  });
  unixctl.register('ovsdb-server/list-dbs', '', 0, 0, () =>
    [...server.dbs.keys()]
      .sort()
      .map((n) => `${n}\n`)
      .join(''),
  );
  unixctl.register('ovsdb-server/list-remotes', '', 0, 0, () =>
    server
      .remotes()
      .sort()
      .map((r) => `${r}\n`)
      .join(''),
  );
  unixctl.register('ovsdb-server/add-remote', 'REMOTE', 1, 1, async ([remote]) => {
    await server.listen(remote);
    return '';
  });
  unixctl.register('ovsdb-server/remove-remote', 'REMOTE', 1, 1, async ([remote]) => {
    if (!(await server.unlisten(remote))) throw new UnixctlError(`${remote}: no such remote`);
    return '';
  });
}
