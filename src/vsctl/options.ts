// ovs-vsctl's command line: the global options (getopt_long with "+", so option parsing stops at the first
// command; long options may be abbreviated; glibc's error texts), the per-command options that may also
// precede the first command, and the split into commands at "--" (db-ctl-base's ctl_parse_commands).
import { DEFAULT_TABLE_STYLE, type TableStyle } from '../ovsdb/client/format.js';
import { shashOrder } from '../ovsdb/shash-order.js';
import { allCommands, type CommandSpec, PROGRAM_NAME } from './command.js';
import { VsctlError } from './syntax.js';

type HasArg = 'no' | 'required' | 'optional';

interface LongOption {
  readonly name: string;
  readonly hasArg: HasArg;
  /** The short letter it shares a meaning with, if any. */
  readonly short?: string;
  /** True for a command option given before the first command. */
  readonly local?: boolean;
}

/** The global options in ovs-vsctl's order (their order decides glibc's "ambiguous" lists). */
const GLOBAL_OPTIONS: readonly LongOption[] = [
  { name: 'db', hasArg: 'required' },
  { name: 'no-syslog', hasArg: 'no' },
  { name: 'no-wait', hasArg: 'no' },
  { name: 'dry-run', hasArg: 'no' },
  { name: 'oneline', hasArg: 'no' },
  { name: 'timeout', hasArg: 'required', short: 't' },
  { name: 'retry', hasArg: 'no' },
  { name: 'help', hasArg: 'no', short: 'h' },
  { name: 'commands', hasArg: 'no' },
  { name: 'options', hasArg: 'no' },
  { name: 'leader-only', hasArg: 'no' },
  { name: 'no-leader-only', hasArg: 'no' },
  { name: 'shuffle-remotes', hasArg: 'no' },
  { name: 'no-shuffle-remotes', hasArg: 'no' },
  { name: 'version', hasArg: 'no', short: 'V' },
  { name: 'verbose', hasArg: 'optional', short: 'v' },
  { name: 'log-file', hasArg: 'optional' },
  { name: 'syslog-method', hasArg: 'required' },
  { name: 'syslog-target', hasArg: 'required' },
  { name: 'format', hasArg: 'required', short: 'f' },
  { name: 'data', hasArg: 'required', short: 'd' },
  { name: 'no-headings', hasArg: 'no' },
  { name: 'pretty', hasArg: 'no' },
  { name: 'bare', hasArg: 'no' },
  { name: 'max-column-width', hasArg: 'required' },
  { name: 'private-key', hasArg: 'required', short: 'p' },
  { name: 'certificate', hasArg: 'required', short: 'c' },
  { name: 'ca-cert', hasArg: 'required', short: 'C' },
  { name: 'ssl-protocols', hasArg: 'required' },
  { name: 'ssl-ciphers', hasArg: 'required' },
  { name: 'bootstrap-ca-cert', hasArg: 'required' },
  { name: 'peer-ca-cert', hasArg: 'required' },
];

/** The short options ("+t:hVv::f:d:p:c:C:"): letter → argument kind. */
const SHORT_OPTIONS = new Map<string, HasArg>(
  GLOBAL_OPTIONS.filter((o) => o.short !== undefined).map((o) => [o.short as string, o.hasArg]),
);

/** Everything parsed from the command line before the commands run. */
export interface ParsedCommandLine {
  db: string | null;
  waitForReload: boolean;
  dryRun: boolean;
  oneline: boolean;
  timeoutSecs: number;
  retry: boolean;
  noSyslog: boolean;
  style: TableStyle;
  /** --help, --version, --commands or --options, handled by the caller. */
  info: 'help' | 'version' | 'commands' | 'options' | null;
  commands: ParsedCommand[];
}

/** One command of the command line with its options. */
export interface ParsedCommand {
  readonly spec: CommandSpec;
  /** argv[0] is the command's name. */
  readonly argv: string[];
  readonly options: Map<string, string | null>;
}

/** An error getopt reports itself (`ovs-vsctl: unrecognized option '--x'`), exit status 1. */
export class UsageError extends VsctlError {}

/** The command options, from every registered command (ctl_add_cmd_options), in OVS's shash order. */
function commandOptions(): LongOption[] {
  const out: LongOption[] = [];
  const commands = allCommands();
  for (const name of shashOrder(commands.keys())) {
    for (const option of (commands.get(name) as CommandSpec).options) {
      const bare = option.replace(/^--/, '');
      const n = bare.search(/[=?]/);
      const optionName = n < 0 ? bare : bare.slice(0, n);
      const hasArg: HasArg = n < 0 ? 'no' : bare[n] === '=' ? 'required' : 'optional';
      if (!out.some((o) => o.name === optionName)) out.push({ name: optionName, hasArg, local: true });
    }
  }
  return out;
}

/** Finds a long option by exact name or unique prefix, as glibc's getopt_long does. */
function lookupLong(options: readonly LongOption[], name: string, shown: string): LongOption {
  const exact = options.find((o) => o.name === name);
  if (exact !== undefined) return exact;
  const matches = options.filter((o) => o.name.startsWith(name));
  if (matches.length === 0) throw new UsageError(`unrecognized option '${shown}'`);
  const first = matches[0];
  const same = matches.every(
    (o) => o.hasArg === first.hasArg && o.short === first.short && !!o.local === !!first.local,
  );
  if (matches.length > 1 && !same) {
    const list = matches.map((o) => `'--${o.name}'`).join(' ');
    throw new UsageError(`option '${shown}' is ambiguous; possibilities: ${list}`);
  }
  return first;
}

function applyTimeout(result: ParsedCommandLine, value: string): void {
  if (!/^\d+$/.test(value) || Number(value) === 0 || Number(value) > 4294967295) {
    throw new VsctlError(`value ${value} on -t or --timeout is invalid`);
  }
  result.timeoutSecs = Number(value);
}

function applyFormat(result: ParsedCommandLine, value: string): void {
  const format = (['table', 'list', 'html', 'csv', 'json'] as const).find((f) => f === value.toLowerCase());
  if (format === undefined) throw new VsctlError(`unknown output format "${value}"`);
  result.style = { ...result.style, format };
}

function applyData(result: ParsedCommandLine, value: string): void {
  const cellFormat = (['string', 'bare', 'json'] as const).find((f) => f === value.toLowerCase());
  if (cellFormat === undefined) throw new VsctlError(`unknown data format "${value}"`);
  result.style = { ...result.style, cellFormat };
}

/** Applies one global option (by its long name). */
function applyGlobal(result: ParsedCommandLine, name: string, value: string | null): void {
  const v = value ?? '';
  switch (name) {
    case 'db':
      result.db = v;
      break;
    case 'no-syslog':
      result.noSyslog = true;
      break;
    case 'no-wait':
      result.waitForReload = false;
      break;
    case 'dry-run':
      result.dryRun = true;
      break;
    case 'oneline':
      result.oneline = true;
      break;
    case 'timeout':
      applyTimeout(result, v);
      break;
    case 'retry':
      result.retry = true;
      break;
    case 'help':
    case 'version':
    case 'commands':
    case 'options':
      result.info ??= name;
      break;
    case 'format':
      applyFormat(result, v);
      break;
    case 'data':
      applyData(result, v);
      break;
    case 'no-headings':
      result.style = { ...result.style, headings: false };
      break;
    case 'pretty':
      result.style = { ...result.style, pretty: true };
      break;
    case 'bare':
      result.style = { ...result.style, format: 'list', cellFormat: 'bare', headings: false };
      break;
    case 'max-column-width':
      result.style = { ...result.style, maxColumnWidth: Number.parseInt(v, 10) || 0 };
      break;
    default:
      // Logging, SSL and clustering options are accepted and have no effect here.
      break;
  }
}

/** getopt_long("+…") over argv: returns the index of the first non-option argument. */
function parseGlobalOptions(
  argv: readonly string[],
  result: ParsedCommandLine,
  local: Map<string, string | null>,
): number {
  const options = [...GLOBAL_OPTIONS, ...commandOptions()];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    if (arg === '--') return i + 1;
    if (!arg.startsWith('-') || arg === '-') return i;
    i++;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const option = lookupLong(options, name, eq < 0 ? arg : arg.slice(0, eq));
      let value: string | null = eq < 0 ? null : arg.slice(eq + 1);
      if (option.hasArg === 'no' && value !== null) {
        throw new UsageError(`option '--${option.name}' doesn't allow an argument`);
      }
      if (option.hasArg === 'required' && value === null) {
        if (i >= argv.length) throw new UsageError(`option '--${option.name}' requires an argument`);
        value = argv[i++];
      }
      if (option.local) local.set(`--${option.name}`, value);
      else applyGlobal(result, option.name, value);
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      const kind = SHORT_OPTIONS.get(letter);
      if (kind === undefined) throw new UsageError(`invalid option -- '${letter}'`);
      const long = GLOBAL_OPTIONS.find((o) => o.short === letter) as LongOption;
      if (kind === 'no') {
        applyGlobal(result, long.name, null);
        continue;
      }
      let value: string | null = arg.slice(j + 1);
      if (value === '') {
        if (kind === 'required') {
          if (i >= argv.length) throw new UsageError(`option requires an argument -- '${letter}'`);
          value = argv[i++];
        } else value = null;
      }
      applyGlobal(result, long.name, value);
      break;
    }
  }
  return i;
}

/** Parses one command of the command line and its leading options (db-ctl-base's parse_command). */
function parseCommand(args: readonly string[], local: Map<string, string | null>): ParsedCommand {
  const options = new Map(local);
  local.clear();
  let i = 0;
  for (; i < args.length && args[i].startsWith('-'); i++) {
    const eq = args[i].indexOf('=');
    const key = eq < 0 ? args[i] : args[i].slice(0, eq);
    if (options.has(key)) throw new VsctlError(`'${args[i]}' option specified multiple times`);
    options.set(key, eq < 0 ? null : args[i].slice(eq + 1));
  }
  if (i === args.length) throw new VsctlError('missing command name (use --help for help)');
  const name = args[i];
  const spec = allCommands().get(name);
  if (spec === undefined) throw new VsctlError(`unknown command '${name}'; use --help for help`);
  checkCommandOptions(spec, name, options);
  const nArgs = args.length - i - 1;
  if (nArgs < spec.minArgs) {
    throw new VsctlError(`'${spec.name}' command requires at least ${spec.minArgs} arguments`);
  }
  if (nArgs > spec.maxArgs) {
    const note = args.slice(i + 1).some((a) => a.startsWith('-'))
      ? ' (note that options must precede command names and follow a "--" argument)'
      : '';
    throw new VsctlError(`'${spec.name}' command takes at most ${spec.maxArgs} arguments${note}`);
  }
  return { spec, argv: args.slice(i), options };
}

/** Checks a command's options against what it accepts (strstr on its option list, as OVS does). */
function checkCommandOptions(spec: CommandSpec, name: string, options: Map<string, string | null>): void {
  const accepted = spec.options.join(',');
  for (const key of shashOrder(options.keys())) {
    const at = accepted.indexOf(key);
    const end = at < 0 ? null : (accepted[at + key.length] ?? '');
    if (end === null || !'=,? '.includes(end)) {
      throw new VsctlError(`'${name}' command has no '${key}' option`);
    }
    const hasValue = options.get(key) !== null;
    if (end !== '?' && (end === '=') !== hasValue) {
      if (end === '=') throw new VsctlError(`missing argument to '${key}' option on '${name}' command`);
      throw new VsctlError(`'${key}' option on '${name}' does not accept an argument`);
    }
  }
}

/** Parses ovs-vsctl's whole command line; throws VsctlError (UsageError for getopt's own errors). */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const result: ParsedCommandLine = {
    db: null,
    waitForReload: true,
    dryRun: false,
    oneline: false,
    timeoutSecs: 0,
    retry: false,
    noSyslog: false,
    style: { ...DEFAULT_TABLE_STYLE, format: 'list' },
    info: null,
    commands: [],
  };
  const local = new Map<string, string | null>();
  const first = parseGlobalOptions(argv, result, local);
  if (result.info !== null) return result;
  const rest = argv.slice(first);
  let start = 0;
  for (let i = 0; i <= rest.length; i++) {
    if (i < rest.length && rest[i] !== '--') continue;
    if (i > start) result.commands.push(parseCommand(rest.slice(start, i), local));
    else if (local.size > 0) throw new VsctlError('missing command name (use --help for help)');
    start = i + 1;
  }
  if (result.commands.length === 0) throw new VsctlError('missing command name (use --help for help)');
  return result;
}

export { PROGRAM_NAME };
