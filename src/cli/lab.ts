// `tsovs lab up|down|status|exec|check|capture FILE …`: lab files (src/lab/) from the command line.
// Thin: parses arguments (commander), calls src/lab/, prints, and sets the exit status.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { parseDocument } from 'yaml';
import { capturePcap } from '../lab/capture.js';
import { formatTable, resultsTable, runChecks } from '../lab/checks.js';
import { hostOf, type Lab, type LinkEnd, labNamespaces } from '../lab/model.js';
import { progressFor, SilentProgress } from '../lab/progress.js';
import { describeRemoved, labDown, labExec, labStatus, labUp } from '../lab/runner.js';
import { LabPaths } from '../lab/state.js';
import { LabError } from '../lab/system.js';
import { LabFileError, loadLab } from '../lab/validate.js';
import { packageRoot } from '../util/paths.js';

const PROGRAM = 'tsovs lab';

/** A lab file argument: a path, or the name of one of tsovs's own labs (seed-gre → labs/seed-gre.yaml). */
export function resolveLabFile(arg: string): string {
  if (existsSync(arg)) return resolve(arg);
  for (const name of [arg, `${arg}.yaml`]) {
    const own = join(packageRoot(), 'labs', name);
    if (existsSync(own)) return own;
  }
  return resolve(arg);
}

/** Prints an error (with its hint) the way every lab command does; returns the exit status. */
export function reportError(err: unknown, program = PROGRAM): number {
  if (err instanceof LabFileError) {
    const n = err.issues.length;
    process.stderr.write(`${program}: ${err.file}: ${n} error${n === 1 ? '' : 's'}; nothing was created:\n`);
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  if (err instanceof LabError) {
    if (err.code === 'LAB_INTERRUPTED') {
      process.stderr.write(`${program}: interrupted; what was made has been removed\n`);
      return 130;
    }
    process.stderr.write(`${program}: ${err.message}\n`);
    if (err.hint !== '') process.stderr.write(`  what to do: ${err.hint}\n`);
    return 1;
  }
  process.stderr.write(`${program}: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

/** An AbortSignal that fires on the first SIGINT/SIGTERM (announced on stderr); remove() unhooks it. */
export function interruptSignal(what: string): { signal: AbortSignal; remove: () => void } {
  const ac = new AbortController();
  const onSignal = () => {
    if (!ac.signal.aborted) process.stderr.write(`\n${what}\n`);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    remove: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The lab name a `down` argument means: a lab file's name:, or the argument itself. */
function labNameFor(arg: string): string {
  const file = resolveLabFile(arg);
  try {
    return loadLab(file).name;
  } catch (err) {
    if (!existsSync(file)) {
      if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(arg)) return arg; // a lab name
      throw new LabError(
        `${arg}: no such lab file, and not a lab name`,
        'give the lab file, or the name: it has',
      );
    }
    // A file that no longer validates: its name: is enough to find the state.
    const name = parseDocument(readFileSync(file, 'utf8')).get('name');
    if (typeof name === 'string' && name !== '') return name;
    throw err;
  }
}

async function up(file: string, opts: { quiet?: boolean }): Promise<number> {
  const lab = loadLab(resolveLabFile(file));
  const progress = opts.quiet ? new SilentProgress() : progressFor(process.stdout);
  const intr = interruptSignal('interrupted: stopping after this step, then removing what was made …');
  try {
    await labUp(lab, new LabPaths(lab.name), { progress, signal: intr.signal });
  } finally {
    intr.remove();
    progress.stop();
  }
  if (!opts.quiet) {
    process.stdout.write(`lab ${lab.name} is up. Next: tsovs lab check ${file}; tsovs lab down ${file}\n`);
  }
  return 0;
}

async function down(arg: string): Promise<number> {
  const name = labNameFor(arg);
  const removed = await labDown(new LabPaths(name));
  if (removed === undefined) process.stdout.write(`lab ${name} is not up; nothing to remove\n`);
  else process.stdout.write(`lab ${name} is down: removed ${describeRemoved(removed)}\n`);
  return 0;
}

function status(file: string): number {
  const lab = loadLab(resolveLabFile(file));
  const s = labStatus(lab, new LabPaths(lab.name));
  const head =
    s.state === undefined
      ? 'down'
      : s.state.complete
        ? `up since ${s.state.started}`
        : `partly up: \`lab up\` (pid ${s.state.pid}, ${s.state.started}) did not finish — run tsovs lab down ${file}`;
  process.stdout.write(`lab ${lab.name}: ${head}\n`);
  const rows = s.rows.map((r) => [r.name, r.kind, r.ok ? 'up' : 'DOWN', r.detail]);
  process.stdout.write(`${formatTable(['NAMESPACE', 'WHAT', 'STATE', 'DETAIL'], rows)}\n`);
  return s.allUp ? 0 : 1;
}

async function check(file: string, opts: { quiet?: boolean }): Promise<number> {
  const lab = loadLab(resolveLabFile(file));
  if (lab.checks.length === 0) {
    process.stdout.write(`lab ${lab.name} has no checks\n`);
    return 0;
  }
  const progress = opts.quiet ? new SilentProgress() : progressFor(process.stderr);
  let results: Awaited<ReturnType<typeof runChecks>>;
  try {
    results = await runChecks(lab, { progress });
  } finally {
    progress.stop();
  }
  process.stdout.write(`${resultsTable(results)}\n`);
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(
    failed === 0 ? `all ${results.length} checks passed\n` : `${failed} of ${results.length} checks failed\n`,
  );
  return failed === 0 ? 0 : 1;
}

function linkOf(lab: Lab, arg: string): LinkEnd {
  const i = arg.indexOf(':');
  if (i < 0) throw new LabError(`"${arg}" names no namespace`, 'write NAMESPACE:DEV, e.g. node3:eth1');
  const ns = arg.slice(0, i);
  if (hostOf(lab, ns) === undefined)
    throw new LabError(
      `no namespace ${ns} in lab ${lab.name}`,
      `its namespaces: ${labNamespaces(lab).join(', ')}`,
    );
  return { ns, dev: arg.slice(i + 1) };
}

async function capture(
  file: string,
  link: string,
  opts: { count?: string; write?: string },
): Promise<number> {
  const lab = loadLab(resolveLabFile(file));
  const end = linkOf(lab, link);
  const count = opts.count === undefined ? undefined : Number(opts.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 1))
    throw new LabError(`-c ${opts.count}: not a positive packet count`);
  const out = resolve(opts.write ?? `${end.ns}-${end.dev}.pcap`);
  process.stderr.write(
    `capturing on ${end.ns}:${end.dev} into ${out}${count === undefined ? ' (Ctrl-C to stop)' : ` (${count} packets)`}\n`,
  );
  const intr = interruptSignal('stopping the capture …');
  try {
    const summary = await capturePcap(end, out, count, intr.signal);
    process.stderr.write(`${summary}\nwrote ${out} (read it with: tcpdump -nn -r ${out})\n`);
  } finally {
    intr.remove();
  }
  return 0;
}

async function exec(file: string, node: string, rest: string[]): Promise<number> {
  const argv = rest[0] === '--' ? rest.slice(1) : rest;
  const lab = loadLab(resolveLabFile(file));
  if (argv.length === 0)
    throw new LabError('no command to run', `e.g. tsovs lab exec ${file} ${node} -- ip addr`);
  return labExec(lab, new LabPaths(lab.name), node, argv);
}

function program(setStatus: (n: number) => void): Command {
  const cmd = new Command('tsovs lab')
    .description('build networks from lab files: namespaces, veths and tsovs switches, and check them')
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError();
  const wrap =
    <A extends unknown[]>(fn: (...a: A) => Promise<number> | number) =>
    async (...a: A) => {
      setStatus(await fn(...a));
    };
  cmd
    .command('up')
    .description('create everything the lab file describes (removed again if anything fails)')
    .argument('<file>', 'the lab file (or the name of one of labs/, e.g. seed-gre)')
    .option('-q, --quiet', 'print nothing but errors')
    .action(wrap((file: string, o: { quiet?: boolean }) => up(file, o)));
  cmd
    .command('down')
    .description('remove every namespace, link, daemon and file the lab made (also after a failed up)')
    .argument('<file>', 'the lab file, or the lab name')
    .action(wrap((file: string) => down(file)));
  cmd
    .command('status')
    .description("tell whether the lab's namespaces exist and its daemons run (exit 0 when all are up)")
    .argument('<file>', 'the lab file')
    .action(wrap((file: string) => status(file)));
  cmd
    .command('check')
    .description("run the lab's checks (pings, captures) and print a pass/fail table; exit 1 on any failure")
    .argument('<file>', 'the lab file')
    .option('-q, --quiet', 'print only the table')
    .action(wrap((file: string, o: { quiet?: boolean }) => check(file, o)));
  cmd
    .command('capture')
    .description("write a link's packets to a pcap file (tcpdump in the link's namespace)")
    .argument('<file>', 'the lab file')
    .argument('<link>', 'NAMESPACE:DEV, e.g. node3:eth1')
    .option('-c, --count <n>', 'stop after N packets (default: at Ctrl-C)')
    .option('-w, --write <file>', 'the pcap file (default: NAMESPACE-DEV.pcap)')
    .action(
      wrap((file: string, link: string, o: { count?: string; write?: string }) => capture(file, link, o)),
    );
  cmd
    .command('exec')
    .description("run a command inside one of the lab's namespaces (TSOVS_RUNDIR set to its host's)")
    .argument('<file>', 'the lab file')
    .argument('<node>', 'a namespace of the lab (a host such as node3, or A1 …)')
    .argument('[cmd...]', 'the command, after --')
    .passThroughOptions()
    .action(wrap((file: string, node: string, argv: string[]) => exec(file, node, argv)));
  return cmd;
}

/** Runs `tsovs lab ARGS…`; resolves to the exit status. */
export async function run(args: string[]): Promise<number> {
  let status = 0;
  const cmd = program((n) => {
    status = n;
  });
  try {
    await cmd.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return reportError(err);
  }
  if (args.length === 0) {
    process.stdout.write(cmd.helpInformation());
    return 2;
  }
  return status;
}
