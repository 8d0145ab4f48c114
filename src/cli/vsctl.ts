// `tsovs vsctl [OPTIONS] COMMAND [ARG…] [-- COMMAND [ARG…]]…`: Open vSwitch's ovs-vsctl over tsovs's
// OVSDB client; the command language, outputs and errors live in src/vsctl/.
import { runVsctl, setInvocation } from '../vsctl/run.js';

/** Runs ovs-vsctl's command line `args`; resolves to the exit status. */
export async function run(args: string[]): Promise<number> {
  setInvocation(args);
  return runVsctl(args);
}
