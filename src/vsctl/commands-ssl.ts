// ovs-vsctl's SSL commands (utilities/ovs-vsctl.c): get-ssl, set-ssl (with --bootstrap) and del-ssl, over
// Open_vSwitch.ssl and the SSL table.
import type { TxnRow } from '../ovsdb/client/txn.js';
import { type CommandContext, type CommandSpec, hasOption, registerCommands } from './command.js';

/** The SSL row Open_vSwitch.ssl names, or undefined. */
function sslRow(ctx: CommandContext): TxnRow | undefined {
  const uuid = ctx.ovs.scalar('ssl');
  return uuid === undefined ? undefined : ctx.txn.row('SSL', uuid as string);
}

function getSsl(ctx: CommandContext): void {
  const ssl = sslRow(ctx);
  if (ssl === undefined) return;
  ctx.output +=
    `Private key: ${ssl.string('private_key')}\n` +
    `Certificate: ${ssl.string('certificate')}\n` +
    `CA Certificate: ${ssl.string('ca_cert')}\n` +
    `Bootstrap: ${ssl.boolean('bootstrap_ca_cert')}\n`;
}

function delSsl(ctx: CommandContext): void {
  const ssl = sslRow(ctx);
  if (ssl === undefined) return;
  ssl.delete();
  ctx.ovs.set('ssl', []);
}

function setSsl(ctx: CommandContext): void {
  sslRow(ctx)?.delete();
  const ssl = ctx.txn.insert('SSL', {
    private_key: ctx.argv[1],
    certificate: ctx.argv[2],
    ca_cert: ctx.argv[3],
    bootstrap_ca_cert: hasOption(ctx, '--bootstrap'),
  });
  ctx.ovs.set('ssl', ssl.uuid);
}

/** The SSL commands. */
export const SSL_COMMANDS: readonly CommandSpec[] = [
  { name: 'get-ssl', minArgs: 0, maxArgs: 0, usage: '', options: [], mode: 'ro', run: getSsl },
  { name: 'del-ssl', minArgs: 0, maxArgs: 0, usage: '', options: [], mode: 'rw', run: delSsl },
  {
    name: 'set-ssl',
    minArgs: 3,
    maxArgs: 3,
    usage: 'PRIVATE-KEY CERTIFICATE CA-CERT',
    options: ['--bootstrap'],
    mode: 'rw',
    run: setSsl,
  },
];

registerCommands(SSL_COMMANDS);
