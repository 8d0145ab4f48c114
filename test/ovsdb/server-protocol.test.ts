// `tsovs ovsdb-server` against Open vSwitch's real ovsdb-server 3.1 over raw JSON-RPC: each scenario runs
// the same requests on both servers (databases made from each side's own vswitch schema) and the replies
// and notifications, with UUIDs normalised, must be equal. Covers list_dbs, get_schema, the _Server
// database, monitor/monitor_cond/monitor_cond_since/monitor_cond_change/monitor_cancel, locks, echo,
// cancel, blocking waits, set_db_change_aware and malformed or abandoned requests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { isJsonObject, type Json, type JsonObject } from '../../src/jsonrpc/json.js';
import { ConnectionClosedError, type JsonRpcError, JsonRpcSession } from '../../src/jsonrpc/session.js';
import { JsonSplitter } from '../../src/jsonrpc/stream.js';
import { type DbServer, startRealServer, startTsovsServer, waitFor } from '../helpers/daemons.js';
import { hasBinary, requireBinaries } from '../helpers/ovs.js';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const QUIET = { warn: () => {}, info: () => {}, debug: () => {} };

/** What a request got: its result, its error, or nothing because the connection went away. */
type Outcome = { result: Json } | { error: Json } | { disconnected: true };

/** A raw JSON-RPC client that records every message the server sends, in arrival order. */
class Peer {
  /** Every message received, as decoded JSON, in arrival order. */
  readonly received: JsonObject[] = [];
  readonly session: JsonRpcSession;
  closed = false;
  private readonly notes: [string, Json[]][] = [];
  private wake: (() => void) | null = null;

  private constructor(readonly socket: Socket) {
    const splitter = new JsonSplitter({ maxMessageBytes: 1 << 30 });
    socket.on('data', (chunk: Buffer) => {
      for (const v of splitter.feed(chunk).values) if (isJsonObject(v)) this.received.push(v);
    });
    this.session = new JsonRpcSession(socket, {
      logger: QUIET,
      maxMessageBytes: 1 << 30,
      onNotification: (method, params) => {
        this.notes.push([method, params]);
        this.wake?.();
      },
    });
    this.session.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Connects to a unix socket path, or to a tcp port on 127.0.0.1. */
  static async open(target: string | number): Promise<Peer> {
    const socket = typeof target === 'number' ? connect(target, '127.0.0.1') : connect(target);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const peer = new Peer(socket);
    openPeers.add(peer);
    return peer;
  }

  /** Sends a request and waits for its outcome. */
  call(method: string, params: Json[]): Promise<Outcome> {
    return this.session.request(method, params).then(
      (result) => ({ result }),
      (err: unknown) =>
        err instanceof ConnectionClosedError
          ? { disconnected: true }
          : { error: (err as JsonRpcError).error },
    );
  }

  /** Sends bytes as they are; resolves once the kernel has them. */
  sendRaw(text: string): Promise<void> {
    return new Promise((resolve) => this.socket.write(text, () => resolve()));
  }

  /** The next notification, waiting for it up to `timeoutMs`. */
  async nextNote(timeoutMs = 5000): Promise<[string, Json[]]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const note = this.notes.shift();
      if (note !== undefined) return note;
      if (this.closed) throw new Error('connection closed while waiting for a notification');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a notification');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Notifications received and not yet taken by nextNote(). */
  get pendingNotes(): number {
    return this.notes.length;
  }

  /** Takes every notification received so far, sorted (one commit's updates to several monitors). */
  drain(): Json[] {
    const notes = this.notes.splice(0).map(([method, params]) => ({ method, params }) as Json);
    return notes.sort((x, y) => compareText(masked(JSON.stringify(x)), masked(JSON.stringify(y))));
  }

  /** True once the server has closed the connection (waits up to `timeoutMs`). */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    try {
      await waitFor(() => this.closed, timeoutMs, 'disconnect');
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    openPeers.delete(this);
    this.session.close();
    this.socket.destroy();
  }
}

const openPeers = new Set<Peer>();

// ---- normalising replies of two servers for comparison ----

function masked(text: string): string {
  return text.replace(UUID_RE, (u) => (u === ZERO_UUID ? u : '*'));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorts what the servers order by hash or by UUID value — object members (row UUIDs as keys) and set or
 * map elements — by their text with UUIDs masked, so that UUIDs can then be numbered in order of
 * appearance. (Scenarios avoid ties: rows that differ only in UUIDs.)
 */
function canonical(json: Json): Json {
  if (Array.isArray(json)) {
    const items = json.map(canonical);
    if (items.length === 2 && (items[0] === 'set' || items[0] === 'map') && Array.isArray(items[1])) {
      const elems = [...items[1]];
      elems.sort((x, y) => compareText(masked(JSON.stringify(x)), masked(JSON.stringify(y))));
      return [items[0], elems];
    }
    return items;
  }
  if (!isJsonObject(json)) return json;
  const entries = Object.entries(json).map(([k, v]) => [k, canonical(v)] as const);
  const key = (e: readonly [string, Json]) => masked(`${e[0]}\u0000${JSON.stringify(e[1])}`);
  entries.sort((x, y) => compareText(key(x), key(y)));
  const out: JsonObject = {};
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** Replaces each UUID (except the all-zero one) by `<uuidN>`, N counting distinct UUIDs as they appear. */
function normalise(json: Json): Json {
  const names = new Map<string, string>();
  const rename = (s: string) =>
    s.replace(UUID_RE, (u) => {
      if (u === ZERO_UUID) return u;
      let n = names.get(u);
      if (n === undefined) {
        n = `<uuid${names.size}>`;
        names.set(u, n);
      }
      return n;
    });
  const walk = (j: Json): Json => {
    if (typeof j === 'string') return rename(j);
    if (Array.isArray(j)) return j.map(walk);
    if (!isJsonObject(j)) return j;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(j)) out[rename(k)] = walk(v);
    return out;
  };
  return walk(canonical(json));
}

/** Copies JSON with object members sorted (to check "compact JSON with sorted keys"). */
function sortedKeys(json: Json): Json {
  if (Array.isArray(json)) return json.map(sortedKeys);
  if (!isJsonObject(json)) return json;
  const out: JsonObject = {};
  for (const k of Object.keys(json).sort()) out[k] = sortedKeys(json[k]);
  return out;
}

function baseType(b: Json): JsonObject {
  const base: JsonObject = typeof b === 'string' ? { type: b } : { ...(b as JsonObject) };
  if (base.refTable !== undefined && base.refType === undefined) base.refType = 'strong';
  return base;
}

/** A schema reduced to its meaning: every default written out, the checksum left out. */
function schemaMeaning(schema: Json): Json {
  const s = schema as JsonObject;
  const tables = s.tables as JsonObject;
  const anyRoot = Object.values(tables).some((t) => (t as JsonObject).isRoot !== undefined);
  const out: JsonObject = {};
  for (const [name, t] of Object.entries(tables)) {
    const tj = t as JsonObject;
    const columns: JsonObject = {};
    for (const [cname, c] of Object.entries(tj.columns as JsonObject)) {
      const cj = c as JsonObject;
      const ty = typeof cj.type === 'string' ? { key: cj.type } : (cj.type as JsonObject);
      columns[cname] = {
        key: baseType(ty.key),
        value: ty.value === undefined ? null : baseType(ty.value),
        min: ty.min ?? 1,
        max: ty.max ?? 1,
        mutable: cj.mutable ?? true,
        ephemeral: cj.ephemeral ?? false,
      };
    }
    out[name] = {
      columns,
      isRoot: anyRoot ? tj.isRoot === true : true,
      maxRows: tj.maxRows ?? null,
      indexes: tj.indexes ?? [],
    };
  }
  return sortedKeys({ name: s.name, version: s.version, tables: out });
}

/** Replaces every "schema" string member (the _Server column) by its meaning. */
function withSchemaMeaning(json: Json): Json {
  if (Array.isArray(json)) return json.map(withSchemaMeaning);
  if (!isJsonObject(json)) return json;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(json)) {
    out[k] =
      k === 'schema' && typeof v === 'string' ? schemaMeaning(JSON.parse(v) as Json) : withSchemaMeaning(v);
  }
  return out;
}

/** A message as its meaning: a reply's id and result or error, a notification's method and params. */
function messageMeaning(m: JsonObject): Json {
  if (m.method !== undefined && m.id === null) return { notify: m.method, params: m.params ?? null };
  if (m.method !== undefined) return { request: m.method, params: m.params ?? null };
  if (m.error !== undefined && m.error !== null) return { id: m.id ?? null, error: m.error };
  return { id: m.id ?? null, result: m.result ?? null };
}

// ---- the servers ----

let ours: DbServer;
let theirs: DbServer | undefined;
const haveOvs = hasBinary('ovsdb-server') && hasBinary('ovsdb-tool');

/** One transact from a short-lived connection. */
async function transact(s: DbServer, ...ops: Json[]): Promise<Outcome> {
  const p = await Peer.open(s.sock);
  try {
    return await p.call('transact', ['Open_vSwitch', ...ops]);
  } finally {
    p.close();
  }
}

/** Removes the rows the scenarios make, so that each starts from the same state on both servers. */
async function reset(s: DbServer): Promise<void> {
  const out = await transact(
    s,
    { op: 'delete', table: 'QoS', where: [] },
    { op: 'delete', table: 'Queue', where: [] },
    { op: 'update', table: 'Open_vSwitch', where: [], row: { iface_types: ['set', []] } },
  );
  assert.ok('result' in out, JSON.stringify(out));
}

/**
 * Runs `scenario` on both servers (from the same state), compares what each returns with UUIDs
 * normalised, and returns our normalised transcript; skips when Open vSwitch is not installed.
 */
async function sameOnBoth(t: TestContext, scenario: (s: DbServer) => Promise<Json>): Promise<Json> {
  if (!requireBinaries(t, 'ovsdb-server', 'ovsdb-tool') || theirs === undefined) return null;
  await Promise.all([reset(ours), reset(theirs)]);
  const [a, b] = await Promise.all([scenario(ours), scenario(theirs)]);
  const mine = normalise(a);
  if (process.env.TSOVS_TEST_VERBOSE) t.diagnostic(JSON.stringify(mine));
  assert.deepStrictEqual(mine, normalise(b));
  return mine;
}

function qos(type: string, extra: JsonObject = {}): Json {
  return { op: 'insert', table: 'QoS', row: { type, ...extra } };
}

function updateQos(type: string, row: JsonObject): Json {
  return { op: 'update', table: 'QoS', where: [['type', '==', type]], row };
}

function map(pairs: Record<string, string>): Json {
  return ['map', Object.entries(pairs)];
}

/** Sends an echo on each peer and waits for the replies, so everything sent before has arrived. */
async function sync(...peers: Peer[]): Promise<void> {
  await Promise.all(peers.map((p) => p.call('echo', ['sync'])));
}

/** Waits for a reply, then for what `watcher` was notified of before then (sync by echo). */
async function observe(watcher: Peer, action: Promise<Outcome>): Promise<Json> {
  const reply = await action;
  await sync(watcher);
  return { reply, notes: watcher.drain() };
}

/** A free tcp port on 127.0.0.1 (bound and released; the server asked to use it binds it right after). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const addr = srv.address();
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  if (addr === null || typeof addr !== 'object') throw new Error('no port');
  return addr.port;
}

describe('ovsdb-server JSON-RPC protocol, tsovs against Open vSwitch', { timeout: 180000 }, () => {
  before(async () => {
    ours = await startTsovsServer();
    if (haveOvs) theirs = await startRealServer();
    for (const s of [ours, theirs]) {
      if (s === undefined) continue;
      const out = await transact(s, { op: 'insert', table: 'Open_vSwitch', row: {} });
      assert.ok('result' in out);
    }
  });

  afterEach(() => {
    for (const p of [...openPeers]) p.close();
  });

  after(async () => {
    for (const p of [...openPeers]) p.close();
    await ours?.cleanup();
    await theirs?.cleanup();
  });

  it('list_dbs names both databases; get_server_id is a UUID', async (t) => {
    const out = await sameOnBoth(t, async (s) => {
      const p = await Peer.open(s.sock);
      const dbs = await p.call('list_dbs', []);
      const withExtra = await p.call('list_dbs', ['x']);
      const sid = await p.call('get_server_id', []);
      const sorted = (o: Outcome) => ('result' in o ? [...(o.result as string[])].sort() : o);
      return {
        dbs: sorted(dbs),
        withExtra: sorted(withExtra),
        sid: 'result' in sid && typeof sid.result === 'string' && /^[0-9a-f-]{36}$/.test(sid.result),
      };
    });
    if (out !== null)
      assert.deepStrictEqual(out, {
        dbs: ['Open_vSwitch', '_Server'],
        withExtra: ['Open_vSwitch', '_Server'],
        sid: true,
      });
  });

  it('get_schema of Open_vSwitch and _Server (same meaning), and its errors', async (t) => {
    await sameOnBoth(t, async (s) => {
      const p = await Peer.open(s.sock);
      const out: JsonObject = {};
      for (const db of ['Open_vSwitch', '_Server']) {
        const r = await p.call('get_schema', [db]);
        out[db] = 'result' in r ? schemaMeaning(r.result) : r;
      }
      out.unknown = await p.call('get_schema', ['Nope']);
      out.none = await p.call('get_schema', []);
      out.notString = await p.call('get_schema', [5]);
      return out;
    });
  });

  it('_Server: a Database row per database (itself included), by select and by monitor_cond', async (t) => {
    const out = await sameOnBoth(t, async (s) => {
      const p = await Peer.open(s.sock);
      const columns = ['name', 'model', 'connected', 'leader', 'schema', 'cid', 'sid', 'index'];
      const sel = await p.call('transact', [
        '_Server',
        { op: 'select', table: 'Database', where: [], columns },
      ]);
      const rows = 'result' in sel ? ((sel.result as JsonObject[])[0].rows as JsonObject[]) : [];
      rows.sort((a, b) => compareText(String(a.name), String(b.name)));
      const sortedSchemas = rows.every(
        (r) => r.schema === JSON.stringify(sortedKeys(JSON.parse(String(r.schema)) as Json)),
      );
      const mon = await p.call('monitor_cond', [
        '_Server',
        ['monid', '_Server'],
        { Database: [{ columns: ['name', 'model', 'connected', 'leader', 'schema', 'cid', 'index'] }] },
      ]);
      return withSchemaMeaning({ rows, sortedSchemas, mon } as JsonObject);
    });
    if (out !== null) assert.equal((out as JsonObject).sortedSchemas, true);
  });

  it('_Server is read-only: writes fail per operation with "not allowed"', async (t) => {
    await sameOnBoth(t, async (s) => {
      const p = await Peer.open(s.sock);
      const row = { name: 'x', model: 'standalone', connected: true, leader: true };
      return [
        await p.call('transact', ['_Server', { op: 'insert', table: 'Database', row }]),
        await p.call('transact', [
          '_Server',
          { op: 'select', table: 'Database', where: [['name', '==', '_Server']], columns: ['name'] },
          { op: 'delete', table: 'Database', where: [['name', '==', 'x']] },
          { op: 'comment', comment: 'never runs' },
        ]),
        await p.call('transact', [
          '_Server',
          { op: 'update', table: 'Database', where: [], row: { leader: false } },
        ]),
        await p.call('transact', ['_Server', { op: 'mutate', table: 'Database', where: [], mutations: [] }]),
        await p.call('transact', [
          '_Server',
          { op: 'comment', comment: 'fine' },
          { op: 'assert', lock: 'nobody' },
        ]),
      ];
    });
  });

  it('monitor (v1): initial rows, then insert, modify (old/new) and delete; unmonitored changes send nothing', async (t) => {
    await sameOnBoth(t, async (s) => {
      const w = await Peer.open(s.sock);
      const tx = (...ops: Json[]) => w.call('transact', ['Open_vSwitch', ...ops]);
      await tx(qos('v1-a', { external_ids: map({ k: 'v' }) }), {
        op: 'insert',
        table: 'Queue',
        row: { dscp: 3 },
      });
      const a = await Peer.open(s.sock);
      return [
        await a.call('monitor', [
          'Open_vSwitch',
          'mon-1',
          { QoS: { columns: ['type', 'external_ids'] }, Queue: [{ columns: ['dscp', 'external_ids'] }] },
        ]),
        await observe(a, tx(qos('v1-b', { other_config: map({ o: '1' }) }))),
        await observe(a, tx(updateQos('v1-a', { external_ids: map({ k: 'v2', k3: 'v3' }) }))),
        await observe(a, tx(updateQos('v1-a', { other_config: map({ x: 'y' }) }))),
        await observe(a, tx({ op: 'update', table: 'Queue', where: [], row: { dscp: 4 } })),
        await observe(a, tx({ op: 'delete', table: 'QoS', where: [['type', '==', 'v1-b']] })),
        await observe(a, tx({ op: 'delete', table: 'Queue', where: [] })),
      ];
    });
  });

  it('monitor: select flags (initial/insert/delete/modify false), per-request columns and selects', async (t) => {
    await sameOnBoth(t, async (s) => {
      const w = await Peer.open(s.sock);
      const tx = (...ops: Json[]) => w.call('transact', ['Open_vSwitch', ...ops]);
      await tx(qos('sel-a'), { op: 'insert', table: 'Queue', row: {} });
      const a = await Peer.open(s.sock);
      return [
        await a.call('monitor', [
          'Open_vSwitch',
          ['sel'],
          {
            QoS: [
              { columns: ['type'], select: { initial: false, modify: false, delete: false } },
              { columns: ['external_ids'], select: { initial: false, insert: false } },
            ],
            Queue: { columns: ['dscp'], select: { initial: false } },
          },
        ]),
        await observe(a, tx(qos('sel-b', { external_ids: map({ a: '1' }) }))),
        await observe(a, tx(updateQos('sel-b', { type: 'sel-c' }))),
        await observe(a, tx(updateQos('sel-c', { external_ids: map({ a: '2' }) }))),
        await observe(a, tx({ op: 'delete', table: 'QoS', where: [['type', '==', 'sel-c']] })),
        await a.call('monitor_cond', [
          'Open_vSwitch',
          'sel2',
          {
            QoS: [
              { columns: ['type'], select: { initial: true, insert: false, delete: true, modify: false } },
            ],
          },
        ]),
        await observe(a, tx(qos('sel-d'))),
        await observe(a, tx(updateQos('sel-d', { type: 'sel-e' }))),
        await observe(a, tx({ op: 'delete', table: 'QoS', where: [['type', '==', 'sel-a']] })),
        await observe(a, tx({ op: 'update', table: 'Queue', where: [], row: { dscp: 2 } })),
      ];
    });
  });

  it('monitor_cond: rows entering and leaving the condition, update2 diffs of maps, sets and optional columns', async (t) => {
    await sameOnBoth(t, async (s) => {
      const w = await Peer.open(s.sock);
      const tx = (...ops: Json[]) => w.call('transact', ['Open_vSwitch', ...ops]);
      const ovs = (mutations: Json) => tx({ op: 'mutate', table: 'Open_vSwitch', where: [], mutations });
      const queue = (row: JsonObject) => tx({ op: 'update', table: 'Queue', where: [], row });
      await tx(qos('c-x', { external_ids: map({ a: '1', b: '2' }) }), qos('c-y'));
      const a = await Peer.open(s.sock);
      return [
        await a.call('monitor_cond', [
          'Open_vSwitch',
          ['m', 'cond'],
          {
            QoS: [
              {
                columns: ['type', 'external_ids'],
                where: [
                  ['type', '==', 'c-x'],
                  ['type', '==', 'c-z'],
                ],
              },
            ],
            Open_vSwitch: [{ columns: ['iface_types'] }],
            Queue: [{ columns: ['dscp', 'external_ids'], where: [true] }],
          },
        ]),
        await observe(a, tx(updateQos('c-x', { external_ids: map({ a: 'X', c: '3' }) }))),
        await observe(a, tx(updateQos('c-y', { type: 'c-z' }))),
        await observe(a, tx(updateQos('c-x', { type: 'c-w' }))),
        await observe(a, tx(qos('c-q'))),
        await observe(a, ovs([['iface_types', 'insert', ['set', ['t1', 't2']]]])),
        await observe(
          a,
          ovs([
            ['iface_types', 'delete', 't1'],
            ['iface_types', 'insert', 't3'],
          ]),
        ),
        await observe(a, tx({ op: 'insert', table: 'Queue', row: { dscp: 1 } })),
        await observe(a, queue({ dscp: 5 })),
        await observe(a, queue({ dscp: ['set', []], external_ids: map({ e: '1' }) })),
        await a.call('monitor_cond', [
          'Open_vSwitch',
          'false',
          { QoS: [{ columns: ['type'], where: [false] }] },
        ]),
        await a.call('monitor_cond', ['Open_vSwitch', 'empty', { QoS: [{ columns: ['type'], where: [] }] }]),
        await a.call('monitor_cond', ['Open_vSwitch', 'bad', { QoS: [{ columns: ['type'], where: 5 }] }]),
        await a.call('monitor_cond', ['Open_vSwitch', 'bad', { QoS: [{ where: [['type', '==', 5]] }] }]),
        await a.call('monitor', ['Open_vSwitch', 'bad', { QoS: [{ where: [] }] }]),
      ];
    });
  });

  it('monitor_cond_since: [false, zero last-txn-id, initial], update3 carries the zero id; its errors', async (t) => {
    const out = await sameOnBoth(t, async (s) => {
      const w = await Peer.open(s.sock);
      await w.call('transact', ['Open_vSwitch', qos('s-a')]);
      const a = await Peer.open(s.sock);
      const req = (id: Json, last: Json) => ['Open_vSwitch', id, { QoS: [{ columns: ['type'] }] }, last];
      return [
        await a.call('monitor_cond_since', req(['monid', 'Open_vSwitch'], ZERO_UUID)),
        await a.call('monitor_cond_since', req('other', '12345678-1234-1234-1234-123456789abc')),
        await a.call('monitor_cond_since', req('bad1', 5)),
        await a.call('monitor_cond_since', req('bad2', 'not-a-uuid')),
        await a.call('monitor_cond_since', ['Open_vSwitch', 'bad3', {}]),
        await a.call('monitor_cond', ['Open_vSwitch', 'bad4', {}, ZERO_UUID]),
        await observe(a, w.call('transact', ['Open_vSwitch', qos('s-b')])),
      ];
    });
    if (out !== null) {
      const first = ((out as Json[])[0] as { result: Json[] }).result;
      assert.deepStrictEqual(first.slice(0, 2), [false, ZERO_UUID]);
    }
  });

  it('monitor_cond_change: rows entering/leaving the new condition are sent before the reply; renames; errors', async (t) => {
    await sameOnBoth(t, async (s) => {
      const w = await Peer.open(s.sock);
      const tx = (...ops: Json[]) => w.call('transact', ['Open_vSwitch', ...ops]);
      await tx(qos('cc-a'), qos('cc-b', { external_ids: map({ n: '1' }) }));
      const a = await Peer.open(s.sock);
      const change = async (params: Json[]) => {
        const seen = a.received.length;
        const reply = await a.call('monitor_cond_change', params);
        const order = a.received.slice(seen).map(messageMeaning);
        a.drain();
        return { reply, order };
      };
      return [
        await a.call('monitor_cond', [
          'Open_vSwitch',
          'c1',
          { QoS: [{ columns: ['type', 'external_ids'], where: [['type', '==', 'cc-a']] }] },
        ]),
        await a.call('monitor_cond_since', [
          'Open_vSwitch',
          'c3',
          { QoS: [{ columns: ['type'] }] },
          ZERO_UUID,
        ]),
        await a.call('monitor', ['Open_vSwitch', 'c-v1', { QoS: { columns: ['type'] } }]),
        await change(['c1', 'c2', { QoS: [{ where: [['type', '==', 'cc-b']] }] }]),
        await change(['c3', 'c3', { QoS: [{ where: [['type', '==', 'cc-a']] }] }]),
        await change(['c-v1', 'c-v1', { QoS: [{ where: [['type', '==', 'zz']] }] }]),
        await observe(a, tx(updateQos('cc-a', { type: 'cc-a2' }))),
        await observe(a, tx(updateQos('cc-b', { external_ids: map({ n: '3' }) }))),
        await change(['c1', 'c9', { QoS: [{ where: [] }] }]),
        await change(['c2', 'c3', { QoS: [{ where: [] }] }]),
        await change(['c2', 'c2', { QoS: { where: [] } }]),
        await change(['c2', 'c2', { Queue: [{ where: [] }] }]),
        await change(['c2', 'c2', { Nope: [{ where: [] }] }]),
        await change(['c2', 'c2', { QoS: [{ columns: ['type'] }] }]),
        await change(['c2', 'c2', { QoS: [{ where: 5 }] }]),
        await change(['c2', 'c2', 5]),
        await change(['c2', 'c2']),
      ];
    });
  });

  it('monitor_cancel stops updates; unknown ids, bad params and duplicate monitor ids are errors', async (t) => {
    await sameOnBoth(t, async (s) => {
      const w = await Peer.open(s.sock);
      const tx = (...ops: Json[]) => w.call('transact', ['Open_vSwitch', ...ops]);
      const a = await Peer.open(s.sock);
      const mon = (params: Json[]) => a.call('monitor', ['Open_vSwitch', ...params]);
      const log: Json[] = [];
      for (const id of ['x', null, ['a', 1], { o: 1 }]) {
        log.push(await mon([id, { QoS: { columns: ['type'] } }]));
        log.push(await a.call('monitor_cond', ['Open_vSwitch', id, { QoS: [{ columns: ['type'] }] }]));
      }
      log.push(await mon(['q', { Queue: { columns: ['dscp'] } }]));
      for (const id of ['x', null, ['a', 1]]) log.push(await a.call('monitor_cancel', [id]));
      log.push(
        await a.call('monitor_cancel', ['x']),
        await a.call('monitor_cancel', []),
        await a.call('monitor_cancel', ['x', 'y']),
        await observe(a, tx(qos('mc-1'))),
        await observe(a, tx({ op: 'insert', table: 'Queue', row: { dscp: 7 } })),
        await mon(['n', { Nope: {} }]),
        await mon(['n', 5]),
        await a.call('monitor', ['Nope', 'n', {}]),
        await mon(['n', { QoS: 5 }]),
        await mon(['n', { QoS: { columns: ['nope'] } }]),
        await mon(['n', { QoS: { columns: [1] } }]),
        await mon(['n', { QoS: { columns: 'type' } }]),
        await mon(['n', { QoS: { select: { insert: 1 } } }]),
        await mon(['n', { QoS: { select: { nope: true } } }]),
        await mon(['n', { QoS: { extra: 1 } }]),
        await mon(['n', { QoS: [{ columns: ['type'] }, { columns: ['type'] }] }]),
        await mon(['n', { QoS: [{ columns: ['type'] }, {}] }]),
        await mon(['n', { QoS: [{ columns: ['_uuid', '_version', 'type'] }] }]),
      );
      return log;
    });
  });

  it('updates of a client’s own transaction arrive before its transact reply', async (t) => {
    await sameOnBoth(t, async (s) => {
      const a = await Peer.open(s.sock);
      await a.call('monitor_cond_since', [
        'Open_vSwitch',
        ['monid', 'Open_vSwitch'],
        { QoS: [{ columns: ['type'] }] },
        ZERO_UUID,
      ]);
      const seen = a.received.length;
      await a.call('transact', ['Open_vSwitch', qos('own')]);
      return a.received.slice(seen).map(messageMeaning);
    });
  });

  it('lock, steal and unlock across two connections; locked/stolen notifications; release on disconnect', async (t) => {
    await sameOnBoth(t, async (s) => {
      const a = await Peer.open(s.sock);
      const b = await Peer.open(s.sock);
      const log: Json[] = [];
      const step = async (who: Peer, method: string, params: Json[]) => {
        const [sa, sb] = [a.received.length, b.received.length];
        await who.call(method, params);
        await sync(a, b);
        log.push({
          step: `${who === a ? 'A' : 'B'} ${method} ${JSON.stringify(params)}`,
          a: a.received.slice(sa).map(messageMeaning),
          b: b.received.slice(sb).map(messageMeaning),
        });
      };
      const assertLock = (who: Peer) => step(who, 'transact', ['Open_vSwitch', { op: 'assert', lock: 'L' }]);
      await step(a, 'lock', ['L']);
      await step(a, 'lock', ['L']);
      await assertLock(a);
      await step(b, 'lock', ['L']);
      await step(b, 'steal', ['L']);
      await assertLock(b);
      await step(a, 'unlock', ['L']);
      await assertLock(b);
      await step(a, 'steal', ['L']);
      await step(b, 'unlock', ['L']);
      await step(b, 'steal', ['L']);
      await step(a, 'unlock', ['L']);
      await step(a, 'lock', ['L']);
      await step(b, 'unlock', ['L']);
      await step(b, 'unlock', ['L']);
      await step(b, 'lock', ['L']);
      for (const bad of [[], [5], ['a', 'b'], ['bad name!']]) await step(a, 'lock', bad);
      await step(a, 'steal', []);
      await step(a, 'unlock', ['M']);
      b.drain();
      a.close();
      const note = await b.nextNote();
      await sync(b);
      log.push({ step: 'A disconnects', note, more: b.drain() });
      await assertLock(b);
      return log;
    });
  });

  it('echo both ways: the server answers echo; on tcp it probes an idle client, whose answer keeps it connected', async (t) => {
    if (!requireBinaries(t, 'ovsdb-server', 'ovs-appctl') || theirs === undefined) return;
    const outs = await Promise.all(
      [ours, theirs].map(async (s) => {
        const port = await freePort();
        const ctl = join(s.dir, 'ovsdb-server.ctl');
        const add = spawnSync('ovs-appctl', ['-t', ctl, 'ovsdb-server/add-remote', `ptcp:${port}:127.0.0.1`]);
        assert.equal(add.status, 0, String(add.stderr));
        await waitFor(
          async () => {
            try {
              (await Peer.open(port)).close();
              return true;
            } catch {
              return false;
            }
          },
          5000,
          `tcp port ${port}`,
        );
        const u = await Peer.open(s.sock);
        const echo = await u.call('echo', ['hello', { x: 1 }, [1, 2]]);
        const p = await Peer.open(port);
        const started = Date.now();
        await waitFor(() => p.received.length >= 2 || p.closed, 15000, 'two probes');
        const elapsed = Date.now() - started;
        const stillOpen = !p.closed;
        return {
          echo,
          probes: p.received.slice(0, 2),
          stillOpen,
          elapsedOk: elapsed > 9000 && elapsed < 12500,
        };
      }),
    );
    assert.deepStrictEqual(outs[0], outs[1]);
    assert.deepStrictEqual(outs[0].probes, [
      { method: 'echo', params: [], id: 'echo' },
      { method: 'echo', params: [], id: 'echo' },
    ]);
    assert.equal(outs[0].stillOpen, true);
  });

  it('cancel: a blocked transact is dropped unanswered, or answered "canceled" when db-change-aware', async (t) => {
    await sameOnBoth(t, async (s) => {
      const waitOp = (ms: number) => ({
        op: 'wait',
        table: 'QoS',
        where: [['type', '==', 'never']],
        columns: ['type'],
        until: '==',
        rows: [{ type: 'never' }],
        timeout: ms,
      });
      const a = await Peer.open(s.sock);
      const b = await Peer.open(s.sock);
      await a.sendRaw(
        JSON.stringify({ id: 'blk', method: 'transact', params: ['Open_vSwitch', waitOp(400)] }),
      );
      await sync(a);
      await a.sendRaw(
        JSON.stringify({ id: 'blk', method: 'transact', params: ['Open_vSwitch', waitOp(400)] }),
      );
      await sync(a);
      a.session.notify('cancel', ['blk']);
      a.session.notify('cancel', ['unknown-id']);
      const asRequest = await a.call('cancel', ['blk']);
      // Past the wait's own 400 ms timeout: still no reply.
      const since = Date.now();
      await waitFor(
        () =>
          Date.now() - since >= 900 || a.received.some((m) => m.id === 'blk' && (m.result ?? null) !== null),
        5000,
      );
      await sync(a);
      const aMessages = a.received.map(messageMeaning);
      const aware = await b.call('set_db_change_aware', [true]);
      await b.sendRaw(
        JSON.stringify({ id: 'blk2', method: 'transact', params: ['Open_vSwitch', waitOp(5000)] }),
      );
      await sync(b);
      b.session.notify('cancel', ['blk2']);
      await sync(b);
      const bMessages = b.received.map(messageMeaning);
      return { asRequest, aMessages, aware, bMessages };
    });
  });

  it('a blocked wait completes when another client commits what it waits for; one that stays unmet times out', async (t) => {
    await sameOnBoth(t, async (s) => {
      const a = await Peer.open(s.sock);
      const b = await Peer.open(s.sock);
      const wait = (timeout: number) => ({
        op: 'wait',
        table: 'QoS',
        where: [['type', '==', 'w-1']],
        columns: ['type'],
        until: '==',
        rows: [{ type: 'w-1' }],
        timeout,
      });
      const pending = a.call('transact', [
        'Open_vSwitch',
        wait(10000),
        { op: 'insert', table: 'Queue', row: { dscp: 9 } },
      ]);
      await sync(a);
      const echoWhileBlocked = await a.call('echo', ['still here']);
      const other = await b.call('transact', ['Open_vSwitch', qos('w-0')]);
      const commit = await b.call('transact', ['Open_vSwitch', qos('w-1')]);
      const done = await pending;
      const timedOut = await a.call('transact', ['Open_vSwitch', { ...wait(100), until: '!=' }]);
      const tag = 'result' in timedOut ? ((timedOut.result as JsonObject[])[0].error ?? null) : timedOut;
      const queue = await b.call('transact', [
        'Open_vSwitch',
        { op: 'select', table: 'Queue', where: [], columns: ['dscp'] },
      ]);
      return { echoWhileBlocked, other, commit, done, tag, queue };
    });
  });

  it('unknown methods get "unknown method"; set_db_change_aware checks its parameter', async (t) => {
    await sameOnBoth(t, async (s) => {
      const a = await Peer.open(s.sock);
      return [
        await a.call('frobnicate', []),
        await a.call('convert_nothing', [1]),
        await a.call('set_db_change_aware', [true]),
        await a.call('set_db_change_aware', [false]),
        await a.call('set_db_change_aware', []),
        await a.call('set_db_change_aware', ['yes']),
        await a.call('set_db_change_aware', [true, false]),
        await a.call('echo', ['after']),
        await a.call('transact', ['Nope', { op: 'comment', comment: 'x' }]),
        await a.call('transact', []),
        await a.call('transact', [1]),
        await a.call('transact', ['Open_vSwitch']),
      ];
    });
  });

  it('malformed traffic drops only that connection; others carry on', async (t) => {
    await sameOnBoth(t, async (s) => {
      const bystander = await Peer.open(s.sock);
      const cases = [
        '{"method":"echo","params":[],"id":1]]',
        '[1,2]',
        '{"method":"echo","id":1}',
        '{"method":"echo","params":{},"id":1}',
        '{"method":"echo","params":[],"id":1,"extra":1}',
        '{"method":5,"params":[],"id":1}',
        '"just a string"',
      ];
      const out: Json[] = [];
      for (const text of cases) {
        const p = await Peer.open(s.sock);
        await p.sendRaw(text);
        const closed = await p.closedWithin(3000);
        out.push({ text, closed, got: p.received.map(messageMeaning) });
      }
      out.push(await bystander.call('echo', ['alive']));
      const fresh = await Peer.open(s.sock);
      out.push(
        await fresh.call('list_dbs', []).then((o) => ('result' in o ? (o.result as string[]).sort() : o)),
      );
      return out;
    });
  });

  it('a large message is accepted by both; past 64 MiB ours drops that connection and serves the others', async (t) => {
    await sameOnBoth(t, async (s) => {
      const a = await Peer.open(s.sock);
      const big = 'x'.repeat(4 * 1024 * 1024);
      const r = await a.call('echo', [big]);
      return { same: 'result' in r && (r.result as string[])[0] === big };
    });
    const bystander = await Peer.open(ours.sock);
    const p = await Peer.open(ours.sock);
    const chunk = 'y'.repeat(1024 * 1024);
    await p.sendRaw('{"method":"echo","id":1,"params":["');
    for (let i = 0; i < 65 && !p.closed; i++) {
      await new Promise<void>((resolve) => p.socket.write(chunk, () => resolve()));
    }
    assert.equal(await p.closedWithin(5000), true);
    assert.deepStrictEqual(await bystander.call('echo', ['alive']), { result: ['alive'] });
  });

  it('clients that disconnect mid-request, mid-wait or mid-monitor leave the server serving', async (t) => {
    await sameOnBoth(t, async (s) => {
      const half = await Peer.open(s.sock);
      await half.sendRaw(
        '{"method":"transact","params":["Open_vSwitch",{"op":"insert","table":"QoS","row":{"type":"h',
      );
      half.close();
      const waiter = await Peer.open(s.sock);
      await waiter.sendRaw(
        JSON.stringify({
          id: 1,
          method: 'transact',
          params: [
            'Open_vSwitch',
            { op: 'wait', table: 'QoS', where: [], until: '==', rows: [{ type: 'zz' }], columns: ['type'] },
            qos('d-late'),
          ],
        }),
      );
      await sync(waiter);
      waiter.close();
      const mon = await Peer.open(s.sock);
      await mon.sendRaw(
        JSON.stringify({
          id: 1,
          method: 'monitor',
          params: ['Open_vSwitch', 'm', { QoS: {}, Open_vSwitch: {} }],
        }),
      );
      mon.close();
      const locker = await Peer.open(s.sock);
      await locker.call('lock', ['D']);
      locker.close();
      const b = await Peer.open(s.sock);
      const lock = await b.call('lock', ['D']);
      const granted = 'result' in lock && (lock.result as JsonObject).locked === true;
      const log: Json[] = [{ holdsLock: granted || (await b.nextNote())[0] === 'locked' }];
      log.push(
        await b.call('transact', [
          'Open_vSwitch',
          qos('d-1'),
          { op: 'select', table: 'QoS', where: [], columns: ['type'] },
        ]),
      );
      log.push(await b.call('echo', ['alive']));
      return log;
    });
  });

  it('error replies carry no "result" member, as ovsdb-server writes them', async (t) => {
    if (!requireBinaries(t, 'ovsdb-server')) return;
    const a = await Peer.open(ours.sock);
    await a.call('frobnicate', []);
    const reply = a.received.find((m) => m.error !== undefined && m.error !== null);
    assert.deepStrictEqual(Object.keys(reply ?? {}), ['id', 'error']);
  });
});
