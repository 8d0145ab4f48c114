// The unixctl client side (what ovs-appctl does): find a daemon's control socket from a target, send one
// command with string arguments, and get back its output text or its error text.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connect } from '../jsonrpc/address.js';
import { describeSystemError } from '../jsonrpc/errno.js';
import { jsonTypeName } from '../jsonrpc/json.js';
import { ConnectionClosedError, JsonRpcError, JsonRpcSession, type Logger } from '../jsonrpc/session.js';
import { processAlive } from '../util/daemon.js';
import { controlSocketPath, rundir } from './rundir.js';

/** A target that cannot be turned into a socket path; `message` is ovs-appctl's text. */
export class UnixctlTargetError extends Error {
  constructor(
    /** The errno code name behind it (ENOENT, ESRCH, EINVAL…). */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnixctlTargetError';
  }
}

/** What the server answered: the command's output, or its error text. */
export type UnixctlReply = { ok: true; output: string } | { ok: false; error: string };

/** Reads a pid file ("PID\n") and checks that the process is alive; throws UnixctlTargetError. */
function readPidfile(pidfile: string): number {
  const fail = (code: string) =>
    new UnixctlTargetError(code, `cannot read pidfile "${pidfile}" (${describeSystemError({ code })})`);
  let text: string;
  try {
    text = readFileSync(pidfile, 'utf8');
  } catch (err) {
    throw fail((err as NodeJS.ErrnoException).code ?? 'EIO');
  }
  const pid = /^\s*(\d+)\s*$/.test(text) ? Number(text.trim()) : 0;
  if (pid <= 0) throw fail('EINVAL');
  if (!processAlive(pid)) throw fail('ESRCH');
  return pid;
}

/**
 * The control socket for an ovs-appctl target: a path starting with "/" is the socket itself, anything
 * else is a program name whose pid is read from `<rundir>/<name>.pid`, giving `<rundir>/<name>.<pid>.ctl`.
 */
export function resolveTarget(target: string, dir: string = rundir()): string {
  if (target.startsWith('/')) return target;
  const pid = readPidfile(resolve(dir, `${target}.pid`));
  return controlSocketPath(target, pid, dir);
}

/** A connection to one daemon's control socket. */
export class UnixctlClient {
  private constructor(private readonly session: JsonRpcSession) {}

  /** Connects to a socket path (relative paths are taken from the run directory). */
  static async connect(
    path: string,
    options: { rundir?: string; logger?: Logger } = {},
  ): Promise<UnixctlClient> {
    const socket = await connect({ type: 'unix', path: resolve(options.rundir ?? rundir(), path) });
    return new UnixctlClient(new JsonRpcSession(socket, { name: `unix:${path}`, logger: options.logger }));
  }

  /**
   * Runs `command` with `args`. Resolves to the output or the error text the server sent; rejects with a
   * `ConnectionClosedError` if the connection is lost, or a `JsonRpcError` (code 'EINVAL') for a reply
   * that is not a string.
   */
  async transact(command: string, args: string[]): Promise<UnixctlReply> {
    try {
      const result = await this.session.request(command, args);
      if (typeof result !== 'string') throw unexpected('result', jsonTypeName(result));
      return { ok: true, output: result };
    } catch (err) {
      if (!(err instanceof JsonRpcError) || err instanceof ConnectionClosedError || err.code === 'EINVAL')
        throw err;
      if (typeof err.error !== 'string') throw unexpected('error', jsonTypeName(err.error));
      return { ok: false, error: err.error };
    }
  }

  /** Closes the connection. */
  close(): void {
    this.session.close();
  }
}

function unexpected(member: string, type: string): JsonRpcError {
  const error = new JsonRpcError(`unexpected ${member} type in JSON rpc reply: ${type}`, 'EINVAL');
  return error;
}

/** Connects to `path`, runs one command and closes: the whole of an ovs-appctl exchange. */
export async function unixctlCommand(
  path: string,
  command: string,
  args: string[] = [],
): Promise<UnixctlReply> {
  const client = await UnixctlClient.connect(path);
  try {
    return await client.transact(command, args);
  } finally {
    client.close();
  }
}
