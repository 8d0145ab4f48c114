// A lab's run directory and its state file: $TSOVS_LABDIR/<lab>/ (default /var/run/tsovs-lab/<lab>/)
// holds one directory per host (its database, sockets, pid files and logs) and state.json, the list of
// what `lab up` made. Each thing is recorded *before* it is created, so that `lab down` finds everything
// even after an `up` that failed, was interrupted or was killed halfway.
import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Something a lab made. Links need no record: each lives in a namespace the lab made. */
export type LabResource =
  | { readonly kind: 'netns'; readonly name: string }
  | {
      readonly kind: 'daemon';
      readonly daemon: 'ovsdb-server' | 'ovs-vswitchd';
      readonly host: string;
      readonly pidfile: string;
    };

/** The content of state.json. */
export interface LabState {
  readonly lab: string;
  readonly file: string;
  /** When `up` began (ISO 8601) and the pid of the process that ran it. */
  readonly started: string;
  readonly pid: number;
  /** True once `up` finished. */
  complete: boolean;
  readonly resources: LabResource[];
}

/** The base directory of all labs' run directories. */
export function labBaseDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSOVS_LABDIR || '/var/run/tsovs-lab';
}

/** The paths of one lab. */
export class LabPaths {
  readonly dir: string;
  readonly stateFile: string;

  constructor(
    readonly lab: string,
    readonly base = labBaseDir(),
  ) {
    // The name becomes a directory that `down` removes: only plain names (as lab files must have).
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(lab)) throw new Error(`"${lab}" is not a lab name`);
    this.dir = join(base, lab);
    this.stateFile = join(this.dir, 'state.json');
  }

  /** A host's run directory (TSOVS_RUNDIR of its daemons). */
  hostDir(host: string): string {
    return join(this.dir, host);
  }

  /** The recorded state, or undefined when the lab is not up. */
  read(): LabState | undefined {
    try {
      return JSON.parse(readFileSync(this.stateFile, 'utf8')) as LabState;
    } catch {
      return undefined;
    }
  }

  /** Removes the lab's directory, and the base directory when no other lab is left in it. */
  removeAll(): void {
    rmSync(this.dir, { recursive: true, force: true });
    try {
      rmdirSync(this.base);
    } catch {
      // other labs, or not ours to remove
    }
  }
}

/** The state file of an `up` in progress: `record()` before each creation. */
export class StateWriter {
  private readonly state: LabState;

  constructor(
    private readonly paths: LabPaths,
    file: string,
  ) {
    this.state = {
      lab: paths.lab,
      file,
      started: new Date().toISOString(),
      pid: process.pid,
      complete: false,
      resources: [],
    };
    mkdirSync(paths.dir, { recursive: true });
    this.flush();
  }

  /** Adds `r` to the state file (written to disk before this returns). */
  record(r: LabResource): void {
    this.state.resources.push(r);
    this.flush();
  }

  /** Takes `r` off the list again (it turned out not to be ours to make). */
  forget(r: LabResource): void {
    const i = this.state.resources.indexOf(r);
    if (i >= 0) this.state.resources.splice(i, 1);
    this.flush();
  }

  /** Marks the lab as completely up. */
  complete(): void {
    this.state.complete = true;
    this.flush();
  }

  /** What has been recorded. */
  get current(): LabState {
    return this.state;
  }

  private flush(): void {
    const tmp = `${this.paths.stateFile}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(tmp, this.paths.stateFile);
  }
}
