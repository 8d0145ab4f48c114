// `tsovs ovsdb-server [DBFILE…] --remote=punix:PATH|ptcp:PORT[:IP] [--pidfile[=F]] [--detach]
// [--unixctl=PATH] [--log-file[=F]]`: the configuration database server, with ovsdb-server's options.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
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
  verbose?: string[];
}

function parse(args: readonly string[]): { files: string[]; opts: ServerOptions } {
  const cmd = new Command(`tsovs ${PROGRAM}`)
    .description('serves OVSDB databases (RFC 7047) from Open vSwitch standalone database files')
    .argument('[DBFILE...]', 'database files', [])
    .option('--remote <remote>', 'listen on punix:PATH or ptcp:PORT[:IP] (repeatable)', collect, [])
    .option('--pidfile <file>', `write a pid file (default ${join(runDir(), `${PROGRAM}.pid`)})`)
    .option('--detach', 'run in the background once ready')
    .option('--unixctl <path>', 'control socket (default RUNDIR/ovsdb-server.PID.ctl)')
    .option('--log-file <file>', 'log to a file (default RUNDIR/ovsdb-server.log)')
    .option('-v, --verbose [spec]', 'more logging (accepted for compatibility)', collect, [])
    .option('--no-chdir', 'accepted for compatibility')
    .option('--monitor', 'accepted for compatibility')
    .option('--overwrite-pidfile', 'accepted for compatibility')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  cmd.parse(withOptionalDefaults(args), { from: 'user' });
  const files = cmd.processedArgs[0] as string[];
  return { files: files.length > 0 ? files : [join(dbDir(), 'conf.db')], opts: cmd.opts<ServerOptions>() };
}

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

/** Runs the server until it is told to exit. */
export async function run(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code ?? 1;
  }
  const { files, opts } = parsed;
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
