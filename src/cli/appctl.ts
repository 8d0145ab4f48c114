// `tsovs appctl [-t TARGET] [--timeout=SECS] COMMAND [ARG…]`: ovs-appctl for tsovs daemons (and for
// Open vSwitch's own: the protocol is the same). Options are parsed getopt-style, stopping at the first
// non-option like ovs-appctl; exit status 0 on success, 2 when the daemon answers with an error, 1 when it
// cannot be reached, 142 (128 + SIGALRM, as ovs-appctl dies) on timeout.
import { describeSystemError } from '../jsonrpc/errno.js';
import { ConnectionClosedError } from '../jsonrpc/session.js';
import { resolveTarget, UnixctlClient, type UnixctlReply, UnixctlTargetError } from '../unixctl/client.js';
import { rundir } from '../unixctl/rundir.js';
import { TSOVS_VERSION } from '../unixctl/server.js';
import { type CliIo, PROCESS_IO, TIMEOUT_STATUS, warningsTo, withTimeout } from './io.js';

const PROGRAM = 'tsovs appctl';
const DEFAULT_TARGET = 'ovs-vswitchd';

interface Parsed {
  target: string | undefined;
  timeoutSecs: number;
  command: string[];
  exit?: number;
}

class UsageError extends Error {}

const USAGE = `${PROGRAM}, for querying and controlling tsovs and Open vSwitch daemons
usage: ${PROGRAM} [TARGET] COMMAND [ARG...]
Targets:
  -t, --target=TARGET  pidfile or socket to contact
Common commands:
  list-commands      List commands supported by the target
  version            Print version of the target
Other options:
  --timeout=SECS     wait at most SECS seconds for a response
  -h, --help         Print this helpful information
  -V, --version      Display ${PROGRAM} version information
TARGET is a socket path (starting with "/") or a program name, whose socket is found
through $TSOVS_RUNDIR/NAME.pid (TSOVS_RUNDIR defaults to /var/run/tsovs); default: ${DEFAULT_TARGET}.
`;

const LONG_OPTIONS: Record<string, { short: string; hasArg: boolean }> = {
  target: { short: 't', hasArg: true },
  execute: { short: 'e', hasArg: false },
  help: { short: 'h', hasArg: false },
  version: { short: 'V', hasArg: false },
  timeout: { short: 'T', hasArg: true },
};

/** Finds a long option by exact name or unique prefix, as getopt_long does. */
function findLongOption(name: string): string {
  if (LONG_OPTIONS[name] !== undefined) return name;
  const matches = Object.keys(LONG_OPTIONS).filter((o) => o.startsWith(name));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new UsageError(`option '--${name}' is ambiguous`);
  throw new UsageError(`unrecognized option '--${name}'`);
}

/** Splits argv into (option letter, argument) pairs up to the first non-option. */
function* options(args: string[]): Generator<[string, string | undefined], string[]> {
  let i = 0;
  while (i < args.length) {
    const arg = args[i++];
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') return args.slice(i - 1);
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = findLongOption(arg.slice(2, eq < 0 ? undefined : eq));
      const { short, hasArg } = LONG_OPTIONS[name];
      if (!hasArg && eq >= 0) throw new UsageError(`option '--${name}' doesn't allow an argument`);
      if (hasArg && eq < 0 && i >= args.length)
        throw new UsageError(`option '--${name}' requires an argument`);
      yield [short, hasArg ? (eq >= 0 ? arg.slice(eq + 1) : args[i++]) : undefined];
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      const spec = Object.values(LONG_OPTIONS).find((o) => o.short === letter);
      if (spec === undefined) throw new UsageError(`invalid option -- '${letter}'`);
      if (!spec.hasArg) {
        yield [letter, undefined];
        continue;
      }
      if (j + 1 < arg.length) yield [letter, arg.slice(j + 1)];
      else if (i < args.length) yield [letter, args[i++]];
      else throw new UsageError(`option requires an argument -- '${letter}'`);
      break;
    }
  }
  return args.slice(i);
}

function parseArgs(args: string[], io: CliIo): Parsed {
  const parsed: Parsed = { target: undefined, timeoutSecs: 0, command: [] };
  let executeSeen = false;
  const iter = options(args);
  for (let step = iter.next(); ; step = iter.next()) {
    if (step.done) {
      parsed.command = step.value;
      break;
    }
    const [letter, value] = step.value;
    if (letter === 't') {
      if (parsed.target !== undefined) throw new UsageError('-t or --target may be specified only once');
      parsed.target = value;
    } else if (letter === 'e') {
      // Accepted and ignored, as ovs-appctl does for compatibility with old scripts.
      if (executeSeen) throw new UsageError('-e or --execute may be specified only once');
      executeSeen = true;
    } else if (letter === 'T') {
      parsed.timeoutSecs = parseTimeout(value ?? '');
    } else if (letter === 'h') {
      io.stdout(USAGE);
      return { ...parsed, exit: 0 };
    } else if (letter === 'V') {
      io.stdout(`${PROGRAM} (tsovs) ${TSOVS_VERSION}\n`);
      return { ...parsed, exit: 0 };
    }
  }
  if (parsed.command.length === 0) {
    throw new UsageError('at least one non-option argument is required (use --help for help)');
  }
  if (parsed.timeoutSecs === 0) parsed.timeoutSecs = envTimeout(io.env);
  return parsed;
}

function parseTimeout(value: string): number {
  const secs = /^\d+$/.test(value) ? Number(value) : 0;
  if (!(secs > 0 && secs <= 0xffffffff)) throw new UsageError(`value ${value} on -T or --timeout is invalid`);
  return secs;
}

/** TSOVS_CTL_TIMEOUT plays OVS_CTL_TIMEOUT's part: the default timeout, ignored when not a number. */
function envTimeout(env: NodeJS.ProcessEnv): number {
  const value = env.TSOVS_CTL_TIMEOUT ?? '';
  return /^\d+$/.test(value) ? Number(value) : 0;
}

/** Runs `tsovs appctl ARGS…` and resolves to its exit status. */
export async function run(args: string[], io: CliIo = PROCESS_IO): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(args, io);
  } catch (err) {
    if (err instanceof UsageError) return fail(io, err.message);
    throw err;
  }
  if (parsed.exit !== undefined) return parsed.exit;
  if (parsed.timeoutSecs === 0) return exchange(parsed, io, () => false);
  let timedOut = false;
  // After a timeout the exchange still finishes in the background, silently: nothing more is printed.
  const silenced: CliIo = {
    stdout: (text) => timedOut || io.stdout(text),
    stderr: (text) => timedOut || io.stderr(text),
    env: io.env,
  };
  return withTimeout(
    exchange(parsed, silenced, () => timedOut),
    parsed.timeoutSecs,
    () => {
      timedOut = true;
      return fail(io, `timeout after ${parsed.timeoutSecs} seconds`, TIMEOUT_STATUS);
    },
  );
}

function fail(io: CliIo, text: string, status = 1): number {
  io.stderr(`${PROGRAM}: ${text}\n`);
  return status;
}

/** Resolves the target, connects, runs the command and prints its reply; `abandoned` is true after a timeout. */
async function exchange(parsed: Parsed, io: CliIo, abandoned: () => boolean): Promise<number> {
  const target = parsed.target ?? DEFAULT_TARGET;
  const [command, ...commandArgs] = parsed.command;
  let socketPath: string;
  try {
    socketPath = resolveTarget(target, rundir(io.env));
  } catch (err) {
    if (err instanceof UnixctlTargetError) return fail(io, err.message);
    throw err;
  }
  let client: UnixctlClient;
  try {
    client = await UnixctlClient.connect(socketPath, { logger: warningsTo(io, PROGRAM) });
  } catch (err) {
    return fail(io, `cannot connect to "${socketPath}" (${describeSystemError(err)})`);
  }
  try {
    if (abandoned()) return TIMEOUT_STATUS;
    return report(await client.transact(command, commandArgs), target, io);
  } catch (err) {
    const why =
      err instanceof ConnectionClosedError ? err.reason : err instanceof Error ? err.message : String(err);
    return fail(io, `${target}: transaction error (${why})`);
  } finally {
    client.close();
  }
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}

/** Prints the reply as ovs-appctl does: output to stdout (0), or the error text then a summary to stderr (2). */
function report(reply: UnixctlReply, target: string, io: CliIo): number {
  if (reply.ok) {
    io.stdout(withNewline(reply.output));
    return 0;
  }
  io.stderr(withNewline(reply.error));
  io.stderr(`${PROGRAM}: ${target}: server returned an error\n`);
  return 2;
}
