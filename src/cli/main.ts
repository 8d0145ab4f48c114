// The `tsovs` command: dispatches `tsovs SUBCOMMAND ARGS…` to the thin wrappers in this folder.
// Each wrapper parses its own arguments (commander) and calls into the library layers.
import { pathToFileURL } from 'node:url';

/** A subcommand: takes its arguments (after the subcommand name) and resolves to an exit status. */
export type Subcommand = (args: string[]) => Promise<number>;

/** Subcommand name → loader, so that `tsovs vsctl` does not load the server's code. */
const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<Subcommand> }> = {
  'ovsdb-server': {
    summary: 'the OVSDB configuration database server',
    load: async () => (await import('./ovsdb-server.js')).run,
  },
  vswitchd: {
    summary: 'the switch: bridges and ports from the database (like ovs-vswitchd)',
    load: async () => (await import('./vswitchd.js')).run,
  },
  'ovsdb-tool': {
    summary: 'create, compact and inspect database files',
    load: async () => (await import('./ovsdb-tool.js')).run,
  },
  'ovsdb-client': {
    summary: 'talk to an OVSDB server (list-dbs, get-schema, transact, dump, monitor)',
    load: async () => (await import('./ovsdb-client.js')).run,
  },
  start: {
    summary: 'start the daemons in the background (creates the database if missing)',
    load: async () => async (args) => (await import('./ctl.js')).run(['start', ...args]),
  },
  stop: {
    summary: 'stop the daemons started by `tsovs start`',
    load: async () => async (args) => (await import('./ctl.js')).run(['stop', ...args]),
  },
  status: {
    summary: 'tell whether the daemons are running',
    load: async () => async (args) => (await import('./ctl.js')).run(['status', ...args]),
  },
  vsctl: {
    summary: 'configure the switch through its database (like ovs-vsctl)',
    load: async () => (await import('./vsctl.js')).run,
  },
  ofctl: {
    summary: 'administer OpenFlow switches (like ovs-ofctl)',
    load: async () => (await import('./ofctl.js')).run,
  },
  appctl: {
    summary: 'send a command to a running tsovs daemon (like ovs-appctl)',
    load: async () => (await import('./appctl.js')).run,
  },
  lab: {
    summary: 'networks from lab files: lab up|down|status|check|capture|exec FILE',
    load: async () => (await import('./lab.js')).run,
  },
  demo: {
    summary: "the seed's experiment in one command: demo [gre|vxlan|geneve] [--keep]",
    load: async () => (await import('./demo.js')).run,
  },
};

function usage(): string {
  const lines = ['usage: tsovs COMMAND [ARG…]', '', 'commands:'];
  for (const [name, { summary }] of Object.entries(SUBCOMMANDS))
    lines.push(`  ${name.padEnd(14)} ${summary}`);
  lines.push('', 'Run `tsovs COMMAND --help` for the options of one command.');
  return `${lines.join('\n')}\n`;
}

/** Runs the `tsovs` command line and resolves to its exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write('tsovs 0.1.0\n');
    return 0;
  }
  const entry = SUBCOMMANDS[name];
  if (entry === undefined) {
    process.stderr.write(`tsovs: unknown command '${name}'\n${usage()}`);
    return 1;
  }
  return (await entry.load())(rest);
}

/** Runs main() and exits with its status; used by bin/tsovs.js and when this file is run directly. */
export function runMain(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`tsovs: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain(process.argv.slice(2));
}
