// Support for the transact conformance test: starts Open vSwitch's real ovsdb-server and tsovs's side by
// side on the same pair of databases (Open_vSwitch and a small "Conformance" schema), runs a case's steps
// on both over raw JSON-RPC, and normalises the replies (UUID values, row order) so they can be compared.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { isJsonObject, type Json, type JsonObject } from '../../src/jsonrpc/json.js';
import { ConnectionClosedError, JsonRpcError, JsonRpcSession } from '../../src/jsonrpc/session.js';
import {
  type DbServer,
  QUIET_LOGGER,
  startRealServer,
  startTsovsServer,
  tempDir,
  tsovsArgv,
} from '../helpers/daemons.js';

/** One step of a case: a transact (or another method) on a connection, raw bytes, or awaiting a step. */
export type Step =
  | { readonly transact: Json[]; readonly conn?: number; readonly background?: string }
  | { readonly method: string; readonly params: Json[]; readonly conn?: number }
  | { readonly raw: string; readonly conn?: number }
  | { readonly await: string };

/** A conformance case: steps run in order on fresh connections; every reply is compared. */
export interface ConformanceCase {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Set when a known difference lies outside the transaction engine (the reason names the file). */
  readonly todo?: string;
}

/** What one step produced: a result, a JSON-RPC error, or a dropped connection. */
export type Outcome = { result: Json } | { error: Json } | { disconnected: true };

/** A server under test: where it listens and how to stop it. */
export interface Endpoint {
  readonly label: string;
  readonly sock: string;
  cleanup(): Promise<void>;
}

const CONFORMANCE_DB = 'conformance.db';

/** Starts the real ovsdb-server on a fresh Open_vSwitch database plus the conformance database. */
export function startReal(conformanceSchema: JsonObject): Promise<Endpoint> {
  const dir = tempDir('ovs-conf-');
  return startWithConformanceDb('ovsdb-server', dir, conformanceSchema, ['ovsdb-tool'], startRealServer);
}

/** Starts `tsovs ovsdb-server` on a fresh Open_vSwitch database plus the conformance database. */
export function startTsovs(conformanceSchema: JsonObject): Promise<Endpoint> {
  const dir = tempDir('tsovs-conf-');
  const tool = [...tsovsArgv(), 'ovsdb-tool'];
  return startWithConformanceDb('tsovs', dir, conformanceSchema, tool, startTsovsServer);
}

/** Creates the conformance database in `dir` with `tool` (an argv prefix), then `start`s a server on both. */
async function startWithConformanceDb(
  label: string,
  dir: string,
  conformanceSchema: JsonObject,
  tool: string[],
  start: (dir: string, extraArgs: string[]) => Promise<DbServer>,
): Promise<Endpoint> {
  let server: DbServer;
  try {
    const schemaFile = join(dir, 'conformance.ovsschema');
    const confDb = join(dir, CONFORMANCE_DB);
    writeFileSync(schemaFile, JSON.stringify(conformanceSchema));
    const [cmd, ...pre] = tool;
    execFileSync(cmd, [...pre, 'create', confDb, schemaFile]);
    server = await start(dir, [confDb]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return { label, sock: server.sock, cleanup: () => server.cleanup() };
}

/** One client connection that records outcomes instead of throwing. */
class Connection {
  private constructor(
    readonly socket: Socket,
    readonly session: JsonRpcSession,
  ) {}

  static open(sock: string): Promise<Connection> {
    return new Promise((res, rej) => {
      const socket = connect(sock);
      socket.once('error', rej);
      socket.once('connect', () => {
        socket.off('error', rej);
        res(new Connection(socket, new JsonRpcSession(socket, { logger: QUIET_LOGGER })));
      });
    });
  }

  async request(method: string, params: Json[]): Promise<Outcome> {
    try {
      return { result: await this.session.request(method, params) };
    } catch (err) {
      if (err instanceof ConnectionClosedError) return { disconnected: true };
      if (err instanceof JsonRpcError) return { error: err.error };
      throw err;
    }
  }

  close(): void {
    this.session.close();
    this.socket.destroy();
  }
}

/** Sends `text` on a new raw connection; resolves to the first JSON reply or to a hang-up. */
function rawExchange(sock: string, text: string, timeoutMs = 5000): Promise<Outcome> {
  return new Promise((res) => {
    const s = connect(sock);
    let buf = '';
    const done = (o: Outcome) => {
      clearTimeout(timer);
      s.destroy();
      res(o);
    };
    const timer = setTimeout(() => done({ error: 'no reply' }), timeoutMs);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      try {
        const msg = JSON.parse(buf) as JsonObject;
        done(msg.error !== null && msg.error !== undefined ? { error: msg.error } : { result: msg.result });
      } catch {
        // incomplete: wait for more
      }
    });
    s.on('close', () => done({ disconnected: true }));
    s.on('error', () => done({ disconnected: true }));
    s.once('connect', () => s.write(text));
  });
}

/** Runs a case's steps against one server; connections are opened as steps name them and closed after. */
export async function runSteps(endpoint: Endpoint, steps: readonly Step[]): Promise<Outcome[]> {
  const conns = new Map<number, Connection>();
  const background = new Map<string, Promise<Outcome>>();
  const outcomes: Outcome[] = [];
  const conn = async (n = 0): Promise<Connection> => {
    let c = conns.get(n);
    if (c === undefined) {
      c = await Connection.open(endpoint.sock);
      conns.set(n, c);
    }
    return c;
  };
  try {
    for (const step of steps) {
      if ('await' in step) {
        const p = background.get(step.await);
        if (p === undefined) throw new Error(`no background step ${step.await}`);
        outcomes.push(await p);
      } else if ('raw' in step) {
        outcomes.push(await rawExchange(endpoint.sock, step.raw));
      } else if ('transact' in step) {
        const c = await conn(step.conn);
        const p = c.request('transact', step.transact);
        if (step.background !== undefined) {
          background.set(step.background, p);
          await settle(c);
        } else {
          outcomes.push(await p);
        }
      } else {
        const c = await conn(step.conn);
        outcomes.push(await c.request(step.method, step.params));
      }
    }
  } finally {
    for (const c of conns.values()) c.close();
  }
  return outcomes;
}

/** Lets a request sent in the background reach the server before the next step is sent. */
async function settle(c: Connection): Promise<void> {
  await c.request('echo', []);
}

/** Deletes every root row of both databases and checks that nothing is left. */
export async function resetDatabases(
  endpoint: Endpoint,
  roots: Record<string, string[]>,
): Promise<Outcome[]> {
  const steps: Step[] = [];
  for (const [db, tables] of Object.entries(roots)) {
    steps.push({ transact: [db, ...tables.map((table) => ({ op: 'delete', table, where: [] }))] });
  }
  return runSteps(endpoint, steps);
}

const UUID_RE = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
const ELAPSED_RE = /"wait" timed out after \d+ ms/g;

/**
 * Makes one server's outcomes for a case comparable with another's: rows of a select without "sort" come
 * back in hash order, so they are sorted (by content, UUIDs masked); then every UUID is replaced by `<N>`,
 * numbered in order of first appearance; sets of UUIDs are ordered by those labels; the elapsed time in
 * a timed-out "wait" is masked.
 */
export function normalizeOutcomes(steps: readonly Step[], outcomes: readonly Outcome[]): Json {
  const masked = (r: Json) => canonical(r).replace(UUID_RE, '<uuid>');
  const sorted = outcomes.map((o, i) => sortSelectRows(requestFor(steps, i), o, masked));
  const labelled = normalizeUuids(sorted as Json) as Outcome[];
  // Rows that differ only in UUIDs are ordered by their labels.
  return labelled.map((o, i) => sortSelectRows(requestFor(steps, i), o, canonical)) as Json;
}

/** The operations whose results make up the `i`th outcome (background steps report where awaited). */
function requestFor(steps: readonly Step[], i: number): Json[] {
  const reported: Step[] = [];
  const background = new Map<string, Step>();
  for (const s of steps) {
    if ('transact' in s && s.background !== undefined) background.set(s.background, s);
    else if ('await' in s) reported.push(background.get(s.await) as Step);
    else reported.push(s);
  }
  const step = reported[i];
  return step !== undefined && 'transact' in step ? step.transact.slice(1) : [];
}

function sortSelectRows(ops: Json[], outcome: Outcome, key: (row: Json) => string): Outcome {
  if (!('result' in outcome) || !Array.isArray(outcome.result)) return outcome;
  const result = outcome.result.map((r, j) => {
    const op = ops[j];
    const unsorted = isJsonObject(op) && op.op === 'select' && op.sort === undefined;
    if (!unsorted || !isJsonObject(r) || !Array.isArray(r.rows)) return r;
    return { ...r, rows: sortRows(r.rows, key) };
  });
  return { result };
}

/** Replaces every UUID in strings by `<N>`, numbered in order of first appearance (a walk in key order). */
export function normalizeUuids(value: Json): Json {
  const names = new Map<string, string>();
  const label = (u: string): string => {
    const key = u.toLowerCase();
    let n = names.get(key);
    if (n === undefined) {
      n = `<${names.size + 1}>`;
      names.set(key, n);
    }
    return n;
  };
  const walk = (v: Json): Json => {
    if (typeof v === 'string')
      return v.replace(UUID_RE, label).replace(ELAPSED_RE, '"wait" timed out after <N> ms');
    if (Array.isArray(v)) return sortUuidSet(v.map(walk));
    if (isJsonObject(v)) {
      const out: JsonObject = {};
      for (const k of Object.keys(v).sort()) out[k] = walk(v[k]);
      return out;
    }
    return v;
  };
  return walk(value);
}

/** JSON text with object keys sorted. */
export function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isJsonObject(v)) {
    const members = Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Sorts rows by a text key. */
function sortRows(rows: Json[], key: (row: Json) => string): Json[] {
  return [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Sets of UUIDs are ordered by UUID value, which differs between servers: order their labels instead. */
function sortUuidSet(v: Json[]): Json[] {
  if (v.length !== 2 || v[0] !== 'set' || !Array.isArray(v[1])) return v;
  const elems = v[1];
  if (!elems.every((e) => Array.isArray(e) && e[0] === 'uuid' && typeof e[1] === 'string')) return v;
  return ['set', [...elems].sort((a, b) => canonical(a).localeCompare(canonical(b)))];
}
