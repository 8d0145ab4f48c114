// `lab up`, `lab down`, `lab status` and `lab exec`: a validated Lab (model.ts) made real — namespaces,
// the underlay, veths, addresses, each host's ovsdb-server and vswitchd (running inside the host's
// namespace, with the host's run directory), the switch configuration through `tsovs vsctl` and flows
// through `tsovs ofctl`. Everything is recorded in the state file (state.ts) before it is made; a failed
// or interrupted `up` removes what it made, and `down` removes whatever a state file lists.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '../jsonrpc/json.js';
import { DbLog } from '../ovsdb/log.js';
import { parseSchema } from '../ovsdb/schema.js';
import { readPidfile } from '../util/daemon.js';
import { schemaPath } from '../util/paths.js';
import { settingArg } from './columns.js';
import { hostOf, type Lab, type LabBridge, type LabHost, labNamespaces, underlayHub } from './model.js';
import type { Progress } from './progress.js';
import { LabPaths, type LabResource, type LabState, StateWriter } from './state.js';
import {
  checkBinaries,
  checkPrivileges,
  cmdline,
  endProcess,
  existingNamespaces,
  inNamespace,
  ip,
  LabError,
  namespacePids,
  processesMentioning,
  runOk,
  tsovsArgv,
} from './system.js';

/** Options of `up`. */
export interface UpOptions {
  readonly progress: Progress;
  /** Aborting (Ctrl-C) stops after the current step; what was made is removed. */
  readonly signal?: AbortSignal;
}

/** One step of `up`: what it says while it runs, and the work. */
interface Step {
  readonly text: string;
  readonly done?: string;
  run(state: StateWriter): Promise<void>;
}

/** A daemon's files in a host's run directory. */
function hostFiles(paths: LabPaths, host: string) {
  const dir = paths.hostDir(host);
  return {
    dir,
    db: join(dir, 'conf.db'),
    sock: join(dir, 'db.sock'),
    pid: (d: string) => join(dir, `${d}.pid`),
    log: (d: string) => join(dir, `${d}.log`),
  };
}

/**
 * Refuses, before anything is made, what would fail or clash: missing privileges or `ip`, a lab already
 * up (or half up), a namespace name already taken.
 */
export function checkCanCreate(lab: Lab, paths: LabPaths): void {
  checkPrivileges();
  checkBinaries(['ip']);
  const state = paths.read();
  if (state !== undefined) {
    const what = state.complete
      ? `lab ${lab.name} is already up (since ${state.started})`
      : `an earlier \`lab up\` of ${lab.name} (pid ${state.pid}, ${state.started}) did not finish`;
    throw new LabError(what, `take it down first: tsovs lab down ${lab.file}`, 'LAB_ALREADY_UP');
  }
  const taken = existingNamespaces();
  const clashes = labNamespaces(lab).filter((n) => taken.has(n));
  if (clashes.length === 0) return;
  const others = otherLabs(paths);
  const owners = clashes.map((n) => others.get(n));
  if (owners.every((o) => o !== undefined)) {
    const labs = new Map(owners.map((o) => [o?.lab ?? '', o?.file ?? '']));
    throw new LabError(
      `the namespaces ${clashes.join(', ')} belong to lab ${[...labs.keys()].join(', ')}, which is up; nothing was created`,
      `take it down first: ${[...labs.values()].map((f) => `tsovs lab down ${f}`).join('; ')}`,
      'LAB_NAME_CLASH',
    );
  }
  throw clashError(lab, clashes);
}

/** "namespace X (FILE:LINE) already exists …", with what to do. */
function clashError(lab: Lab, clashes: readonly string[]): LabError {
  const many = clashes.length > 1;
  const them = many ? 'them' : 'it';
  const where = clashes.map((n) => {
    const pos = (
      lab.hosts.find((h) => h.name === n) ?? lab.hosts.flatMap((h) => h.namespaces).find((x) => x.name === n)
    )?.pos;
    return pos === undefined ? n : `${n} (${lab.file}:${pos.line})`;
  });
  const dels = clashes.map((n) => `\`ip netns del ${n}\``).join(', ');
  return new LabError(
    `network namespace${many ? 's' : ''} ${where.join(', ')} already exist${many ? '' : 's'}: the lab needs ${many ? 'these names' : 'this name'} and will not take over what it did not make; nothing was created`,
    `if another lab made ${them}, take that lab down (tsovs lab down FILE); if ${many ? 'they are' : 'it is'} left over, remove ${them} with ${dels}; or rename ${them} in the lab file`,
    'LAB_NAME_CLASH',
  );
}

/** Namespace → the lab (name and file) whose state file lists it, for every other lab that is up. */
function otherLabs(paths: LabPaths): Map<string, { lab: string; file: string }> {
  const out = new Map<string, { lab: string; file: string }>();
  let names: string[] = [];
  try {
    names = readdirSync(paths.base);
  } catch {
    return out;
  }
  for (const name of names.filter((n) => /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(n))) {
    const state = new LabPaths(name, paths.base).read();
    if (state === undefined) continue;
    for (const r of state.resources)
      if (r.kind === 'netns') out.set(r.name, { lab: state.lab, file: state.file });
  }
  return out;
}

/** Brings a lab up; on any failure or interruption removes what it made, then throws. */
export async function labUp(lab: Lab, paths: LabPaths, opts: UpOptions): Promise<void> {
  checkCanCreate(lab, paths);
  const state = new StateWriter(paths, lab.file);
  const { progress, signal } = opts;
  try {
    for (const step of planSteps(lab, paths)) {
      if (signal?.aborted) throw interrupted();
      progress.step(step.text);
      await step.run(state);
      progress.succeed(step.done);
    }
    if (signal?.aborted) throw interrupted();
    state.complete();
  } catch (err) {
    progress.fail();
    progress.step('removing what was made');
    const report = await teardown(paths, state.current);
    progress.succeed(`removed what was made (${describeRemoved(report)}); nothing is left`);
    throw err;
  }
}

function interrupted(): LabError {
  return new LabError('interrupted', '', 'LAB_INTERRUPTED');
}

/** The steps that make `lab`, in order. */
function planSteps(lab: Lab, paths: LabPaths): Step[] {
  const steps: Step[] = [];
  const all = labNamespaces(lab);
  steps.push({
    text: `creating namespaces ${all.join(', ')}`,
    run: async (state) => {
      for (const ns of all) await addNamespace(state, ns);
    },
  });
  const sysctls = [...lab.hosts, ...lab.hosts.flatMap((h) => h.namespaces)].filter(
    (n) => n.sysctl.length > 0,
  );
  if (sysctls.length > 0)
    steps.push({
      text: `setting sysctls (${sysctls.map((n) => n.name).join(', ')})`,
      run: async () => {
        for (const n of sysctls)
          await runOk(inNamespace(n.name, ['sysctl', '-qw', ...n.sysctl.map(([k, v]) => `${k}=${v}`)]));
      },
    });
  if (lab.underlay !== undefined) steps.push(underlayStep(lab));
  for (const h of lab.hosts) {
    if (h.veths.length === 0) continue;
    const names = h.veths.map((v) => `${v.a.dev}–${v.b.ns === h.name ? '' : `${v.b.ns}:`}${v.b.dev}`);
    steps.push({ text: `creating veths on ${h.name}: ${names.join(', ')}`, run: () => makeVeths(h) });
  }
  steps.push({
    text: `starting ovsdb-server and vswitchd on ${lab.hosts.map((h) => h.name).join(', ')}`,
    run: async (state) => {
      await Promise.all(lab.hosts.map((h) => startDaemons(state, paths, h)));
    },
  });
  steps.push({
    text: `configuring the switches: ${lab.hosts.map((h) => `${h.name} (${h.bridges.map((b) => b.name).join(', ') || 'no bridges'})`).join(', ')}`,
    run: async () => {
      await Promise.all(lab.hosts.map((h) => configure(paths, h)));
    },
  });
  const addresses = lab.hosts.flatMap((h) => h.addresses);
  const routes = [...lab.hosts, ...lab.hosts.flatMap((h) => h.namespaces)].filter((n) => n.routes.length > 0);
  if (addresses.length > 0 || routes.length > 0)
    steps.push({
      text: `adding addresses: ${addresses.map((a) => `${a.ns} ${a.dev} ${a.cidr}`).join(', ')}`,
      run: async () => {
        for (const a of addresses) await ip(a.ns, 'addr', 'add', a.cidr, 'dev', a.dev);
        for (const n of routes) for (const r of n.routes) await ip(n.name, 'route', 'add', ...r.split(/\s+/));
      },
    });
  const withFlows = lab.hosts.flatMap((h) =>
    h.bridges.filter((b) => b.flows.length > 0).map((b) => ({ h, b })),
  );
  if (withFlows.length > 0)
    steps.push({
      text: `loading flows (${withFlows.map(({ h, b }) => `${h.name} ${b.name}: ${b.flows.length}`).join(', ')})`,
      run: async () => {
        await Promise.all(withFlows.map(({ h, b }) => loadFlows(paths, h, b)));
      },
    });
  return steps;
}

async function addNamespace(state: StateWriter, ns: string): Promise<void> {
  const r: LabResource = { kind: 'netns', name: ns };
  state.record(r);
  try {
    await ip(null, 'netns', 'add', ns);
  } catch (err) {
    state.forget(r); // not ours: someone made it since the check
    throw err;
  }
  await ip(ns, 'link', 'set', 'lo', 'up');
}

function underlayStep(lab: Lab): Step {
  const u = lab.underlay as NonNullable<Lab['underlay']>;
  const hub = underlayHub(lab);
  const addrs = lab.hosts.map((h) => `${h.name} ${h.underlayAddress}`).join(', ');
  return {
    text: `joining ${lab.hosts.map((h) => h.name).join(' and ')} with ${u.dev} (${addrs}, mtu ${u.mtu})`,
    run: async () => {
      const mtu = String(u.mtu);
      if (hub === undefined) {
        const [h1, h2] = lab.hosts;
        await ip(
          null,
          'link',
          'add',
          u.dev,
          'netns',
          h1.name,
          'mtu',
          mtu,
          'type',
          'veth',
          'peer',
          'name',
          u.dev,
          'netns',
          h2.name,
          'mtu',
          mtu,
        );
      } else {
        await ip(hub, 'link', 'add', 'ul', 'type', 'bridge');
        await ip(hub, 'link', 'set', 'ul', 'up');
        for (const [i, h] of lab.hosts.entries()) {
          const port = `ul${i}`;
          await ip(
            null,
            'link',
            'add',
            u.dev,
            'netns',
            h.name,
            'mtu',
            mtu,
            'type',
            'veth',
            'peer',
            'name',
            port,
            'netns',
            hub,
            'mtu',
            mtu,
          );
          await ip(hub, 'link', 'set', port, 'master', 'ul', 'up');
        }
      }
      for (const h of lab.hosts) {
        await ip(h.name, 'addr', 'add', h.underlayAddress as string, 'dev', u.dev);
        await ip(h.name, 'link', 'set', u.dev, 'up');
      }
    },
  };
}

async function makeVeths(h: LabHost): Promise<void> {
  for (const v of h.veths) {
    const mtu = v.mtu === undefined ? [] : ['mtu', String(v.mtu)];
    await ip(
      null,
      'link',
      'add',
      v.a.dev,
      'netns',
      v.a.ns,
      ...mtu,
      'type',
      'veth',
      'peer',
      'name',
      v.b.dev,
      'netns',
      v.b.ns,
      ...mtu,
    );
    await ip(v.a.ns, 'link', 'set', v.a.dev, 'up');
    await ip(v.b.ns, 'link', 'set', v.b.dev, 'up');
  }
}

/** Creates the host's database and starts its ovsdb-server and vswitchd inside its namespace. */
async function startDaemons(state: StateWriter, paths: LabPaths, h: LabHost): Promise<void> {
  const f = hostFiles(paths, h.name);
  mkdirSync(f.dir, { recursive: true });
  const schema = parseSchema(JSON.parse(readFileSync(schemaPath('vswitch.ovsschema'), 'utf8')) as JsonObject);
  const log = await DbLog.create(f.db, schema.toJson());
  await log.close();
  const env = { TSOVS_RUNDIR: f.dir, TSOVS_DBDIR: f.dir };
  // Both at once: vswitchd retries the database until ovsdb-server answers (OVS's reconnect backoff), and
  // --detach returns once each is ready (vswitchd: once it has applied the database's configuration).
  const daemons = ['ovsdb-server', 'ovs-vswitchd'] as const;
  for (const daemon of daemons)
    state.record({ kind: 'daemon', daemon, host: h.name, pidfile: f.pid(daemon) });
  await Promise.all(
    daemons.map((daemon) => {
      const args =
        daemon === 'ovsdb-server'
          ? ['ovsdb-server', f.db, `--remote=punix:${f.sock}`, `--unixctl=${join(f.dir, 'ovsdb-server.ctl')}`]
          : ['vswitchd', `unix:${f.sock}`];
      const files = [`--pidfile=${f.pid(daemon)}`, `--log-file=${f.log(daemon)}`, '--detach'];
      return runOk(inNamespace(h.name, [...tsovsArgv(), ...args, ...files]), env, 60000).catch(
        (err: Error) => {
          throw new LabError(
            `${daemon} on ${h.name} did not start: ${err.message}`,
            `its log: ${f.log(daemon)}`,
          );
        },
      );
    }),
  );
}

/** The ovs-vsctl commands that configure a host's bridges and ports (one transaction). */
export function vsctlCommands(h: LabHost): string[] {
  const args: string[] = ['--', 'init'];
  for (const b of h.bridges) {
    args.push('--', 'add-br', b.name);
    if (b.columns.length > 0) args.push('--', 'set', 'Bridge', b.name, ...b.columns.map(settingArg));
    for (const p of b.ports) {
      args.push('--', 'add-port', b.name, p.name);
      if (p.port.length > 0) args.push('--', 'set', 'Port', p.name, ...p.port.map(settingArg));
      if (p.iface.length > 0) args.push('--', 'set', 'Interface', p.name, ...p.iface.map(settingArg));
    }
  }
  return args;
}

/** Applies the host's configuration; returns once vswitchd has applied it. */
async function configure(paths: LabPaths, h: LabHost): Promise<void> {
  const f = hostFiles(paths, h.name);
  await runOk([...tsovsArgv(), 'vsctl', `--db=unix:${f.sock}`, '--timeout=60', ...vsctlCommands(h)], {
    TSOVS_RUNDIR: f.dir,
  }).catch((err: Error) => {
    throw new LabError(`configuring ${h.name}: ${err.message}`, `the switch's log: ${f.log('ovs-vswitchd')}`);
  });
}

/** Loads a bridge's flows with one `tsovs ofctl add-flows BR FILE` (the file kept in the host's run dir). */
async function loadFlows(paths: LabPaths, h: LabHost, b: LabBridge): Promise<void> {
  const f = hostFiles(paths, h.name);
  const file = join(f.dir, `${b.name}.flows`);
  writeFileSync(file, `${b.flows.join('\n')}\n`);
  await runOk([...tsovsArgv(), 'ofctl', 'add-flows', b.name, file], { TSOVS_RUNDIR: f.dir }).catch(
    (err: Error) => {
      if (/unknown command 'ofctl'/.test(err.message))
        throw new LabError('flows need `tsovs ofctl`, which this version of tsovs does not have yet');
      throw new LabError(`loading the flows of ${h.name} ${b.name} (${file}): ${err.message}`);
    },
  );
}

/** What teardown removed. */
export interface Removed {
  namespaces: string[];
  daemons: number;
  processes: number;
}

export function describeRemoved(r: Removed): string {
  const parts = [`${r.namespaces.length} namespace${r.namespaces.length === 1 ? '' : 's'}`];
  parts.push(`${r.daemons} daemon${r.daemons === 1 ? '' : 's'}`);
  if (r.processes > 0) parts.push(`${r.processes} other process${r.processes === 1 ? '' : 'es'}`);
  return parts.join(', ');
}

/**
 * Removes everything `state` lists, and the lab's run directory: daemons (SIGTERM, then SIGKILL), any
 * process still running from the lab's directory or inside its namespaces, then the namespaces (which
 * takes every link in them). Never throws for something already gone.
 */
export async function teardown(paths: LabPaths, state: LabState): Promise<Removed> {
  const removed: Removed = { namespaces: [], daemons: 0, processes: 0 };
  const daemons = state.resources.filter((r) => r.kind === 'daemon').reverse();
  await Promise.all(
    daemons.map(async (d) => {
      const pid = readPidfile(d.pidfile);
      if (pid === undefined || !cmdline(pid).includes(paths.dir)) return;
      await endProcess(pid, 5000);
      removed.daemons++;
    }),
  );
  // Processes started from the lab's directory but not (yet) in a pid file — e.g. a daemon whose
  // `up` was killed while it started. A few rounds: a dying parent may have just started a child.
  for (let round = 0; round < 3; round++) {
    const pids = processesMentioning(paths.dir);
    if (pids.length === 0) break;
    await Promise.all(pids.map((pid) => endProcess(pid, 1000)));
    removed.processes += pids.length;
  }
  const namespaces = state.resources.filter((r) => r.kind === 'netns').reverse();
  const present = existingNamespaces();
  for (const n of namespaces) {
    if (!present.has(n.name)) continue;
    for (const pid of await namespacePids(n.name)) {
      await endProcess(pid, 1000);
      removed.processes++;
    }
    await ip(null, 'netns', 'del', n.name).catch(() => undefined);
    removed.namespaces.push(n.name);
  }
  paths.removeAll();
  return removed;
}

/** Takes a lab down from its state file; undefined when it was not up (its directory is still cleared). */
export async function labDown(paths: LabPaths): Promise<Removed | undefined> {
  const state = paths.read();
  if (state === undefined) {
    paths.removeAll();
    return undefined;
  }
  checkPrivileges();
  checkBinaries(['ip']);
  return teardown(paths, state);
}

/** One line of `lab status`. */
export interface StatusRow {
  readonly name: string;
  readonly kind: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The state of each namespace and daemon of a lab. */
export interface LabStatus {
  readonly state: LabState | undefined;
  readonly rows: StatusRow[];
  readonly allUp: boolean;
}

/** Looks at what a lab made: do its namespaces exist, do its daemons run. */
export function labStatus(lab: Lab, paths: LabPaths): LabStatus {
  const state = paths.read();
  const present = existingNamespaces();
  const rows: StatusRow[] = [];
  for (const h of lab.hosts) {
    const f = hostFiles(paths, h.name);
    const daemons = ['ovsdb-server', 'ovs-vswitchd'].map((d) => {
      const pid = readPidfile(f.pid(d));
      const alive = pid !== undefined && cmdline(pid).includes(paths.dir);
      return { d, pid, alive };
    });
    const ok = present.has(h.name) && daemons.every((d) => d.alive);
    const detail = [
      present.has(h.name) ? 'namespace present' : 'no namespace',
      ...daemons.map((d) => (d.alive ? `${d.d} pid ${d.pid}` : `${d.d} not running`)),
      `bridges ${h.bridges.map((b) => b.name).join(', ') || '(none)'}`,
    ].join('; ');
    rows.push({ name: h.name, kind: 'host', ok, detail });
    for (const n of h.namespaces) {
      const here = present.has(n.name);
      rows.push({
        name: n.name,
        kind: `on ${h.name}`,
        ok: here,
        detail: here ? 'namespace present' : 'no namespace',
      });
    }
  }
  return { state, rows, allUp: state?.complete === true && rows.every((r) => r.ok) };
}

/** Runs `argv` inside namespace `node` of the lab with stdio inherited, TSOVS_RUNDIR set to its host's. */
export function labExec(lab: Lab, paths: LabPaths, node: string, argv: readonly string[]): Promise<number> {
  const host = hostOf(lab, node);
  if (host === undefined)
    throw new LabError(
      `no namespace ${node} in lab ${lab.name}`,
      `its namespaces: ${labNamespaces(lab).join(', ')}`,
    );
  if (!existingNamespaces().has(node))
    throw new LabError(
      `lab ${lab.name} is not up (no namespace ${node})`,
      `bring it up: tsovs lab up ${lab.file}`,
    );
  const f = hostFiles(paths, host.name);
  const child = spawn('ip', inNamespace(node, argv).slice(1), {
    stdio: 'inherit',
    env: { ...process.env, TSOVS_RUNDIR: f.dir, TSOVS_DBDIR: f.dir },
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => resolve(code ?? (sig === null ? 1 : 128 + 2)));
  });
}
