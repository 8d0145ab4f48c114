// Crash safety of `tsovs ovsdb-server`: concurrent clients stream small transactions, the server is
// SIGKILLed after a random number of acknowledged ones, restarted on the same file, and every acknowledged
// effect must be there, with no dangling reference; torn tails (real and simulated) are cut and logged.
// After the last cycle the real ovsdb-tool reads the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isJsonObject, type Json, type JsonObject } from '../../src/jsonrpc/json.js';
import type { JsonRpcSession } from '../../src/jsonrpc/session.js';
import { frameRecord, scanLog } from '../../src/ovsdb/log.js';
import { makeTxnRecord } from '../../src/ovsdb/log-records.js';
import {
  type DbServer,
  openSession,
  setExternalIdOp,
  startTsovsServer,
  tempDir,
  waitFor,
} from '../helpers/daemons.js';
import { hasBinary } from '../helpers/ovs.js';

const CYCLES = 22;
const CLIENTS = 4;
/** Every TORN_EVERY-th cycle a partial record is appended after the kill, as a crash mid-append leaves. */
const TORN_EVERY = 4;
const TORN_MESSAGE = 'truncated the torn last record';

const dir = tempDir('tsovs-crash-');
let server: DbServer | undefined;
const sessions = new Set<JsonRpcSession>();

after(async () => {
  for (const s of sessions) s.abort('test over');
  await server?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** What the test knows about the database: lower and upper bounds where an outcome is unknown. */
class Model {
  /** Bridge name → its state; 'unknown' when its last transaction got no reply. */
  readonly bridges = new Map<string, { state: 'present' | 'absent' | 'unknown'; uuid?: string }>();
  /** Open_vSwitch.next_cfg lies in [cfgLow, cfgHigh]. */
  cfgLow = 0;
  cfgHigh = 0;
  /** Per client: its counter in Open_vSwitch.external_ids lies in [low, high]. */
  readonly counters = Array.from({ length: CLIENTS }, () => ({ low: 0, high: 0 }));
  acked = 0;
}

/** One database row as `select` returns it. */
type Row = JsonObject & { _uuid: Json };

function uuidOf(json: Json): string {
  assert.ok(Array.isArray(json) && json[0] === 'uuid', `not a uuid: ${JSON.stringify(json)}`);
  return json[1] as string;
}

/** The UUIDs inside a value: ["uuid", u], ["set", […]], ["map", [[k, v]…]]. */
function uuidsIn(value: Json): string[] {
  if (!Array.isArray(value)) return [];
  if (value[0] === 'uuid') return [value[1] as string];
  if (value[0] === 'set') return (value[1] as Json[]).flatMap(uuidsIn);
  if (value[0] === 'map')
    return (value[1] as Json[][]).flatMap((pair) => [...uuidsIn(pair[0]), ...uuidsIn(pair[1])]);
  return [];
}

/** Columns that refer to other tables, from a get_schema reply: table → column → referenced table. */
function refColumns(schema: JsonObject): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [tname, t] of Object.entries(schema.tables as JsonObject)) {
    const cols = new Map<string, string>();
    for (const [cname, c] of Object.entries((t as JsonObject).columns as JsonObject)) {
      const type = (c as JsonObject).type;
      if (!isJsonObject(type)) continue;
      for (const base of [type.key, type.value]) {
        if (isJsonObject(base) && typeof base.refTable === 'string') cols.set(cname, base.refTable);
      }
    }
    out.set(tname, cols);
  }
  return out;
}

/** A session tracked so that `after` can abort whatever is still open. */
async function openTrackedSession(sock: string): Promise<JsonRpcSession> {
  const session = await openSession(sock);
  sessions.add(session);
  session.on('close', () => sessions.delete(session));
  return session;
}

/** Runs a transaction; true when every operation succeeded. */
async function transact(
  session: JsonRpcSession,
  ops: JsonObject[],
): Promise<{ ok: boolean; result: Json[] }> {
  const result = (await session.request('transact', ['Open_vSwitch', ...ops])) as Json[];
  const ok = result.length === ops.length && result.every((r) => !(isJsonObject(r) && r.error !== undefined));
  return { ok, result };
}

async function selectAll(session: JsonRpcSession, table: string): Promise<Row[]> {
  const { ok, result } = await transact(session, [{ op: 'select', table, where: [] }]);
  assert.ok(ok, JSON.stringify(result));
  return (result[0] as JsonObject).rows as Row[];
}

/** Checks the restarted database against the model, then makes the model exact again. */
async function verify(session: JsonRpcSession, model: Model, cycle: number): Promise<void> {
  const schema = (await session.request('get_schema', ['Open_vSwitch'])) as JsonObject;
  const refs = refColumns(schema);
  const rows = new Map<string, Row[]>();
  for (const table of refs.keys()) rows.set(table, await selectAll(session, table));
  const ids = new Map([...rows].map(([t, rs]) => [t, new Set(rs.map((r) => uuidOf(r._uuid)))]));
  for (const [table, rs] of rows) {
    for (const row of rs) {
      for (const [column, target] of refs.get(table) ?? []) {
        for (const u of uuidsIn(row[column])) {
          assert.ok(
            ids.get(target)?.has(u),
            `cycle ${cycle}: ${table}.${column} refers to missing ${target} ${u}`,
          );
        }
      }
    }
  }
  const [ovs] = rows.get('Open_vSwitch') ?? [];
  assert.ok(ovs !== undefined, `cycle ${cycle}: the Open_vSwitch row is gone`);
  const referenced = new Set(uuidsIn(ovs.bridges));
  const present = new Map<string, string>();
  for (const b of rows.get('Bridge') ?? []) {
    const uuid = uuidOf(b._uuid);
    assert.ok(
      referenced.has(uuid),
      `cycle ${cycle}: bridge ${String(b.name)} is not in Open_vSwitch.bridges`,
    );
    present.set(b.name as string, uuid);
  }
  for (const [name, expect] of model.bridges) {
    const uuid = present.get(name);
    if (expect.state === 'present') {
      assert.equal(uuid, expect.uuid, `cycle ${cycle}: acknowledged insert of bridge ${name} was lost`);
    } else if (expect.state === 'absent') {
      assert.equal(uuid, undefined, `cycle ${cycle}: acknowledged delete of bridge ${name} was lost`);
    }
    model.bridges.set(name, uuid === undefined ? { state: 'absent' } : { state: 'present', uuid });
  }
  for (const name of present.keys())
    assert.ok(model.bridges.has(name), `cycle ${cycle}: unknown bridge ${name}`);
  const cfg = ovs.next_cfg as number;
  assert.ok(
    cfg >= model.cfgLow && cfg <= model.cfgHigh,
    `cycle ${cycle}: next_cfg ${cfg} outside [${model.cfgLow}, ${model.cfgHigh}]`,
  );
  model.cfgLow = model.cfgHigh = cfg;
  const ext = new Map(
    (((ovs.external_ids as Json[])[1] ?? []) as [string, string][]).map(([k, v]) => [k, Number(v)]),
  );
  model.counters.forEach((c, i) => {
    const v = ext.get(`c${i}`) ?? 0;
    assert.ok(v >= c.low && v <= c.high, `cycle ${cycle}: counter c${i}=${v} outside [${c.low}, ${c.high}]`);
    c.low = c.high = v;
  });
}

/** One client's stream of transactions until the connection dies; updates the model as replies come. */
async function runClient(
  session: JsonRpcSession,
  client: number,
  cycle: number,
  model: Model,
  onAck: () => void,
): Promise<void> {
  for (let seq = 0; !session.closed; seq++) {
    const mine = [...model.bridges].filter(([n, b]) => n.startsWith(`c${client}-`) && b.state === 'present');
    const roll = Math.random();
    try {
      if (roll < 0.2 && mine.length > 0) {
        const [name, b] = mine[Math.floor(Math.random() * mine.length)];
        model.bridges.set(name, { state: 'unknown', uuid: b.uuid });
        const del = ['set', [['uuid', b.uuid as string]]];
        const { ok } = await transact(session, [
          { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'delete', del]] },
        ]);
        assert.ok(ok, `delete of ${name} failed`);
        model.bridges.set(name, { state: 'absent' });
      } else if (roll < 0.6) {
        const name = `c${client}-${cycle}-${seq}`;
        model.bridges.set(name, { state: 'unknown' });
        const add = ['set', [['named-uuid', 'nb']]];
        const { ok, result } = await transact(session, [
          { op: 'insert', table: 'Bridge', row: { name }, 'uuid-name': 'nb' },
          { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', add]] },
        ]);
        assert.ok(ok, `insert of ${name} failed: ${JSON.stringify(result)}`);
        model.bridges.set(name, { state: 'present', uuid: uuidOf((result[0] as JsonObject).uuid) });
      } else {
        const counter = model.counters[client];
        const value = ++counter.high;
        model.cfgHigh++;
        const key = `c${client}`;
        const { ok } = await transact(session, [
          { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['next_cfg', '+=', 1]] },
          setExternalIdOp(key, String(value)),
        ]);
        assert.ok(ok, `counter update of ${key} failed`);
        counter.low = value;
        model.cfgLow++;
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'disconnected') return;
      throw err;
    }
    model.acked++;
    onAck();
  }
}

/** Appends the first part of a framed record, as a crash in the middle of an append would leave it. */
function appendTornRecord(file: string): number {
  const record = makeTxnRecord({
    tables: { Bridge: { '00000000-0000-4000-8000-00000000dead': { name: 'torn' } } },
  });
  const framed = frameRecord(record);
  const cut = 1 + Math.floor(Math.random() * (framed.length - 2));
  appendFileSync(file, framed.subarray(0, cut));
  return cut;
}

test('acknowledged transactions survive SIGKILL at random moments', { timeout: 120_000 }, async (t) => {
  const model = new Model();
  const logFile = join(dir, 'ovsdb-server.log');
  server = await startTsovsServer(dir);
  const init = await openTrackedSession(server.sock);
  assert.ok((await transact(init, [{ op: 'insert', table: 'Open_vSwitch', row: {} }])).ok);
  init.close();
  let tornSeen = 0;
  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const verifier = await openTrackedSession(server.sock);
    await verify(verifier, model, cycle);
    verifier.close();
    const killAfter = 5 + Math.floor(Math.random() * 60);
    let ackedThisCycle = 0;
    const running = server;
    let killed: Promise<void> | undefined;
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, () => openTrackedSession(running.sock)),
    );
    await Promise.all(
      clients.map((s, i) =>
        runClient(s, i, cycle, model, () => {
          if (++ackedThisCycle === killAfter) killed = running.stop(true);
        }),
      ),
    );
    assert.ok(killed !== undefined, `cycle ${cycle}: clients stopped before the kill`);
    await killed;
    let expectTorn = scanLog(readFileSync(server.dbFile), server.dbFile).tail !== undefined;
    const goodSize = statSync(server.dbFile).size;
    if (cycle % TORN_EVERY === TORN_EVERY - 1) {
      appendTornRecord(server.dbFile);
      expectTorn = true;
    }
    rmSync(logFile, { force: true });
    server = await startTsovsServer(dir);
    if (expectTorn) {
      tornSeen++;
      await waitFor(
        () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes(TORN_MESSAGE),
        5000,
        'torn-tail log line',
      );
      assert.ok(statSync(server.dbFile).size <= goodSize, `cycle ${cycle}: torn tail was not cut off`);
    }
    await waitFor(() => existsSync(logFile), 5000, 'server log file');
    const problems = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => /\|(WARN|ERR|EMER)\|/.test(l) && !l.includes(TORN_MESSAGE));
    assert.deepEqual(problems, [], `cycle ${cycle}: unexpected warnings on start-up`);
  }
  const last = await openTrackedSession(server.sock);
  await verify(last, model, CYCLES);
  last.close();
  assert.ok(tornSeen >= Math.floor(CYCLES / TORN_EVERY), 'every simulated torn tail was reported');
  assert.ok(model.acked > CYCLES * 5, `only ${model.acked} transactions were acknowledged`);
  t.diagnostic(`${CYCLES} kills, ${model.acked} acknowledged transactions, ${tornSeen} torn tails cut`);
  await server.stop();
  if (!hasBinary('ovsdb-tool')) {
    if (process.env.CI === 'true') assert.fail('ovsdb-tool is missing');
    return;
  }
  const showLog = spawnSync('ovsdb-tool', ['show-log', server.dbFile], { encoding: 'utf8' });
  assert.equal(showLog.status, 0, showLog.stderr);
  const records = scanLog(readFileSync(server.dbFile), server.dbFile).records.length;
  assert.equal(showLog.stdout.split('\n').filter((l) => l.startsWith('record ')).length, records);
  const query = spawnSync(
    'ovsdb-tool',
    [
      'query',
      server.dbFile,
      JSON.stringify([
        'Open_vSwitch',
        { op: 'select', table: 'Bridge', where: [], columns: ['name'] },
        { op: 'select', table: 'Open_vSwitch', where: [], columns: ['next_cfg'] },
      ]),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(query.status, 0, query.stderr);
  const [bridges, ovs] = JSON.parse(query.stdout) as { rows: JsonObject[] }[];
  const expected = [...model.bridges].filter(([, b]) => b.state === 'present').map(([n]) => n);
  assert.deepEqual(bridges.rows.map((r) => r.name as string).sort(), expected.sort());
  assert.equal(ovs.rows[0].next_cfg, model.cfgLow);
});
