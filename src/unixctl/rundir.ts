// Where daemons keep pid files and control sockets: $TSOVS_RUNDIR, else /var/run/tsovs (OVS's OVS_RUNDIR).
import { join } from 'node:path';

/** The run directory: $TSOVS_RUNDIR, or /var/run/tsovs. */
export function rundir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSOVS_RUNDIR || '/var/run/tsovs';
}

/** A daemon's control socket path as OVS names it: `<rundir>/<program>.<pid>.ctl`. */
export function controlSocketPath(program: string, pid: number, dir: string = rundir()): string {
  return join(dir, `${program}.${pid}.ctl`);
}
