// The unixctl control server that ovs-appctl talks to: JSON-RPC on a unix socket where the method is a
// command name and the params are its string arguments, and the reply is plain text. Built-in commands,
// their output and the argument-count errors are Open vSwitch 3.1's (lib/unixctl.c).
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { type Listener, listen } from '../jsonrpc/address.js';
import type { Json } from '../jsonrpc/json.js';
import { JsonRpcError, JsonRpcSession, type Logger } from '../jsonrpc/session.js';
import { controlSocketPath, rundir } from './rundir.js';

/** The version our programs report (`version` command). */
export const TSOVS_VERSION = '0.1.0';

/** Thrown by a command handler to reply with an error: `message` is the text ovs-appctl prints. */
export class UnixctlError extends Error {
  /** Stable code for all unixctl command failures. */
  readonly code = 'unixctl error';

  constructor(message: string) {
    super(message);
    this.name = 'UnixctlError';
  }
}

/** Runs a command with its arguments (not including the command name); resolves to its output text. */
export type UnixctlHandler = (args: string[]) => string | Promise<string>;

interface Command {
  usage: string | null;
  minArgs: number;
  maxArgs: number;
  handler: UnixctlHandler;
}

/** Options for `UnixctlServer.start`. */
export interface UnixctlServerOptions {
  /** Program name, used in the default socket name and the `version` reply (e.g. "ovs-vswitchd"). */
  program: string;
  /** Socket path: absolute, or relative to `rundir`; default `<rundir>/<program>.<pid>.ctl`. */
  path?: string;
  /** Run directory (default $TSOVS_RUNDIR or /var/run/tsovs). */
  rundir?: string;
  /** Reply to `version` (default "<program> (tsovs) <version>"). */
  version?: string;
  /** Where connection problems are logged. */
  logger?: Logger;
}

const SILENT: Logger = { warn: () => {}, info: () => {}, debug: () => {} };

/** OVS 3.1 ends every non-empty reply with a newline. */
function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** A unixctl server: listens on its socket, runs registered commands for each connection in turn. */
export class UnixctlServer {
  /** The socket path clients connect to. */
  readonly path: string;
  private readonly commands = new Map<string, Command>();
  private readonly sessions = new Set<JsonRpcSession>();
  private readonly logger: Logger;
  private listener: Listener | null = null;

  private constructor(path: string, version: string, logger: Logger) {
    this.path = path;
    this.logger = logger;
    this.register('list-commands', '', 0, 0, () => this.listCommands());
    this.register('version', '', 0, 0, () => version);
  }

  /** Creates the server and starts listening (a stale socket file at the path is replaced). */
  static async start(options: UnixctlServerOptions): Promise<UnixctlServer> {
    const dir = options.rundir ?? rundir();
    const path =
      options.path === undefined
        ? controlSocketPath(options.program, process.pid, dir)
        : resolve(dir, options.path);
    const version = options.version ?? `${options.program} (tsovs) ${TSOVS_VERSION}`;
    const server = new UnixctlServer(path, version, options.logger ?? SILENT);
    server.listener = await listen({ type: 'punix', path }, (socket, name) => server.accept(socket, name));
    return server;
  }

  /**
   * Adds a command. `usage` is shown by list-commands (null hides the command); a request with fewer than
   * `minArgs` or more than `maxArgs` arguments is refused before `handler` runs.
   */
  register(
    name: string,
    usage: string | null,
    minArgs: number,
    maxArgs: number,
    handler: UnixctlHandler,
  ): void {
    if (this.commands.has(name)) throw new Error(`unixctl command "${name}" is already registered`);
    this.commands.set(name, { usage, minArgs, maxArgs, handler });
  }

  /** Stops listening, removes the socket file and drops every connection. */
  async close(): Promise<void> {
    await this.listener?.close();
    this.listener = null;
    for (const session of this.sessions) session.close();
  }

  private accept(socket: Socket, name: string): void {
    const session = new JsonRpcSession(socket, {
      name,
      logger: this.logger,
      answerEcho: false,
      sequential: true,
      onRequest: (method, params) => this.run(method, params),
      onNotification: (_method, _params, s) => s.abort('received unexpected notification message'),
    });
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
  }

  /** Runs one request; every failure becomes an error reply carrying OVS's text. */
  private async run(method: string, params: Json[]): Promise<Json> {
    const args = this.checkRequest(method, params);
    try {
      return withNewline(await this.commands.get(method)!.handler(args));
    } catch (err) {
      if (!(err instanceof UnixctlError))
        this.logger.warn(`unixctl command "${method}" failed: ${String(err)}`);
      const text = err instanceof Error ? err.message : String(err);
      throw new JsonRpcError(withNewline(text));
    }
  }

  private checkRequest(method: string, params: Json[]): string[] {
    const command = this.commands.get(method);
    const fail = (text: string) => new JsonRpcError(withNewline(text));
    if (command === undefined) {
      throw fail(`"${method}" is not a valid command (use "list-commands" to see a list of valid commands)`);
    }
    if (params.length < command.minArgs) {
      throw fail(`"${method}" command requires at least ${command.minArgs} arguments`);
    }
    if (params.length > command.maxArgs)
      throw fail(`"${method}" command takes at most ${command.maxArgs} arguments`);
    if (params.some((p) => typeof p !== 'string')) throw fail(`"${method}" command has non-string argument`);
    return params as string[];
  }

  /** "The available commands are:" and one "  NAME USAGE" line per visible command, sorted by name. */
  private listCommands(): string {
    const names = [...this.commands.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let text = 'The available commands are:\n';
    for (const name of names) {
      const { usage } = this.commands.get(name)!;
      if (usage !== null) text += `  ${name.padEnd(23)} ${usage}\n`;
    }
    return text;
  }
}
