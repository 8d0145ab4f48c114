// ovs-vsctl's informational outputs: --version, --help, --commands and --options.
import { compareBytes } from '../ovsdb/ovs-json.js';
import { readSchemaFile } from '../ovsdb/schema.js';
import { runDir, schemaPath } from '../util/paths.js';
import { allCommands, VSWITCH_ROW_IDS } from './command.js';

/** `--version`: the Open vSwitch release whose behaviour tsovs vsctl reproduces, and the schema version. */
export function versionText(): string {
  return `ovs-vsctl (Open vSwitch) 3.1.0\nDB Schema ${readSchemaFile(schemaPath('vswitch.ovsschema')).version}\n`;
}

/** How rows of each table may be named (ctl_list_db_tables_usage). */
function rowIdUsage(): string {
  const schema = readSchemaFile(schemaPath('vswitch.ovsschema'));
  let s = 'Database commands may reference a row in each table in the following ways:\n';
  for (const name of [...schema.tables.keys()].sort(compareBytes)) {
    const ways = ['by UUID'];
    if (schema.table(name)?.maxRows === 1) ways.push('as "."');
    for (const id of VSWITCH_ROW_IDS[name] ?? []) {
      if (id.uuidColumn === undefined) ways.push(`by "${id.nameColumn}"`);
      else {
        const of = id.table === name ? '' : ` of ${id.table}`;
        ways.push(`via "${id.uuidColumn}"${of} with matching "${id.nameColumn}"`);
      }
    }
    s += `  ${name}:${ways.map((w) => `\n    ${w}`).join('')}\n`;
  }
  return s;
}

/** `--help`. */
export function helpText(env: NodeJS.ProcessEnv): string {
  const lines = [
    'ovs-vsctl: ovs-vswitchd management utility',
    'usage: ovs-vsctl [OPTIONS] COMMAND [ARG...]',
    '',
    'Commands:',
    ...[...allCommands().values()]
      .sort((a, b) => compareBytes(a.name, b.name))
      .map((c) => `  ${c.name} ${c.usage}`.trimEnd()),
    '',
  ];
  return `${lines.join('\n')}\n${rowIdUsage()}
Options:
  --db=DATABASE               connect to DATABASE
                              (default: unix:${runDir(env)}/db.sock)
  --no-wait                   do not wait for ovs-vswitchd to reconfigure
  --retry                     keep trying to connect to server forever
  -t, --timeout=SECS          wait at most SECS seconds for ovs-vswitchd
  --dry-run                   do not commit changes to database
  --oneline                   print exactly one line of output per command
`;
}

/** `--commands`: each command's options, name and arguments (ctl_print_commands, without the markers). */
export function commandsText(): string {
  let s = '';
  for (const c of allCommands().values()) {
    s += `${c.options.map((o) => `[${o}] `).join('')},${c.name},${c.usage}\n`;
  }
  return s;
}

/** `--options`: the global options. */
export function optionsText(): string {
  const names = [
    'db',
    'no-syslog',
    'no-wait',
    'dry-run',
    'oneline',
    'timeout',
    'retry',
    'help',
    'commands',
    'options',
  ];
  return names.map((n) => `--${n}${n === 'db' || n === 'timeout' ? '=ARG' : ''}\n`).join('');
}
