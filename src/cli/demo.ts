// `tsovs demo [gre|vxlan|geneve] [--keep]`: the seed's experiment in one command (src/lab/demo.ts).
// Thin: parses arguments (commander), wires progress to the terminal and Ctrl-C to the lab, sets the
// exit status.
import { Command, CommanderError } from 'commander';
import { DEMO_TUNNELS, type DemoTunnel, runDemo } from '../lab/demo.js';
import { progressFor } from '../lab/progress.js';
import { interruptSignal, reportError } from './lab.js';

const PROGRAM = 'tsovs demo';

/** Runs `tsovs demo ARGS…`; resolves to the exit status. */
export async function run(args: string[]): Promise<number> {
  let parsed: { tunnel: DemoTunnel; keep: boolean } | undefined;
  const cmd = new Command(PROGRAM)
    .description(
      "the seed's experiment: two hosts (node3, node4), A1/B1 and A2/B2, three bridges in a loop with STP and a tunnel between the hosts — built, checked, shown and removed",
    )
    .argument('[tunnel]', `the tunnel between the hosts: ${DEMO_TUNNELS.join(', ')}`, 'gre')
    .option('--keep', 'leave the lab up afterwards (take it down with `tsovs lab down seed-TUNNEL`)')
    .exitOverride()
    .showHelpAfterError()
    .action((tunnel: string, o: { keep?: boolean }) => {
      if (!(DEMO_TUNNELS as readonly string[]).includes(tunnel))
        throw new CommanderError(
          2,
          'demo.tunnel',
          `${PROGRAM}: unknown tunnel '${tunnel}' (choose ${DEMO_TUNNELS.join(', ')})`,
        );
      parsed = { tunnel: tunnel as DemoTunnel, keep: o.keep === true };
    });
  try {
    await cmd.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'demo.tunnel') process.stderr.write(`${err.message}\n`);
      return err.exitCode === 0 ? 0 : 2;
    }
    throw err;
  }
  if (parsed === undefined) return 2;
  const progress = progressFor(process.stdout);
  const intr = interruptSignal('interrupted: stopping, then removing everything the demo made …');
  try {
    return await runDemo({
      ...parsed,
      progress,
      print: (line) => progress.log(line),
      signal: intr.signal,
    });
  } catch (err) {
    progress.stop();
    return reportError(err, PROGRAM);
  } finally {
    intr.remove();
    progress.stop();
  }
}
