// Round trips between tsovs and Open vSwitch 3.1 over the same database files: a file the real tools made
// and changed (with "_is_diff" records) served by tsovs, a file tsovs made and changed read and served by
// the real tools, compaction by either tool read by the other, `show-log` and `query` output compared
// line for line, and the errors of `tsovs ovsdb-tool`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, type TestContext, test } from 'node:test';
import type { Json, JsonObject } from '../../src/jsonrpc/json.js';
import { scanLog } from '../../src/ovsdb/log.js';
import {
  type DbServer,
  OVS_SCHEMA,
  runTsovs,
  startRealServer,
  startTsovsServer,
  tempDir,
  VSWITCH_SCHEMA,
} from '../helpers/daemons.js';
import { requireBinaries } from '../helpers/ovs.js';

const TOOLS = ['ovsdb-tool', 'ovsdb-server', 'ovs-vsctl'];
const TABLES = ['Open_vSwitch', 'Bridge', 'Port', 'Interface'];

/** ovs-vsctl commands that add, change (sets, maps, keys removed) and delete rows. */
const CHANGES: string[][] = [
  ['init'],
  ['add-br', 'br0'],
  ['add-port', 'br0', 'p1', '--', 'set', 'interface', 'p1', 'type=internal', 'options:k=v'],
  ['add-port', 'br0', 'p2', 'tag=5', 'trunks=1,2,3'],
  ['set', 'bridge', 'br0', 'other-config:a=1', 'other-config:b=2', 'external-ids:x=y', 'fail_mode=secure'],
  ['set', 'port', 'p2', 'trunks=2,3,4'],
  ['remove', 'bridge', 'br0', 'other-config', 'b'],
  ['set', 'bridge', 'br0', 'other-config:a=9', 'stp_enable=true'],
  ['add-br', 'br1', '--', 'set', 'bridge', 'br1', 'protocols=OpenFlow10,OpenFlow13'],
  ['add-port', 'br1', 'p3', '--', 'set', 'port', 'p3', 'external-ids:"quoted key"="a b"'],
  ['set', 'open', '.', 'external-ids:system-id=abc', 'other-config:n=1'],
  ['remove', 'port', 'p3', 'external-ids', '"quoted key"'],
  ['del-port', 'p1'],
  ['set', 'interface', 'p2', 'mtu_request=1400', 'ofport_request=7'],
];

const dirs: string[] = [];
const servers: DbServer[] = [];

after(async () => {
  for (const s of servers) await s.stop(true);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function newDir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

async function track(started: Promise<DbServer>): Promise<DbServer> {
  const s = await started;
  servers.push(s);
  return s;
}

/** Runs a real Open vSwitch program; fails the test on a non-zero exit. */
function real(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Runs `tsovs ovsdb-tool ARGS…`; fails the test on a non-zero exit. */
async function tool(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await runTsovs(['ovsdb-tool', ...args], env);
  assert.equal(r.status, 0, `tsovs ovsdb-tool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function vsctl(server: DbServer, args: string[]): string {
  return real('ovs-vsctl', ['--no-wait', '--timeout=20', `--db=unix:${server.sock}`, ...args]);
}

/** `ovs-vsctl list TABLE` with its records sorted (both servers list rows in their own order). */
function listTable(server: DbServer, table: string): string {
  return vsctl(server, ['list', table]).replace(/\n+$/, '').split('\n\n').sort().join('\n\n');
}

/** What ovs-vsctl sees through a server: `show` and every table's `list`. */
function vsctlView(server: DbServer): Record<string, string> {
  const view: Record<string, string> = { show: vsctl(server, ['show']) };
  for (const t of TABLES) view[t] = listTable(server, t);
  return view;
}

/** A query of every row of the main tables. */
const SELECT_ALL = JSON.stringify([
  'Open_vSwitch',
  ...TABLES.map((table) => ({ op: 'select', table, where: [] })),
]);

/** A query whose result has one row per table, so its text can be compared byte for byte. */
const SELECT_SOME = JSON.stringify([
  'Open_vSwitch',
  {
    op: 'select',
    table: 'Open_vSwitch',
    where: [],
    columns: ['_uuid', 'bridges', 'external_ids', 'other_config', 'next_cfg'],
  },
  {
    op: 'select',
    table: 'Bridge',
    where: [['name', '==', 'br0']],
    columns: ['_uuid', 'name', 'ports', 'other_config', 'external_ids', 'stp_enable', 'protocols'],
  },
  {
    op: 'select',
    table: 'Port',
    where: [['name', '==', 'p2']],
    columns: ['name', 'tag', 'trunks', 'interfaces'],
  },
]);

/** A query result with "_version" dropped (it is made up when a file is loaded) and rows in UUID order. */
function normalizeQuery(text: string): Json {
  const results = JSON.parse(text) as JsonObject[];
  return results.map((r) => {
    const rows = (r.rows as JsonObject[]).map((row) => {
      const { _version, ...rest } = row;
      return rest;
    });
    rows.sort((a, b) => JSON.stringify(a._uuid).localeCompare(JSON.stringify(b._uuid)));
    return { ...r, rows };
  });
}

/** Checks that `tsovs ovsdb-tool query` prints what `ovsdb-tool query` prints for `file`. */
async function assertSameQuery(file: string, realFile = file): Promise<void> {
  const [all, some] = await Promise.all([
    tool(['query', file, SELECT_ALL]),
    tool(['query', file, SELECT_SOME]),
  ]);
  assert.deepEqual(normalizeQuery(all), normalizeQuery(real('ovsdb-tool', ['query', realFile, SELECT_ALL])));
  assert.equal(some, real('ovsdb-tool', ['query', realFile, SELECT_SOME]));
}

/** Checks that `tsovs ovsdb-tool show-log` prints what the real one prints, at each verbosity given. */
async function assertSameShowLog(
  file: string,
  verbosities: string[][] = [[], ['-m'], ['-mm']],
): Promise<void> {
  // Dates are printed in UTC whatever the time zone, by both tools.
  const runs = [
    ...verbosities.map((more) => ({ args: [...more, 'show-log', file], env: {} })),
    { args: ['-m', 'show-log', file], env: { TZ: 'Asia/Kolkata' } },
  ];
  const ours = await Promise.all(runs.map((r) => tool(r.args, r.env)));
  runs.forEach((r, i) => {
    assert.equal(ours[i], real('ovsdb-tool', r.args, r.env), `${r.args.join(' ')} ${JSON.stringify(r.env)}`);
  });
}

function recordCount(file: string): number {
  return scanLog(readFileSync(file), file).records.length;
}

interface Fixtures {
  /** Made by the real ovsdb-tool and changed by ovs-vsctl through the real ovsdb-server. */
  realFile: string;
  /** Made by `tsovs ovsdb-tool create` and changed by ovs-vsctl through `tsovs ovsdb-server`. */
  oursFile: string;
}

let fixtures: Promise<Fixtures> | undefined;

/** Builds both databases once (the real one first, then ours), with the servers stopped afterwards. */
function databases(): Promise<Fixtures> {
  fixtures ??= (async () => {
    const realDir = newDir('ovs-rt-');
    const realFile = join(realDir, 'conf.db');
    real('ovsdb-tool', ['create', realFile, OVS_SCHEMA]);
    const realServer = await track(startRealServer(realDir));
    for (const c of CHANGES) vsctl(realServer, c);
    await realServer.stop();
    const oursDir = newDir('tsovs-rt-');
    const oursFile = join(oursDir, 'conf.db');
    await tool(['create', oursFile, VSWITCH_SCHEMA]);
    const ourServer = await track(startTsovsServer(oursDir));
    for (const c of CHANGES) vsctl(ourServer, c);
    vsctl(ourServer, ['clear', 'bridge', 'br0', 'fail_mode']);
    await ourServer.stop();
    return { realFile, oursFile };
  })();
  return fixtures;
}

/** A copy of `file` in a fresh directory. */
function copyOf(file: string, prefix: string): string {
  const copy = join(newDir(prefix), 'conf.db');
  copyFileSync(file, copy);
  return copy;
}

/** Serves `file` with both servers (each on its own copy) and checks ovs-vsctl sees the same. */
async function assertServedAlike(file: string): Promise<void> {
  const ours = await track(startTsovsServer(dirname(copyOf(file, 'tsovs-rt-'))));
  const theirs = await track(startRealServer(dirname(copyOf(file, 'ovs-rt-'))));
  try {
    assert.deepEqual(vsctlView(ours), vsctlView(theirs));
  } finally {
    await ours.stop();
    await theirs.stop();
  }
}

function skipWithoutTools(t: TestContext): boolean {
  return !requireBinaries(t, ...TOOLS);
}

describe('a database made and changed by the real tools', () => {
  test('holds "_is_diff" records', async (t) => {
    if (skipWithoutTools(t)) return;
    const { realFile } = await databases();
    const records = scanLog(readFileSync(realFile), realFile).records;
    assert.equal(records.length, CHANGES.length + 1);
    assert.ok(records.slice(1).every((r) => r._is_diff === true));
  });

  test('is served by tsovs as the real ovsdb-server serves it', async (t) => {
    if (skipWithoutTools(t)) return;
    const { realFile } = await databases();
    await assertServedAlike(realFile);
  });

  test('queries alike with both ovsdb-tools', async (t) => {
    if (skipWithoutTools(t)) return;
    const { realFile } = await databases();
    await assertSameQuery(realFile);
  });

  test('shows the same log with both ovsdb-tools', async (t) => {
    if (skipWithoutTools(t)) return;
    await assertSameShowLog((await databases()).realFile);
  });

  test('an optional column cleared by the real server (a one-value "_is_diff") reads back empty', async (t) => {
    if (skipWithoutTools(t)) return;
    const dir = newDir('ovs-rt-');
    real('ovsdb-tool', ['create', join(dir, 'conf.db'), OVS_SCHEMA]);
    const s = await track(startRealServer(dir));
    vsctl(s, ['add-br', 'br0', '--', 'set', 'bridge', 'br0', 'fail_mode=secure']);
    vsctl(s, ['clear', 'bridge', 'br0', 'fail_mode']);
    await s.stop();
    const q = JSON.stringify([
      'Open_vSwitch',
      { op: 'select', table: 'Bridge', where: [], columns: ['fail_mode'] },
    ]);
    assert.equal(
      await tool(['query', join(dir, 'conf.db'), q]),
      real('ovsdb-tool', ['query', join(dir, 'conf.db'), q]),
    );
  });
});

describe('a database made and changed by tsovs', () => {
  test('is read by the real ovsdb-tool show-log -m and query', async (t) => {
    if (skipWithoutTools(t)) return;
    const { oursFile } = await databases();
    const shown = real('ovsdb-tool', ['-m', 'show-log', oursFile]);
    assert.equal(shown.split('\n').filter((l) => l.startsWith('record ')).length, recordCount(oursFile));
    assert.match(shown, /table Bridge insert row "br0"/);
    assert.match(shown, /table Port row "p1" \([0-9a-f]{8}\):\n {4}delete row/);
    await assertSameQuery(oursFile);
  });

  test('is served by the real ovsdb-server as tsovs serves it', async (t) => {
    if (skipWithoutTools(t)) return;
    await assertServedAlike((await databases()).oursFile);
  });

  test('shows the same log with both ovsdb-tools', async (t) => {
    if (skipWithoutTools(t)) return;
    await assertSameShowLog((await databases()).oursFile);
  });
});

describe('compaction', () => {
  test('tsovs ovsdb-tool compact is read by both tools with the same contents', async (t) => {
    if (skipWithoutTools(t)) return;
    const { realFile, oursFile } = await databases();
    for (const source of [realFile, oursFile]) {
      const inPlace = copyOf(source, 'tsovs-rt-');
      const toDst = join(newDir('tsovs-rt-'), 'compacted.db');
      await Promise.all([tool(['compact', inPlace]), tool(['compact', source, toDst])]);
      for (const compacted of [inPlace, toDst]) {
        assert.equal(recordCount(compacted), 2);
        assert.match(
          real('ovsdb-tool', ['show-log', compacted]),
          /^record 1: .* "compacted by tsovs ovsdb-tool/m,
        );
        await assertSameQuery(compacted, source);
      }
      await assertSameShowLog(inPlace, [['-mm']]);
    }
  });

  test('ovsdb-tool compact output is read by tsovs with the same contents', async (t) => {
    if (skipWithoutTools(t)) return;
    const { realFile, oursFile } = await databases();
    for (const source of [realFile, oursFile]) {
      const compacted = copyOf(source, 'ovs-rt-');
      real('ovsdb-tool', ['compact', compacted]);
      assert.equal(recordCount(compacted), 2);
      await assertSameQuery(compacted, source);
      await assertSameShowLog(compacted, [['-mm']]);
      await assertServedAlike(compacted);
    }
  });
});

describe('tsovs ovsdb-tool', () => {
  test("reports a database's and a schema's name and version as ovsdb-tool does", async (t) => {
    if (skipWithoutTools(t)) return;
    const { realFile, oursFile } = await databases();
    for (const cmd of ['db-name', 'db-version', 'db-cksum']) {
      for (const file of [realFile, oursFile])
        assert.equal(await tool([cmd, file]), real('ovsdb-tool', [cmd, file]));
    }
    for (const cmd of ['schema-name', 'schema-version', 'schema-cksum']) {
      for (const schema of [OVS_SCHEMA, VSWITCH_SCHEMA]) {
        assert.equal(await tool([cmd, schema]), real('ovsdb-tool', [cmd, schema]));
      }
    }
  });

  test('create writes a database the real ovsdb-tool reads', async (t) => {
    if (skipWithoutTools(t)) return;
    const file = join(newDir('tsovs-rt-'), 'conf.db');
    await tool(['create', file, OVS_SCHEMA]);
    assert.equal(real('ovsdb-tool', ['db-name', file]), 'Open_vSwitch\n');
    assert.equal(real('ovsdb-tool', ['db-cksum', file]), real('ovsdb-tool', ['schema-cksum', OVS_SCHEMA]));
    assert.equal(await tool(['show-log', file]), real('ovsdb-tool', ['show-log', file]));
  });

  test('create refuses an existing file, a missing schema, a bad schema and a missing directory', async () => {
    const dir = newDir('tsovs-rt-');
    const existing = join(dir, 'conf.db');
    writeFileSync(existing, 'precious');
    const badSchema = join(dir, 'bad.ovsschema');
    writeFileSync(badSchema, '{"name": ');
    const cases: { args: string[]; message: RegExp; absent?: string }[] = [
      {
        args: ['create', existing, VSWITCH_SCHEMA],
        message: /conf\.db: cannot create database: file already exists/,
      },
      {
        args: ['create', join(dir, 'a.db'), join(dir, 'missing.ovsschema')],
        message:
          /failed to read schema: ".*missing\.ovsschema" could not be read \(No such file or directory\)/,
        absent: join(dir, 'a.db'),
      },
      {
        args: ['create', join(dir, 'b.db'), badSchema],
        message: /failed to read schema: ".*bad\.ovsschema" could not be read as JSON/,
        absent: join(dir, 'b.db'),
      },
      {
        args: ['create', join(dir, 'nodir', 'c.db'), VSWITCH_SCHEMA],
        message: /c\.db: cannot create database: directory .*nodir does not exist/,
      },
    ];
    const results = await Promise.all(cases.map((c) => runTsovs(['ovsdb-tool', ...c.args])));
    cases.forEach((c, i) => {
      const r = results[i];
      assert.notEqual(r.status, 0, c.args.join(' '));
      assert.match(r.stderr, /^ovsdb-tool: /);
      assert.match(r.stderr, c.message);
      assert.equal(r.stdout, '');
      if (c.absent !== undefined) assert.ok(!existsSync(c.absent), `${c.absent} was created`);
    });
    assert.equal(readFileSync(existing, 'utf8'), 'precious');
  });

  test('db- and schema- queries fail clearly on missing or bad files', async () => {
    const dir = newDir('tsovs-rt-');
    const garbage = join(dir, 'garbage.db');
    writeFileSync(garbage, 'not a database\n');
    const missingDb = join(dir, 'missing.db');
    const missingSchema = join(dir, 'missing.ovsschema');
    const cases: { args: string[]; message: RegExp }[] = [
      { args: ['db-name', missingDb], message: /missing\.db: database file not found/ },
      { args: ['db-version', missingDb], message: /missing\.db: database file not found/ },
      { args: ['db-name', garbage], message: /garbage\.db: not an OVSDB standalone database/ },
      { args: ['db-version', garbage], message: /garbage\.db: not an OVSDB standalone database/ },
      { args: ['schema-name', missingSchema], message: /"[^"]*missing\.ovsschema" could not be read/ },
      { args: ['schema-version', missingSchema], message: /"[^"]*missing\.ovsschema" could not be read/ },
      { args: ['schema-version', garbage], message: /could not be read as JSON/ },
      {
        args: ['db-name', missingDb, 'extra'],
        message: /'db-name' command requires at most 1 argument|at most 1/,
      },
    ];
    const results = await Promise.all(cases.map((c) => runTsovs(['ovsdb-tool', ...c.args])));
    cases.forEach((c, i) => {
      const r = results[i];
      assert.notEqual(r.status, 0, c.args.join(' '));
      assert.match(r.stderr, c.message, c.args.join(' '));
      assert.equal(r.stdout, '');
    });
  });
});
