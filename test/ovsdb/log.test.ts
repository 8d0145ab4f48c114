// Tests of the standalone database log (src/ovsdb/log.ts) and its record shapes (src/ovsdb/log-records.ts):
// framing against files the real ovsdb-tool writes and reads, torn tails, corruption, group commit,
// atomic rewrite and the lock file.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JsonObject } from '../../src/jsonrpc/json.js';
import {
  DbLog,
  DbLogError,
  findKernelLockHolder,
  frameRecord,
  type LogIo,
  lockPathFor,
  scanLog,
  type TornTail,
} from '../../src/ovsdb/log.js';
import { makeTxnRecord, parseTxnRecord, recordDateMs } from '../../src/ovsdb/log-records.js';
import { OVS_SCHEMA, ROOT, startRealServer, tempDir, waitFor } from '../helpers/daemons.js';
import { requireBinaries } from '../helpers/ovs.js';

const TINY_SCHEMA: JsonObject = {
  name: 'Tiny',
  version: '1.0.0',
  tables: { T: { columns: { name: { type: 'string' } } } },
};

const U = {
  ovs: '0f6d266c-ba89-484d-9714-8dc46dd09ee8',
  br0: '7b482ef5-215f-426b-b452-d5f01e1eeaaa',
  br1: '5f29e1e2-fec6-4f16-87ab-eca58209e04e',
};

let root: string;
let counter = 0;

before(async () => {
  root = tempDir('tsovs-log-');
});
after(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** A fresh directory under the suite's temp dir. */
async function freshDir(): Promise<string> {
  const dir = join(root, `t${counter++}`);
  await fsp.mkdir(dir);
  return dir;
}

function txn(n: number): JsonObject {
  return makeTxnRecord({
    date: 1700000000000 + n,
    comment: `txn ${n}`,
    tables: { T: { [uuidN(n)]: { name: `row${n}` } } },
  });
}

function uuidN(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Writes a log of the tiny schema plus `n` transactions with our writer and returns its path. */
async function writeTinyLog(dir: string, n: number): Promise<string> {
  const path = join(dir, 'tiny.db');
  const log = await DbLog.create(path, TINY_SCHEMA);
  await log.append(Array.from({ length: n }, (_, i) => txn(i + 1)));
  await log.close();
  return path;
}

async function expectLogError(p: Promise<unknown>, code: string): Promise<DbLogError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DbLogError, `expected DbLogError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a "${code}" error`);
}

function sha1(buf: Buffer): string {
  return createHash('sha1').update(buf).digest('hex');
}

describe('framing', () => {
  test('a record is "OVSDB JSON <len> <sha1>\\n" then the JSON and a newline, both counted and hashed', () => {
    const bytes = frameRecord({ a: 1, s: 'x\ny' });
    const body = Buffer.from('{"a":1,"s":"x\\ny"}\n');
    assert.deepEqual(bytes, Buffer.concat([Buffer.from(`OVSDB JSON ${body.length} ${sha1(body)}\n`), body]));
  });

  test('non-ASCII text is raw UTF-8 and the length counts bytes', () => {
    const bytes = frameRecord({ s: 'é☃' });
    const body = Buffer.from('{"s":"é☃"}\n', 'utf8');
    assert.equal(bytes.toString('latin1').split('\n')[0], `OVSDB JSON ${body.length} ${sha1(body)}`);
    assert.deepEqual(scanLog(bytes).records, [{ s: 'é☃' }]);
  });

  test('records must be JSON objects', () => {
    assert.throws(() => frameRecord([1] as unknown as JsonObject), { code: 'invalid record' });
  });

  test('round trip: create, append, reopen', async () => {
    const dir = await freshDir();
    const path = join(dir, 'db');
    const log = await DbLog.create(path, TINY_SCHEMA);
    await log.append([txn(1)]);
    await log.append([txn(2), txn(3)]);
    assert.equal(log.size, (await fsp.stat(path)).size);
    await log.close();
    const { log: again, records, tornTail } = await DbLog.open(path);
    assert.deepEqual(records, [TINY_SCHEMA, txn(1), txn(2), txn(3)]);
    assert.equal(tornTail, undefined);
    await again.close();
  });

  test('open errors: not found, bad magic, clustered, existing file on create', async () => {
    const dir = await freshDir();
    await expectLogError(DbLog.open(join(dir, 'missing.db')), 'not found');
    await fsp.writeFile(join(dir, 'text.db'), 'hello world\n');
    await expectLogError(DbLog.open(join(dir, 'text.db')), 'bad magic');
    assert.equal(readFileSync(join(dir, 'text.db'), 'utf8'), 'hello world\n');
    const body = Buffer.from('{}\n');
    await fsp.writeFile(join(dir, 'cl.db'), `OVSDB CLUSTER ${body.length} ${sha1(body)}\n{}\n`);
    await expectLogError(DbLog.open(join(dir, 'cl.db')), 'clustered database');
    await expectLogError(DbLog.create(join(dir, 'text.db'), TINY_SCHEMA), 'already exists');
    assert.equal(readFileSync(join(dir, 'text.db'), 'utf8'), 'hello world\n');
  });

  test('a real clustered database is refused as such', async (t) => {
    if (!requireBinaries(t, 'ovsdb-tool')) return;
    const dir = await freshDir();
    const path = join(dir, 'cl.db');
    const r = spawnSync('ovsdb-tool', ['create-cluster', path, OVS_SCHEMA, 'tcp:127.0.0.1:6641']);
    assert.equal(r.status, 0, r.stderr.toString());
    const err = await expectLogError(DbLog.open(path), 'clustered database');
    assert.match(err.message, /clustered/);
  });
});

describe('interoperability with the real ovsdb-tool', () => {
  test('a file from `ovsdb-tool create` reads back, and our writer reproduces it byte for byte', async (t) => {
    if (!requireBinaries(t, 'ovsdb-tool')) return;
    const dir = await freshDir();
    const theirs = join(dir, 'conf.db');
    const r = spawnSync('ovsdb-tool', ['create', theirs, OVS_SCHEMA]);
    assert.equal(r.status, 0, r.stderr.toString());
    const theirBytes = await fsp.readFile(theirs);

    const { log, records } = await DbLog.open(theirs);
    await log.close();
    assert.equal(records.length, 1);
    const schemaRecord = records[0];
    const schemaFile = JSON.parse(readFileSync(OVS_SCHEMA, 'utf8')) as JsonObject;
    // The record is OVS's normalized schema: same identity, tables and columns as the file.
    for (const key of ['name', 'version', 'cksum']) assert.equal(schemaRecord[key], schemaFile[key]);
    const columnsOf = (s: JsonObject) =>
      Object.entries(s.tables as Record<string, { columns: JsonObject }>)
        .map(([name, tbl]) => `${name}:${Object.keys(tbl.columns).sort().join(',')}`)
        .sort();
    assert.deepEqual(columnsOf(schemaRecord), columnsOf(schemaFile));
    assert.equal(spawnSync('ovsdb-tool', ['db-cksum', theirs]).stdout.toString().trim(), schemaFile.cksum);

    // Framing is exact: writing the same record gives the same bytes (header, length, SHA-1, newline).
    const ours = join(dir, 'ours.db');
    await (await DbLog.create(ours, schemaRecord)).close();
    assert.deepEqual(await fsp.readFile(ours), theirBytes);
    assert.match(theirBytes.toString('latin1', 0, 60), /^OVSDB JSON \d+ [0-9a-f]{40}\n\{/);
  });

  test('a file we write is accepted by `ovsdb-tool show-log` and `ovsdb-tool query`', async (t) => {
    if (!requireBinaries(t, 'ovsdb-tool')) return;
    const dir = await freshDir();
    const path = join(dir, 'conf.db');
    const schema = JSON.parse(readFileSync(OVS_SCHEMA, 'utf8')) as JsonObject;
    const log = await DbLog.create(path, schema);
    await log.append([
      makeTxnRecord({
        comment: 'add br0',
        tables: {
          Open_vSwitch: { [U.ovs]: { bridges: ['uuid', U.br0] } },
          Bridge: { [U.br0]: { name: 'br0', other_config: ['map', [['a', '1']]] } },
        },
      }),
    ]);
    await log.append([
      makeTxnRecord({
        comment: 'add br1, change br0',
        tables: {
          Bridge: {
            [U.br1]: { name: 'br1' },
            [U.br0]: { other_config: ['map', [['a', '9']]], fail_mode: 'secure' },
          },
          Open_vSwitch: {
            [U.ovs]: {
              bridges: [
                'set',
                [
                  ['uuid', U.br0],
                  ['uuid', U.br1],
                ],
              ],
            },
          },
        },
      }),
      makeTxnRecord({
        comment: 'del br1',
        tables: { Bridge: { [U.br1]: null }, Open_vSwitch: { [U.ovs]: { bridges: ['uuid', U.br0] } } },
      }),
    ]);
    await log.close();

    const show = spawnSync('ovsdb-tool', ['-mm', 'show-log', path]);
    assert.equal(show.status, 0, show.stderr.toString());
    const out = show.stdout.toString();
    assert.match(out, /record 0: "Open_vSwitch" schema, version="8\.\d+\.\d+"/);
    assert.match(out, /record 1: .* "add br0"/);
    assert.match(out, /table Bridge insert row "br0" \(7b482ef5\):/);
    assert.match(
      out,
      /record 2: .*"add br1, change br0"[\s\S]*table Bridge row "br0" \(7b482ef5\):\n[\s\S]*other_config=\{a="9"\}/,
    );
    assert.match(out, /record 3: .*"del br1"[\s\S]*table Bridge row "br1" \(5f29e1e2\):\n\s+delete row/);

    const query = spawnSync('ovsdb-tool', [
      'query',
      path,
      '["Open_vSwitch",{"op":"select","table":"Bridge","where":[],"columns":["_uuid","name","other_config","fail_mode"]}]',
    ]);
    assert.equal(query.status, 0, query.stderr.toString());
    const [result] = JSON.parse(query.stdout.toString()) as [{ rows: JsonObject[] }];
    assert.deepEqual(result.rows, [
      { _uuid: ['uuid', U.br0], name: 'br0', other_config: ['map', [['a', '9']]], fail_mode: 'secure' },
    ]);
  });

  test('a file modified by the real tools (with _is_diff records) reads back', async (t) => {
    if (!requireBinaries(t, 'ovsdb-tool')) return;
    const dir = await freshDir();
    const path = join(dir, 'conf.db');
    assert.equal(spawnSync('ovsdb-tool', ['create', path, OVS_SCHEMA]).status, 0);
    const transact = (ops: string) => {
      const r = spawnSync('ovsdb-tool', ['transact', path, ops]);
      assert.equal(r.status, 0, r.stderr.toString());
      return JSON.parse(r.stdout.toString()) as JsonObject[];
    };
    const [ins] = transact(
      '["Open_vSwitch",{"op":"insert","table":"Open_vSwitch","row":{"external_ids":["map",[["a","1"],["b","2"]]]}}]',
    );
    const rowUuid = (ins.uuid as [string, string])[1];
    transact(
      `["Open_vSwitch",{"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["external_ids","delete",["set",["b"]]],["external_ids","insert",["map",[["c","3"]]]]]},{"op":"comment","comment":"mutate"}]`,
    );

    const { log, records } = await DbLog.open(path);
    await log.close();
    assert.equal(records.length, 3);
    const insert = parseTxnRecord(records[1]);
    const modify = parseTxnRecord(records[2]);
    assert.equal(insert.isDiff, true);
    assert.deepEqual(insert.tables.get('Open_vSwitch')?.get(rowUuid), {
      external_ids: [
        'map',
        [
          ['a', '1'],
          ['b', '2'],
        ],
      ],
    });
    assert.equal(modify.isDiff, true);
    assert.equal(modify.comment, 'mutate');
    // The diff of a map: removed key with its old value, added key with its new value.
    assert.deepEqual(modify.tables.get('Open_vSwitch')?.get(rowUuid), {
      external_ids: [
        'map',
        [
          ['b', '2'],
          ['c', '3'],
        ],
      ],
    });
    assert.ok((recordDateMs(modify) ?? 0) > Date.UTC(2020, 0, 1));
  });

  test('compaction output of `ovsdb-tool compact` is schema + one record, which we read', async (t) => {
    if (!requireBinaries(t, 'ovsdb-tool')) return;
    const dir = await freshDir();
    const path = join(dir, 'conf.db');
    assert.equal(spawnSync('ovsdb-tool', ['create', path, OVS_SCHEMA]).status, 0);
    const transact = (ops: JsonObject[]) =>
      assert.equal(
        spawnSync('ovsdb-tool', ['transact', path, JSON.stringify(['Open_vSwitch', ...ops])]).status,
        0,
      );
    transact([{ op: 'insert', table: 'Open_vSwitch', row: { external_ids: ['map', [['a', '1']]] } }]);
    transact([
      { op: 'update', table: 'Open_vSwitch', where: [], row: { external_ids: ['map', [['b', '2']]] } },
    ]);
    assert.equal(spawnSync('ovsdb-tool', ['compact', path]).status, 0);
    const { log, records } = await DbLog.open(path);
    await log.close();
    assert.equal(records.length, 2);
    const snapshot = parseTxnRecord(records[1]);
    assert.equal(snapshot.isDiff, false);
    assert.match(snapshot.comment ?? '', /^compacted by ovsdb-tool/);
    const rows = [...(snapshot.tables.get('Open_vSwitch')?.values() ?? [])];
    assert.deepEqual(rows, [{ external_ids: ['map', [['b', '2']]] }]);
  });
});

describe('torn tails and corruption', () => {
  /** The byte offset where the last record of `bytes` starts. */
  function lastRecordStart(bytes: Buffer): number {
    const { ends } = scanLog(bytes);
    return ends[ends.length - 2];
  }

  async function openAndReport(path: string): Promise<{ records: JsonObject[]; reported: TornTail[] }> {
    const reported: TornTail[] = [];
    const { log, records } = await DbLog.open(path, { onTornTail: (t) => reported.push(t) });
    await log.close();
    return { records, reported };
  }

  test('a last record cut at every byte offset is truncated away, the earlier records kept', async () => {
    const dir = await freshDir();
    const good = await fsp.readFile(await writeTinyLog(dir, 2));
    const start = lastRecordStart(good);
    const path = join(dir, 'cut.db');
    for (let cut = start; cut < good.length; cut++) {
      await fsp.writeFile(path, good.subarray(0, cut));
      const { records, reported } = await openAndReport(path);
      assert.deepEqual(records, [TINY_SCHEMA, txn(1)], `cut at ${cut}`);
      if (cut === start) {
        assert.equal(reported.length, 0);
        continue;
      }
      assert.equal(reported.length, 1, `cut at ${cut}`);
      assert.equal(reported[0].offset, start);
      assert.equal(reported[0].droppedBytes, cut - start);
      assert.equal(reported[0].truncated, true);
      assert.equal((await fsp.stat(path)).size, start, `cut at ${cut}`);
    }
  });

  test('a last record with any one byte changed (bad hash, bad header, missing newline) is truncated away', async () => {
    const dir = await freshDir();
    const good = await fsp.readFile(await writeTinyLog(dir, 2));
    const start = lastRecordStart(good);
    const path = join(dir, 'flip.db');
    for (let at = start; at < good.length; at++) {
      const bad = Buffer.from(good);
      bad[at] ^= at === good.length - 1 ? 0x2a : 0x01; // the final "\n" becomes a space
      await fsp.writeFile(path, bad);
      const { records, reported } = await openAndReport(path);
      assert.deepEqual(records, [TINY_SCHEMA, txn(1)], `byte ${at}`);
      assert.equal(reported.length, 1, `byte ${at}`);
      assert.equal(reported[0].offset, start);
      assert.equal((await fsp.stat(path)).size, start);
    }
  });

  test('trailing garbage and zero-filled blocks after the last record are truncated', async () => {
    const dir = await freshDir();
    const good = await fsp.readFile(await writeTinyLog(dir, 2));
    const path = join(dir, 'garbage.db');
    for (const junk of [Buffer.from('garbage\n'), Buffer.alloc(4096), Buffer.from('OVSDB JSON 99 ')]) {
      await fsp.writeFile(path, Buffer.concat([good, junk]));
      const { records, reported } = await openAndReport(path);
      assert.equal(records.length, 3);
      assert.equal(reported[0].offset, good.length);
      assert.equal(reported[0].droppedBytes, junk.length);
      assert.deepEqual(await fsp.readFile(path), good);
    }
  });

  test('a torn first header leaves an empty log; read-only open reports without truncating', async () => {
    const dir = await freshDir();
    const path = join(dir, 'torn-first.db');
    await fsp.writeFile(path, 'OVSDB JS');
    const ro = await DbLog.open(path, { readOnly: true });
    await ro.log.close();
    assert.deepEqual(ro.records, []);
    assert.equal(ro.tornTail?.truncated, false);
    assert.equal((await fsp.stat(path)).size, 8);
    await expectLogError(ro.log.append([txn(1)]), 'closed');
    const rw = await openAndReport(path);
    assert.deepEqual(rw.records, []);
    assert.equal((await fsp.stat(path)).size, 0);
  });

  test('after truncating a torn tail, appends continue from the good end', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 1);
    await fsp.appendFile(path, 'OVSDB JSON 1234 abc');
    const { log } = await DbLog.open(path);
    await log.append([txn(2)]);
    await log.close();
    const { records, reported } = await openAndReport(path);
    assert.deepEqual(records, [TINY_SCHEMA, txn(1), txn(2)]);
    assert.equal(reported.length, 0);
  });

  test('corruption before the last record is refused and the file left untouched', async () => {
    const dir = await freshDir();
    const good = await fsp.readFile(await writeTinyLog(dir, 3));
    const { ends } = scanLog(good);
    const path = join(dir, 'middle.db');
    // A changed byte in record 1, a bad header of record 2, and a torn record 1 followed by record 2.
    const flipped = Buffer.from(good);
    flipped[ends[0] + 70] ^= 0x01;
    const badHeader = Buffer.from(good);
    badHeader[ends[1]] = 'X'.charCodeAt(0);
    const torn = Buffer.concat([good.subarray(0, ends[1] - 5), good.subarray(ends[1])]);
    for (const [name, bytes, offset] of [
      ['flipped', flipped, ends[0]],
      ['bad header', badHeader, ends[1]],
      ['torn then valid', torn, ends[0]],
    ] as const) {
      await fsp.writeFile(path, bytes);
      const err = await expectLogError(DbLog.open(path), 'corrupt record');
      assert.equal(err.offset, offset, name);
      assert.match(err.message, new RegExp(`corrupt record at offset ${offset}`));
      assert.deepEqual(await fsp.readFile(path), bytes, name);
      assert.equal(existsSync(lockPathFor(path)), false, 'lock released after a failed open');
    }
  });
});

describe('appends', () => {
  /** File operations that count syncs and remember how much of the file was durable at each. */
  function countingIo(): { io: Partial<LogIo>; syncs: () => number; durable: () => number } {
    let syncs = 0;
    let durable = 0;
    return {
      io: {
        async sync(fh) {
          await fh.datasync();
          syncs++;
          durable = (await fh.stat()).size;
        },
      },
      syncs: () => syncs,
      durable: () => durable,
    };
  }

  test('concurrent appends are group-committed, in order, each resolved only once durable', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 0);
    const counting = countingIo();
    const { log } = await DbLog.open(path, { io: counting.io });
    const n = 200;
    let expectedEnd = log.size;
    const pending: Promise<void>[] = [];
    for (let i = 1; i <= n; i++) {
      expectedEnd += frameRecord(txn(i)).length;
      const endOfThis = expectedEnd;
      pending.push(
        log.append([txn(i)]).then(() => assert.ok(counting.durable() >= endOfThis, `append ${i}`)),
      );
    }
    await Promise.all(pending);
    assert.equal(log.size, expectedEnd);
    assert.ok(counting.syncs() < n / 10, `${counting.syncs()} syncs for ${n} appends`);
    assert.equal(log.stats.syncs, counting.syncs());
    assert.equal(log.stats.records, n);
    await log.close();
    const { log: again, records } = await DbLog.open(path);
    await again.close();
    assert.deepEqual(
      records.slice(1),
      Array.from({ length: n }, (_, i) => txn(i + 1)),
    );
  });

  test('a failed write is cut off the file and rejected; the next append succeeds', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 1);
    let fail = true;
    const io: Partial<LogIo> = {
      async writeAt(fh, data, position) {
        if (fail) {
          await fh.write(data, 0, data.length >> 1, position);
          throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        }
        await fh.write(data, 0, data.length, position);
      },
    };
    const { log } = await DbLog.open(path, { io });
    const sizeBefore = log.size;
    await expectLogError(log.append([txn(2)]), 'I/O error');
    assert.equal((await fsp.stat(path)).size, sizeBefore);
    fail = false;
    await log.append([txn(3)]);
    await log.close();
    const { log: again, records } = await DbLog.open(path);
    await again.close();
    assert.deepEqual(records, [TINY_SCHEMA, txn(1), txn(3)]);
  });

  test('a failed fdatasync breaks the log: this and later appends are rejected', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 0);
    const { log } = await DbLog.open(path, {
      io: {
        sync: async () => {
          throw Object.assign(new Error('input/output error'), { code: 'EIO' });
        },
      },
    });
    await expectLogError(log.append([txn(1)]), 'I/O error');
    await expectLogError(log.append([txn(2)]), 'I/O error');
    await log.close();
  });

  test('append after close is rejected', async () => {
    const dir = await freshDir();
    const log = await DbLog.create(join(dir, 'db'), TINY_SCHEMA);
    await log.close();
    await expectLogError(log.append([txn(1)]), 'closed');
  });
});

describe('rewrite (compaction)', () => {
  test('rewrite replaces the file by the new records, leaving no temp or lock file', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 5);
    const snapshot = makeTxnRecord({
      date: 1,
      comment: 'compacted',
      tables: { T: { [uuidN(9)]: { name: 'x' } } },
    });
    await DbLog.rewrite(path, [TINY_SCHEMA, snapshot]);
    const { log, records } = await DbLog.open(path);
    await log.close();
    assert.deepEqual(records, [TINY_SCHEMA, snapshot]);
    assert.deepEqual((await fsp.readdir(dir)).sort(), ['tiny.db']);
  });

  test('the old file stays intact when writing the temp file fails, or the rename does', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 3);
    const before = await fsp.readFile(path);
    const failingWrite: Partial<LogIo> = {
      async writeAt(fh, data, position) {
        await fh.write(data, 0, data.length >> 1, position);
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      },
    };
    const failingRename: Partial<LogIo> = {
      rename: async () => {
        throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
      },
    };
    for (const io of [failingWrite, failingRename]) {
      await expectLogError(DbLog.rewrite(path, [TINY_SCHEMA], { io }), 'I/O error');
      assert.deepEqual(await fsp.readFile(path), before);
      assert.deepEqual((await fsp.readdir(dir)).sort(), ['tiny.db']);
    }
  });

  test('online replace is ordered with appends, and appends continue in the new file', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 2);
    const { log } = await DbLog.open(path);
    const snapshot = makeTxnRecord({ date: 2, tables: { T: { [uuidN(1)]: { name: 'row1' } } } });
    const a = log.append([txn(3)]);
    const r = log.replace([TINY_SCHEMA, snapshot]);
    const b = log.append([txn(4)]);
    await Promise.all([a, r, b]);
    assert.equal(log.size, (await fsp.stat(path)).size);
    await log.close();
    const { log: again, records } = await DbLog.open(path);
    await again.close();
    assert.deepEqual(records, [TINY_SCHEMA, snapshot, txn(4)]);
  });
});

describe('lock file', () => {
  test("the lock is OVS's `.NAME.~lock~`, held while open and removed on close", async () => {
    const dir = await freshDir();
    const path = join(dir, 'conf.db');
    assert.equal(lockPathFor(path), join(dir, '.conf.db.~lock~'));
    const log = await DbLog.create(path, TINY_SCHEMA);
    assert.equal(readFileSync(lockPathFor(path), 'utf8').split(' ')[0], String(process.pid));
    await expectLogError(DbLog.open(path), 'locked');
    const ro = await DbLog.open(path, { readOnly: true });
    await ro.log.close();
    await log.close();
    assert.equal(existsSync(lockPathFor(path)), false);
  });

  test('a second process cannot open a locked database; the lock of a killed process is broken', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 1);
    const script = `import { DbLog } from ${JSON.stringify(join(ROOT, 'src/ovsdb/log.ts'))};
      await DbLog.open(${JSON.stringify(path)}); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await waitForLine(child, 'locked', 20_000);
      const err = await expectLogError(DbLog.open(path), 'locked');
      assert.equal(err.pid, child.pid);
      assert.match(err.message, new RegExp(`locked by pid ${child.pid}`));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) =>
        child.exitCode !== null || child.signalCode ? r(null) : child.once('exit', r),
      );
    }
    const { log, records } = await DbLog.open(path);
    assert.equal(records.length, 2);
    await log.close();
  });

  test('stale lock files (empty as OVS leaves them, garbage, dead pid) are broken', async () => {
    const dir = await freshDir();
    const path = await writeTinyLog(dir, 0);
    for (const content of ['', 'garbage', '999999999 1\n', `${process.pid} 1\n`]) {
      await fsp.writeFile(lockPathFor(path), content);
      const { log } = await DbLog.open(path);
      await log.close();
      assert.equal(existsSync(lockPathFor(path)), false);
    }
  });

  test('a real ovsdb-server holding the database is seen as the lock holder', async (t) => {
    if (!requireBinaries(t, 'ovsdb-tool', 'ovsdb-server')) return;
    const dir = await freshDir();
    const server = await startRealServer(dir);
    const path = server.dbFile;
    try {
      const holder = async () => {
        const st = await fsp.stat(lockPathFor(path), { bigint: true }).catch(() => undefined);
        return st && findKernelLockHolder(await fsp.readFile('/proc/locks', 'utf8'), st.dev, st.ino);
      };
      await waitFor(async () => (await holder()) === server.pid, 10_000, 'ovsdb-server to lock the db');
      const err = await expectLogError(DbLog.open(path), 'locked');
      assert.equal(err.pid, server.pid);
    } finally {
      await server.stop(true);
    }
    const { log } = await DbLog.open(path);
    await log.close();
  });

  test('findKernelLockHolder reads /proc/locks lines', () => {
    const text = [
      '1: POSIX  ADVISORY  WRITE 7100 fe:00:2146515 0 EOF',
      '1: -> POSIX  ADVISORY  WRITE 7200 fe:00:2146515 0 EOF',
      '2: OFDLCK ADVISORY  WRITE -1 08:01:42 0 EOF',
    ].join('\n');
    const dev = (major: bigint, minor: bigint) => (major << 8n) | minor;
    assert.equal(findKernelLockHolder(text, dev(0xfen, 0n), 2146515n), 7100);
    assert.equal(findKernelLockHolder(text, dev(8n, 1n), 42n), -1);
    assert.equal(findKernelLockHolder(text, dev(8n, 1n), 43n), undefined);
  });
});

describe('transaction records', () => {
  test('makeTxnRecord writes tables, then _comment, _is_diff and _date; parseTxnRecord reads it back', () => {
    const json = makeTxnRecord({
      date: 1795475132836,
      comment: 'hello',
      isDiff: true,
      tables: new Map([
        [
          'Bridge',
          new Map([
            [U.br0.toUpperCase(), { name: 'br0' }],
            [U.br1, null],
          ]),
        ],
      ]),
    });
    assert.deepEqual(Object.keys(json), ['Bridge', '_comment', '_is_diff', '_date']);
    const parsed = parseTxnRecord(json);
    assert.equal(parsed.date, 1795475132836);
    assert.equal(parsed.comment, 'hello');
    assert.equal(parsed.isDiff, true);
    assert.deepEqual(
      [...(parsed.tables.get('Bridge') ?? [])],
      [
        [U.br0, { name: 'br0' }],
        [U.br1, null],
      ],
    );
  });

  test('defaults: no comment when empty, no _is_diff when false, _date now', () => {
    const json = makeTxnRecord({ comment: '', tables: {} });
    assert.deepEqual(Object.keys(json), ['_date']);
    assert.ok(Math.abs((json._date as number) - Date.now()) < 60_000);
    assert.equal(parseTxnRecord(json).isDiff, false);
  });

  test('old-style dates in seconds are converted', () => {
    assert.equal(recordDateMs({ date: 1_300_000_000 }), 1_300_000_000_000);
    assert.equal(recordDateMs({ date: 1_795_475_132_836 }), 1_795_475_132_836);
  });

  test('shape errors are "invalid record"', () => {
    const bad: unknown[] = [
      [],
      { _date: 1.5 },
      { _is_diff: 'yes' },
      { _other: 1 },
      { Bridge: [] },
      { Bridge: { 'not-a-uuid': {} } },
      { Bridge: { [U.br0]: 3 } },
    ];
    for (const json of bad) {
      assert.throws(
        () => parseTxnRecord(json as JsonObject),
        { code: 'invalid record' },
        JSON.stringify(json),
      );
    }
    assert.throws(() => makeTxnRecord({ tables: { _x: {} } }), { code: 'invalid record' });
    assert.throws(() => makeTxnRecord({ tables: { T: { nope: null } } }), { code: 'invalid record' });
  });
});

/** Resolves when `child` prints `line` on stdout; fails after `ms`. */
function waitForLine(child: ChildProcess, line: string, ms: number): Promise<void> {
  return new Promise((resolveWait, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${line}" from child within ${ms} ms`)), ms);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').includes(line)) {
        clearTimeout(timer);
        resolveWait();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before printing "${line}"`));
    });
  });
}
