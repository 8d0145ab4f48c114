// The on-disk log of an OVSDB standalone database: record framing ("OVSDB JSON <len> <sha1>\n<json>\n"),
// torn-tail recovery on open, durable group-committed appends, atomic rewrite (compaction) and the lock
// file. Records are plain JSON objects here; src/ovsdb/log-records.ts knows their shape and the database
// layer their meaning. Format facts: docs/ovsdb-file-format.md.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fsp, readFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { JsonObject } from '../jsonrpc/json.js';
import { isJsonObject } from '../jsonrpc/json.js';
import { processAlive } from '../util/daemon.js';

/** The magic of a standalone database file. */
export const STANDALONE_MAGIC = 'JSON';
/** The magic of a clustered (Raft) database file, which tsovs refuses. */
export const CLUSTERED_MAGIC = 'CLUSTER';

const HEADER_PREFIX = `OVSDB ${STANDALONE_MAGIC} `;
const CLUSTERED_PREFIX = `OVSDB ${CLUSTERED_MAGIC} `;
/** OVS reads a header line into a 128-byte buffer; a longer "header" is not one. */
const MAX_HEADER_BYTES = 128;
const HEADER_RE = /^OVSDB ([^ \n]+) ([0-9]+) ([0-9a-fA-F]{40})$/;
const NEWLINE = 0x0a;

/** Stable error codes of the log layer. */
export type DbLogErrorCode =
  | 'not found'
  | 'already exists'
  | 'clustered database'
  | 'bad magic'
  | 'corrupt record'
  | 'locked'
  | 'invalid record'
  | 'read only'
  | 'closed'
  | 'I/O error';

/** An error of the database log, with a stable `code` and where it happened. */
export class DbLogError extends Error {
  constructor(
    /** What went wrong, e.g. "corrupt record" or "locked". */
    readonly code: DbLogErrorCode,
    message: string,
    /** The database file (or lock file) concerned. */
    readonly path?: string,
    /** Byte offset in the file, for record errors. */
    readonly offset?: number,
    /** For "locked": the process holding the lock, when known. */
    readonly pid?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DbLogError';
  }
}

/** A torn or corrupt last record found on open. */
export interface TornTail {
  path: string;
  /** Byte offset where the bad record starts (the new end of the file). */
  offset: number;
  /** How many bytes followed that offset. */
  droppedBytes: number;
  /** What was wrong with the record. */
  reason: string;
  /** False when the log was opened read-only and the file left as it was. */
  truncated: boolean;
}

/** The file operations the log depends on; tests replace them to inject failures. */
export interface LogIo {
  /** Writes all of `data` at `position`. */
  writeAt(fh: FileHandle, data: Buffer, position: number): Promise<void>;
  /** Makes the file's data durable (fdatasync). */
  sync(fh: FileHandle): Promise<void>;
  /** Renames `from` over `to`. */
  rename(from: string, to: string): Promise<void>;
}

/** Options of `DbLog.open`. */
export interface DbLogOpenOptions {
  /** Read only: no lock, no truncation of a torn tail, no appends (like `ovsdb-tool show-log`). */
  readOnly?: boolean;
  /** Called when a torn last record is found (and, unless read-only, truncated away). */
  onTornTail?: (tail: TornTail) => void;
  /** Called for problems that do not fail the operation (e.g. a directory fsync that failed). */
  onWarning?: (message: string) => void;
  /** File operations, for fault injection in tests. */
  io?: Partial<LogIo>;
}

/** Options of `DbLog.create` and `DbLog.rewrite`. */
export type DbLogWriteOptions = Pick<DbLogOpenOptions, 'onWarning' | 'io'>;

/** What `DbLog.open` found. */
export interface OpenedLog {
  log: DbLog;
  /** Every record of the file in order; the first is the schema. */
  records: JsonObject[];
  /** Set when a torn last record was found. */
  tornTail?: TornTail;
}

/** Counters of a log's writes, for observability and tests. */
export interface DbLogStats {
  /** Records appended. */
  records: number;
  /** Batched writes (one per group commit). */
  writes: number;
  /** fdatasync calls. */
  syncs: number;
}

const defaultIo: LogIo = {
  async writeAt(fh, data, position) {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  },
  sync: (fh) => fh.datasync(),
  rename: (from, to) => fsp.rename(from, to),
};

/** Frames one record: header line, compact JSON, newline. */
export function frameRecord(record: JsonObject, magic: string = STANDALONE_MAGIC): Buffer {
  if (!isJsonObject(record)) throw new DbLogError('invalid record', 'log record must be a JSON object');
  let text: string;
  try {
    text = JSON.stringify(record);
  } catch (err) {
    throw new DbLogError(
      'invalid record',
      `log record is not serializable: ${String(err)}`,
      undefined,
      undefined,
      undefined,
      {
        cause: err,
      },
    );
  }
  const body = Buffer.from(`${text}\n`, 'utf8');
  const sha1 = createHash('sha1').update(body).digest('hex');
  return Buffer.concat([Buffer.from(`OVSDB ${magic} ${body.length} ${sha1}\n`, 'latin1'), body]);
}

/** Frames several records into one buffer. */
export function frameRecords(records: readonly JsonObject[]): Buffer {
  return Buffer.concat(records.map((r) => frameRecord(r)));
}

type RecordParse = { ok: true; record: JsonObject; end: number } | { ok: false; reason: string };

/** Parses the record starting at `offset`, checking header, length, SHA-1 and JSON. */
function parseRecordAt(buf: Buffer, offset: number): RecordParse {
  const searchEnd = Math.min(buf.length, offset + MAX_HEADER_BYTES);
  const nl = buf.indexOf(NEWLINE, offset);
  if (nl < 0 || nl >= searchEnd) {
    const reason = searchEnd === buf.length ? 'header line is incomplete' : 'header line is too long';
    return { ok: false, reason };
  }
  const header = buf.toString('latin1', offset, nl);
  const m = HEADER_RE.exec(header);
  if (!m) return { ok: false, reason: `malformed header line ${JSON.stringify(header)}` };
  if (m[1] !== STANDALONE_MAGIC) return { ok: false, reason: `unexpected magic "${m[1]}"` };
  const length = Number(m[2]);
  if (length === 0 || !Number.isSafeInteger(length)) return { ok: false, reason: `bad length ${m[2]}` };
  const start = nl + 1;
  if (buf.length - start < length) {
    return { ok: false, reason: `record is ${length} bytes but only ${buf.length - start} are present` };
  }
  const body = buf.subarray(start, start + length);
  const actual = createHash('sha1').update(body).digest('hex');
  if (actual !== m[3].toLowerCase()) {
    return {
      ok: false,
      reason: `${length} bytes have SHA-1 ${actual} but should have ${m[3].toLowerCase()}`,
    };
  }
  return parseBody(body, start + length);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseBody(body: Buffer, end: number): RecordParse {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(body));
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!isJsonObject(value)) return { ok: false, reason: 'not a JSON object' };
  return { ok: true, record: value, end };
}

/** Checks the magic at the start of a file: a standalone header or a prefix of one (a torn first header). */
function checkMagic(buf: Buffer, path: string): void {
  const head = buf.toString('latin1', 0, Math.min(buf.length, HEADER_PREFIX.length));
  if (HEADER_PREFIX.startsWith(head)) return;
  if (buf.toString('latin1', 0, CLUSTERED_PREFIX.length) === CLUSTERED_PREFIX) {
    throw new DbLogError(
      'clustered database',
      `${path}: clustered database files are not supported (standalone only; see ovsdb-tool cluster-to-standalone)`,
      path,
      0,
    );
  }
  throw new DbLogError('bad magic', `${path}: not an OVSDB standalone database (bad magic)`, path, 0);
}

/** The offset of the first valid record starting (at a line start) after `offset`, if any. */
function hasValidRecordAfter(buf: Buffer, offset: number): number | undefined {
  const needle = Buffer.from(`\n${HEADER_PREFIX}`, 'latin1');
  for (let at = buf.indexOf(needle, offset); at >= 0; at = buf.indexOf(needle, at + 1)) {
    if (parseRecordAt(buf, at + 1).ok) return at + 1;
  }
  return undefined;
}

/** The result of scanning a whole file. */
export interface ScannedLog {
  records: JsonObject[];
  /** End of the last good record. */
  goodEnd: number;
  /** End offset of each record, in order. */
  ends: number[];
  /** The bad last record, if any. */
  tail?: { offset: number; reason: string };
}

/** Splits a whole file into records; a bad last record is reported, a bad record before a good one throws. */
export function scanLog(buf: Buffer, path = '<buffer>'): ScannedLog {
  checkMagic(buf, path);
  const records: JsonObject[] = [];
  const ends: number[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const parsed = parseRecordAt(buf, offset);
    if (!parsed.ok) {
      const later = hasValidRecordAfter(buf, offset);
      if (later !== undefined) {
        throw new DbLogError(
          'corrupt record',
          `${path}: corrupt record at offset ${offset} (${parsed.reason}), followed by a valid record at offset ${later}; refusing to drop committed data`,
          path,
          offset,
        );
      }
      return { records, goodEnd: offset, ends, tail: { offset, reason: parsed.reason } };
    }
    records.push(parsed.record);
    ends.push(parsed.end);
    offset = parsed.end;
  }
  return { records, goodEnd: offset, ends };
}

interface Deferred {
  resolve(): void;
  reject(err: unknown): void;
}

/** A queued write: records appended to the file, or the file replaced by them (online compaction). */
interface QueueItem {
  kind: 'append' | 'replace';
  data: Buffer;
  count: number;
  done: Deferred;
}

/** An open standalone database log: appends are serialized, group-committed and durable when they resolve. */
export class DbLog {
  private queue: QueueItem[] = [];
  private draining = false;
  private drained: Promise<void> = Promise.resolve();
  private broken: DbLogError | undefined;
  private closed = false;
  private readonly counters: DbLogStats = { records: 0, writes: 0, syncs: 0 };

  private constructor(
    /** The path the log was opened with. */
    readonly path: string,
    /** The file behind `path`, symlinks followed. */
    readonly realPath: string,
    private fh: FileHandle,
    private end: number,
    private base: number,
    private readonly lock: LockFile | undefined,
    private readonly io: LogIo,
    private readonly onWarning: (message: string) => void,
  ) {}

  /** Opens an existing database file, reads and verifies every record, and truncates a torn last record. */
  static async open(path: string, opts: DbLogOpenOptions = {}): Promise<OpenedLog> {
    const realPath = await resolveExisting(path);
    const lock = opts.readOnly ? undefined : await LockFile.acquire(lockPathFor(realPath));
    let fh: FileHandle | undefined;
    try {
      fh = await fsp.open(realPath, opts.readOnly ? 'r' : fsConstants.O_RDWR);
      const scanned = scanLog(await fh.readFile(), path);
      const tornTail = scanned.tail && (await handleTornTail(fh, path, scanned, opts));
      const base = scanned.ends[Math.min(1, scanned.ends.length - 1)] ?? 0;
      const io = { ...defaultIo, ...opts.io };
      const log = new DbLog(path, realPath, fh, scanned.goodEnd, base, lock, io, warner(opts));
      if (opts.readOnly) log.broken = new DbLogError('read only', `${path}: opened read-only`, path);
      return { log, records: scanned.records, ...(tornTail ? { tornTail } : {}) };
    } catch (err) {
      await fh?.close().catch(() => {});
      await lock?.release();
      throw asIoError(err, path);
    }
  }

  /** Creates a new database file (error if it exists) holding `firstRecord`, durably. */
  static async create(path: string, firstRecord: JsonObject, opts: DbLogWriteOptions = {}): Promise<DbLog> {
    const data = frameRecord(firstRecord);
    const realPath = await resolveMaybeMissing(path);
    const lock = await LockFile.acquire(lockPathFor(realPath)).catch((err: unknown) => {
      throw asIoError(err, path);
    });
    const io = { ...defaultIo, ...opts.io };
    let fh: FileHandle | undefined;
    try {
      fh = await openExclusive(realPath, path);
      await io.writeAt(fh, data, 0);
      await fh.sync();
      await syncDirectory(dirname(realPath), warner(opts));
      const log = new DbLog(path, realPath, fh, data.length, data.length, lock, io, warner(opts));
      log.counters.records = 1;
      return log;
    } catch (err) {
      if (fh) {
        await fh.close().catch(() => {});
        await fsp.unlink(realPath).catch(() => {});
      }
      await lock.release();
      throw asIoError(err, path);
    }
  }

  /** Atomically replaces the file at `path` by `records` (offline compaction); takes the lock meanwhile. */
  static async rewrite(
    path: string,
    records: readonly JsonObject[],
    opts: DbLogWriteOptions = {},
  ): Promise<void> {
    const data = frameRecords(records);
    const realPath = await resolveExisting(path);
    const lock = await LockFile.acquire(lockPathFor(realPath));
    try {
      const fh = await writeReplacement(realPath, data, { ...defaultIo, ...opts.io }, warner(opts));
      await fh.close();
    } finally {
      await lock.release();
    }
  }

  /** Current size of the file in bytes (end of the last durable record). */
  get size(): number {
    return this.end;
  }

  /** Write counters since open. */
  get stats(): Readonly<DbLogStats> {
    return { ...this.counters };
  }

  /** True when the log has grown enough that compacting is worthwhile (OVS's rule: > 10 MiB and doubled). */
  grewLots(): boolean {
    return this.end > 10 * 1024 * 1024 && this.end / 2 > this.base;
  }

  /** Appends `records` in one write and resolves once they are on disk; concurrent appends share one sync. */
  append(records: readonly JsonObject[]): Promise<void> {
    return this.queueWrite('append', records);
  }

  /** Atomically replaces the whole file by `records` (online compaction), after the appends queued before. */
  replace(records: readonly JsonObject[]): Promise<void> {
    return this.queueWrite('replace', records);
  }

  /** Frames `records` now (so bad records fail at once) and queues their write. */
  private queueWrite(kind: 'append' | 'replace', records: readonly JsonObject[]): Promise<void> {
    let data: Buffer;
    try {
      this.checkWritable();
      data = frameRecords(records);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue((done) => ({ kind, data, count: records.length, done }));
  }

  /** Waits for queued writes, closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.drained;
    await this.fh.close();
    await this.lock?.release();
  }

  private checkWritable(): void {
    if (this.closed) throw new DbLogError('closed', `${this.path}: log is closed`, this.path);
    if (this.broken) throw this.broken;
  }

  private enqueue(make: (done: Deferred) => QueueItem): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push(make({ resolve, reject }));
      if (!this.draining) this.drained = this.drain();
    });
  }

  /** Runs queued items in order: consecutive appends as one batch, a replace on its own. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        let n = 1;
        if (this.queue[0].kind === 'append') {
          while (n < this.queue.length && this.queue[n].kind === 'append') n++;
        }
        const items = this.queue.splice(0, n);
        try {
          if (items[0].kind === 'replace') await this.runReplace(items[0]);
          else await this.runAppendBatch(items);
        } catch (err) {
          for (const item of items) item.done.reject(err); // unexpected; settled items ignore this
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async runAppendBatch(batch: QueueItem[]): Promise<void> {
    const settle = (err?: unknown) => {
      for (const item of batch) err === undefined ? item.done.resolve() : item.done.reject(err);
    };
    if (this.broken) return settle(this.broken);
    const data = Buffer.concat(batch.map((item) => item.data));
    if (data.length === 0) return settle();
    try {
      this.counters.writes++;
      await this.io.writeAt(this.fh, data, this.end);
    } catch (err) {
      await this.undoPartialWrite(err);
      return settle(asIoError(err, this.path, `${this.path}: write failed`));
    }
    try {
      this.counters.syncs++;
      await this.io.sync(this.fh);
    } catch (err) {
      // After a failed fsync the kernel may have dropped the dirty pages: nothing written since is trustworthy.
      this.broken = asIoError(err, this.path, `${this.path}: fdatasync failed; log must be reopened`);
      return settle(this.broken);
    }
    this.end += data.length;
    for (const item of batch) this.counters.records += item.count;
    settle();
  }

  /** Cuts a partial write off the end of the file, so the next append starts clean. */
  private async undoPartialWrite(cause: unknown): Promise<void> {
    try {
      await this.fh.truncate(this.end);
    } catch (err) {
      this.broken = asIoError(err, this.path, `${this.path}: cannot truncate after failed write`);
      this.onWarning(`${this.path}: write failed (${String(cause)}) and truncation failed (${String(err)})`);
    }
  }

  private async runReplace(item: QueueItem): Promise<void> {
    if (this.broken) return item.done.reject(this.broken);
    try {
      const fh = await writeReplacement(this.realPath, item.data, this.io, this.onWarning);
      await this.fh.close().catch(() => {});
      this.fh = fh;
      this.end = item.data.length;
      this.base = item.data.length;
      this.counters.records += item.count;
      item.done.resolve();
    } catch (err) {
      item.done.reject(err);
    }
  }
}

/** Truncates (unless read-only) and reports a torn last record. */
async function handleTornTail(
  fh: FileHandle,
  path: string,
  scanned: ScannedLog,
  opts: DbLogOpenOptions,
): Promise<TornTail> {
  const tail = scanned.tail!;
  const { size } = await fh.stat();
  if (!opts.readOnly) {
    await fh.truncate(scanned.goodEnd);
    await fh.datasync();
  }
  const torn: TornTail = {
    path,
    offset: tail.offset,
    droppedBytes: size - tail.offset,
    reason: tail.reason,
    truncated: !opts.readOnly,
  };
  opts.onTornTail?.(torn);
  return torn;
}

/** Writes `data` to `<realPath>.tmp`, syncs it, renames it over `realPath`, syncs the directory. */
async function writeReplacement(
  realPath: string,
  data: Buffer,
  io: LogIo,
  onWarning: (message: string) => void,
): Promise<FileHandle> {
  const tmp = `${realPath}.tmp`;
  await fsp.unlink(tmp).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw asIoError(err, tmp, `failed to remove ${tmp}`);
  });
  const fh = await openExclusive(tmp, tmp);
  try {
    await io.writeAt(fh, data, 0);
    await fh.sync();
    await io.rename(tmp, realPath);
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    throw asIoError(err, realPath, `${realPath}: rewrite failed`);
  }
  await syncDirectory(dirname(realPath), onWarning);
  return fh;
}

async function openExclusive(realPath: string, shownPath: string): Promise<FileHandle> {
  const flags = fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL;
  try {
    return await fsp.open(realPath, flags, 0o660);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DbLogError('already exists', `${shownPath}: file already exists`, shownPath);
    }
    throw asIoError(err, shownPath, `${shownPath}: create failed`);
  }
}

async function syncDirectory(dir: string, onWarning: (message: string) => void): Promise<void> {
  try {
    const dh = await fsp.open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch (err) {
    onWarning(`${dir}: fsync of directory failed (${String(err)})`);
  }
}

/** The real path of an existing file, or a "not found" error. */
async function resolveExisting(path: string): Promise<string> {
  try {
    return await fsp.realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DbLogError('not found', `${path}: database file not found`, path);
    }
    throw asIoError(err, path);
  }
}

/** The real path of a file that may not exist yet (its directory's real path joined with its name). */
async function resolveMaybeMissing(path: string): Promise<string> {
  try {
    return await fsp.realpath(path);
  } catch {
    const dir = await fsp.realpath(dirname(resolve(path))).catch(() => dirname(resolve(path)));
    return join(dir, basename(path));
  }
}

function warner(opts: { onWarning?: (message: string) => void }): (message: string) => void {
  return opts.onWarning ?? (() => {});
}

function asIoError(err: unknown, path: string, message?: string): DbLogError {
  if (err instanceof DbLogError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new DbLogError('I/O error', message ? `${message}: ${detail}` : detail, path, undefined, undefined, {
    cause: err,
  });
}

// ---- The lock file -------------------------------------------------------------------------------

/** OVS's lock file name for a database: `DIR/.NAME.~lock~`. */
export function lockPathFor(dbPath: string): string {
  return join(dirname(dbPath), `.${basename(dbPath)}.~lock~`);
}

/** Lock files this process holds (OVS refuses a second lock by the same process, too). */
const heldLocks = new Set<string>();

interface LockOwner {
  pid: number;
  startTime?: string;
}

/**
 * An exclusive lock on a database, kept in OVS's lock file `.NAME.~lock~`. OVS holds an fcntl lock on
 * that file, which Node.js cannot take; we make the file itself the lock (created with link(), holding
 * "<pid> <start time>"), break it when its owner is gone, and respect a real OVS's fcntl lock on it.
 */
export class LockFile {
  private constructor(
    /** The lock file's path. */
    readonly path: string,
    private readonly ino: bigint,
  ) {}

  /** Takes the lock at `lockPath`, breaking a stale one; throws "locked" if a live process holds it. */
  static async acquire(lockPath: string): Promise<LockFile> {
    if (heldLocks.has(lockPath)) {
      throw lockedError(lockPath, process.pid, 'this process has already locked it');
    }
    heldLocks.add(lockPath);
    try {
      return await LockFile.tryAcquire(lockPath);
    } catch (err) {
      heldLocks.delete(lockPath);
      throw err;
    }
  }

  private static async tryAcquire(lockPath: string): Promise<LockFile> {
    const token = `${process.pid} ${processStartTime(process.pid) ?? ''}\n`;
    for (let attempt = 0; attempt < 8; attempt++) {
      await checkKernelLock(lockPath);
      const ino = await linkLockFile(lockPath, token);
      if (ino !== undefined) return new LockFile(lockPath, ino);
      const existing = await readLockFile(lockPath);
      if (!existing) continue;
      const owner = parseLockOwner(existing.content);
      if (owner && ownerIsAlive(owner)) {
        throw lockedError(lockPath, owner.pid, `it is already locked by pid ${owner.pid}`);
      }
      await breakStaleLock(lockPath, existing.ino);
    }
    throw lockedError(lockPath, undefined, 'it is contended');
  }

  /** Releases the lock (removes the lock file if it is still ours). */
  async release(): Promise<void> {
    if (!heldLocks.has(this.path)) return;
    heldLocks.delete(this.path);
    const st = await fsp.stat(this.path, { bigint: true }).catch(() => undefined);
    if (st && st.ino === this.ino) await fsp.unlink(this.path).catch(() => {});
  }
}

function lockedError(lockPath: string, pid: number | undefined, why: string): DbLogError {
  return new DbLogError('locked', `${lockPath}: cannot lock file because ${why}`, lockPath, undefined, pid);
}

/** Creates the lock file atomically with our token; returns its inode, or undefined if it exists. */
async function linkLockFile(lockPath: string, token: string): Promise<bigint | undefined> {
  const tmp = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await fsp.writeFile(tmp, token, { flag: 'wx', mode: 0o600 });
  try {
    await fsp.link(tmp, lockPath);
    return (await fsp.stat(lockPath, { bigint: true })).ino;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw asIoError(err, lockPath, `${lockPath}: failed to create lock file`);
  } finally {
    await fsp.unlink(tmp).catch(() => {});
  }
}

async function readLockFile(lockPath: string): Promise<{ content: string; ino: bigint } | undefined> {
  try {
    const fh = await fsp.open(lockPath, 'r');
    try {
      const st = await fh.stat({ bigint: true });
      return { content: await fh.readFile('utf8'), ino: st.ino };
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw asIoError(err, lockPath);
  }
}

function parseLockOwner(content: string): LockOwner | undefined {
  const m = /^(\d+)(?: (\d+))?\s*$/.exec(content.trim());
  if (!m) return undefined;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return m[2] ? { pid, startTime: m[2] } : { pid };
}

/** True when the process named in a lock file still runs (and is the same process, not a reused pid). */
function ownerIsAlive(owner: LockOwner): boolean {
  if (!processAlive(owner.pid)) return false;
  if (owner.startTime === undefined) return true;
  const now = processStartTime(owner.pid);
  return now === undefined || now === owner.startTime;
}

/** The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat), if readable. */
function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    // A tiny procfs file, read synchronously; locks are taken rarely (open, create, rewrite).
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which is in parentheses and may hold spaces) start at field 3.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
}

/** Removes a stale lock file, but only the inode we judged stale (a racing locker's new file survives). */
async function breakStaleLock(lockPath: string, staleIno: bigint): Promise<void> {
  const aside = `${lockPath}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    await fsp.rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw asIoError(err, lockPath, `${lockPath}: cannot remove stale lock file`);
  }
  const st = await fsp.stat(aside, { bigint: true });
  if (st.ino !== staleIno) await fsp.link(aside, lockPath).catch(() => {});
  await fsp.unlink(aside).catch(() => {});
}

/** Throws "locked" when some process holds a kernel (fcntl/OFD/flock) lock on the lock file, as OVS does. */
async function checkKernelLock(lockPath: string): Promise<void> {
  const st = await fsp.stat(lockPath, { bigint: true }).catch(() => undefined);
  if (!st) return;
  const locks = await fsp.readFile('/proc/locks', 'utf8').catch(() => '');
  const holder = findKernelLockHolder(locks, st.dev, st.ino);
  if (holder !== undefined) {
    const who = holder > 0 ? `it is already locked by pid ${holder}` : 'another process holds a lock on it';
    throw lockedError(lockPath, holder > 0 ? holder : undefined, who);
  }
}

/** Finds a lock on (dev, ino) in the text of /proc/locks; returns the holder's pid (-1 for OFD locks). */
export function findKernelLockHolder(procLocks: string, dev: bigint, ino: bigint): number | undefined {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  for (const line of procLocks.split('\n')) {
    if (line.includes('->')) continue; // a blocked waiter, not a holder
    const m = /^\d+:\s+\S+\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!m) continue;
    if (BigInt(`0x${m[2]}`) === major && BigInt(`0x${m[3]}`) === minor && BigInt(m[4]) === ino) {
      return Number(m[1]);
    }
  }
  return undefined;
}
