// Control socket paths of daemons, under the run directory (see util/paths.ts).
import { join } from 'node:path';
import { runDir } from '../util/paths.js';

/** The run directory: $TSOVS_RUNDIR, or /var/run/tsovs. */
export const rundir = runDir;

/** A daemon's control socket path as OVS names it: `<rundir>/<program>.<pid>.ctl`. */
export function controlSocketPath(program: string, pid: number, dir: string = rundir()): string {
  return join(dir, `${program}.${pid}.ctl`);
}
