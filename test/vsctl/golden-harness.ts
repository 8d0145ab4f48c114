// Plumbing for the ovs-vsctl golden tests (golden.test.ts): splitting a case's command line, resolving its
// per-server UUID placeholders, running a vsctl (the real one or ours) with a deadline, normalising output
// (UUIDs numbered, hash-ordered blocks sorted) and snapshotting a whole database in a server-independent form.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../src/jsonrpc/json.js';
import { openSession, ROOT, type RunResult, runCommand, tsovsArgv } from '../helpers/daemons.js';
import { sortByMasked, sortShow, UUID_RE as UUID } from './compare.js';

/** How a command line's stdout is put in a canonical order before comparing (see {@link normaliseOutput}). */
export type OrderMode = 'none' | 'records' | 'bare' | 'table' | 'csv' | 'json' | 'html' | 'show' | 'lines';

/** What sorting needs to know about a command line's output besides its mode. */
export interface OutputShape {
  /** Whether it starts with a heading (table, csv, html). */
  headings: boolean;
  /** How many columns each record has (--bare with --columns), or 0 when unknown. */
  columns: number;
}

/** What a finished vsctl printed, and how it ended. */
export type VsctlResult = RunResult;

/** Splits a command line the way sh does for words: blanks separate, '…' is literal, "…" and \ escape. */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${line}`);
      word += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '')) i++;
        word += line[i];
        i++;
      }
      if (i >= line.length) throw new Error(`unterminated " in ${line}`);
      inWord = true;
    } else if (c === '\\') {
      word += line[i + 1] ?? '';
      i++;
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const PLACEHOLDER = /\{uuid:([A-Za-z_]+):([^}]+)\}/g;

/** The UUID placeholders `{uuid:TABLE:RECORD}` / `{uuid:TABLE:COL=VALUE}` in `words`, deduplicated. */
export function placeholdersIn(words: string[]): string[] {
  const found = new Set<string>();
  for (const w of words) for (const m of w.matchAll(PLACEHOLDER)) found.add(m[0]);
  return [...found];
}

/**
 * The real ovs-vsctl arguments that print the UUID a placeholder names: `get TABLE RECORD _uuid`, or, for
 * `COL=VALUE`, `find TABLE COL=VALUE` with only `_uuid` printed bare.
 */
export function placeholderQuery(placeholder: string): string[] {
  const m = /^\{uuid:([A-Za-z_]+):([^}]+)\}$/.exec(placeholder);
  if (m === null) throw new Error(`not a placeholder: ${placeholder}`);
  const [, table, record] = m as unknown as [string, string, string];
  if (/^[a-z_]+=/.test(record)) return ['--bare', '--columns=_uuid', 'find', table, record];
  return ['get', table, record, '_uuid'];
}

/** `words` with each placeholder replaced by its UUID from `uuids`. */
export function substitutePlaceholders(words: string[], uuids: Map<string, string>): string[] {
  return words.map((w) => w.replace(PLACEHOLDER, (p) => uuids.get(p) ?? p));
}

/** Runs `cmd ARGS…` with stdin closed; a run still going after `timeoutMs` is killed (SIGKILL). */
export function runWithDeadline(cmd: string, args: string[], timeoutMs = 15000): Promise<VsctlResult> {
  return runCommand(cmd, args, {}, timeoutMs);
}

/** The newest modification time (ms) of any file under `dir`. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * argv prefix that runs `tsovs`: the compiled CLI (`node bin/tsovs.js`, about a third of tsx's start-up)
 * when dist holds a build of main.ts and vsctl.ts at least as new as every source file, else tsx on src.
 */
export function fastTsovsArgv(): string[] {
  const built = ['main.js', 'vsctl.js'].map((f) => join(ROOT, 'dist', 'src', 'cli', f));
  if (built.every((f) => existsSync(f))) {
    const builtAt = Math.min(...built.map((f) => statSync(f).mtimeMs));
    if (builtAt >= newestMtime(join(ROOT, 'src'))) return [process.execPath, join(ROOT, 'bin', 'tsovs.js')];
  }
  return tsovsArgv();
}

// ---------------------------------------------------------------------------------------------------------
// Normalisation

const VLOG_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\|\d+\|/gm;

/** Records separated by blank lines (list/find's default format and --bare), sorted. */
function sortRecords(text: string): string {
  if (text === '') return text;
  const trailing = text.endsWith('\n') ? '\n' : '';
  const body = trailing ? text.slice(0, -1) : text;
  return sortByMasked(body.split('\n\n')).join('\n\n') + trailing;
}

/**
 * --bare records of `columns` lines each (a value per line, possibly empty), separated by one empty line,
 * sorted; unchanged when the line count does not fit that shape.
 */
function sortBareRecords(text: string, columns: number): string {
  if (columns === 0) return sortRecords(text);
  const trailing = text.endsWith('\n') ? '\n' : '';
  const lines = (trailing ? text.slice(0, -1) : text).split('\n');
  if (text === '' || (lines.length + 1) % (columns + 1) !== 0) return text;
  const records: string[] = [];
  for (let i = 0; i < lines.length; i += columns + 1) records.push(lines.slice(i, i + columns).join('\n'));
  return sortByMasked(records).join('\n\n') + trailing;
}

/** Lines after the first `head` sorted. */
function sortLinesAfter(text: string, head: number): string {
  const trailing = text.endsWith('\n') ? '\n' : '';
  const lines = (trailing ? text.slice(0, -1) : text).split('\n');
  if (lines.length <= head) return text;
  return [...lines.slice(0, head), ...sortByMasked(lines.slice(head))].join('\n') + trailing;
}

/** The `<tr>…</tr>` row blocks of --format=html sorted, after the first `head` of them. */
function sortHtmlRows(text: string, head: number): string {
  const rows = [...text.matchAll(/ {2}<tr>\n[\s\S]*?<\/tr>\n/g)].map((m) => m[0]);
  if (rows.length <= head) return text;
  const start = text.indexOf(rows[0] as string);
  const end = text.lastIndexOf(rows[rows.length - 1] as string) + (rows[rows.length - 1] as string).length;
  const sorted = [...rows.slice(0, head), ...sortByMasked(rows.slice(head))];
  return text.slice(0, start) + sorted.join('') + text.slice(end);
}

/** The top-level elements of the JSON array that starts at `text[open]` ('['), as raw text; null if malformed. */
function jsonArrayElements(text: string, open: number): { items: string[]; end: number } | null {
  const items: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '[' || c === '{') {
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        if (i > start) items.push(text.slice(start, i));
        return { items, end: i };
      }
    } else if (c === ',' && depth === 1) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return null;
}

/** The rows of --format=json's "data" array sorted, byte for byte otherwise. */
function sortJsonRows(text: string): string {
  const at = text.indexOf('"data":[');
  if (at < 0) return text;
  const open = at + '"data":'.length;
  const parsed = jsonArrayElements(text, open);
  if (parsed === null) return text;
  return `${text.slice(0, open + 1)}${sortByMasked(parsed.items).join(',')}${text.slice(parsed.end)}`;
}

/** `text` in canonical order under `mode`. */
export function sortOutput(text: string, mode: OrderMode, shape: OutputShape): string {
  const { headings } = shape;
  switch (mode) {
    case 'none':
      return text;
    case 'records':
      return sortRecords(text);
    case 'bare':
      return sortBareRecords(text, shape.columns);
    case 'lines':
      return sortLinesAfter(text, 0);
    case 'table':
      return sortLinesAfter(text, headings ? 2 : 0);
    case 'csv':
      return sortLinesAfter(text, headings ? 1 : 0);
    case 'html':
      return sortHtmlRows(text, headings ? 1 : 0);
    case 'json':
      return sortJsonRows(text);
    case 'show':
      return sortShow(text);
  }
}

/**
 * `text` with each distinct UUID replaced by `<N>`, numbered in order of first appearance — first among
 * UUIDs that stand alone on their line (a record's own _uuid, a single reference), then the rest — and
 * with sets of references (`[<2>, <1>]`, JSON `["set",[["uuid","<2>"],…]]`) put in placeholder order,
 * since ovs-vsctl prints sets in UUID order. HTML's 8-digit abbreviations get their UUID's number.
 */
export function numberUuids(text: string): string {
  const numbers = new Map<string, number>();
  const lines = text.split('\n');
  for (const pass of [1, 2]) {
    for (const line of lines) {
      const found = [...new Set(line.match(UUID) ?? [])];
      if (pass === 1 && found.length !== 1) continue;
      for (const u of found) if (!numbers.has(u)) numbers.set(u, numbers.size);
    }
  }
  let out = text.replace(UUID, (u) => `<${numbers.get(u)}>`);
  out = out.replace(/>([0-9a-f]{8})<\/a>/g, (whole, abbrev: string) => {
    const full = [...numbers.keys()].find((u) => u.startsWith(abbrev));
    return full === undefined ? whole : `><${numbers.get(full)}></a>`;
  });
  const byNumber = (a: string, b: string): number =>
    Number(/<(\d+)>/.exec(a)?.[1]) - Number(/<(\d+)>/.exec(b)?.[1]);
  out = out.replace(/\[((?:[^[\]]*<\d+>[^[\]]*, )+[^[\]]*<\d+>[^[\]]*)\]/g, (whole, inner: string) => {
    const items = inner.split(', ');
    if (items.some((i) => (i.match(/<\d+>/g) ?? []).length === 0)) return whole;
    const shapes = new Set(items.map((i) => i.replace(/<\d+>/g, '<>')));
    return shapes.size === 1 ? `[${items.sort(byNumber).join(', ')}]` : whole;
  });
  out = out.replace(
    /\["set",\[((?:\["uuid","<\d+>"\],)+\["uuid","<\d+>"\])\]\]/g,
    (_whole, inner: string) => {
      const items = inner.match(/\["uuid","<\d+>"\]/g) ?? [];
      return `["set",[${items.sort(byNumber).join(',')}]]`;
    },
  );
  return out;
}

/** Everything `ovs-vsctl` output may contain that legitimately differs between the two runs, made equal. */
export function normaliseStream(text: string, dbPaths: string[]): string {
  let out = text.replace(VLOG_TIME, '<time>|<seq>|');
  for (const path of dbPaths) out = out.split(path).join('<db>');
  return out;
}

/** stdout in canonical order with numbered UUIDs (see {@link sortOutput} and {@link numberUuids}). */
export function normaliseOutput(
  text: string,
  mode: OrderMode,
  shape: OutputShape,
  dbPaths: string[],
): string {
  return numberUuids(sortOutput(normaliseStream(text, dbPaths), mode, shape));
}

/**
 * How to order a command line's stdout when a case does not say: `show` by blocks; `list`/`find` by their
 * output format (records, table rows, CSV lines, JSON rows, HTML rows); anything else as printed.
 * Only single-command lines are inferred; lines with `--` between commands say their own mode.
 */
export function inferOrder(words: string[]): { mode: OrderMode; shape: OutputShape } {
  let format = 'list';
  let headings = true;
  let columns = 0;
  let bare = false;
  const commands: string[] = [];
  let expectCommand = true;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '--') {
      expectCommand = true;
    } else if (w.startsWith('-')) {
      if (w.startsWith('--format=')) format = w.slice('--format='.length);
      else if (w === '-f' || w === '--format') format = words[++i] ?? format;
      else if (w === '--bare') bare = true;
      else if (w.startsWith('--columns=')) columns = w.split(',').length;
      else if (w === '--no-headings') headings = false;
      else if (w === '--oneline') format = 'oneline';
    } else if (expectCommand) {
      commands.push(w);
      expectCommand = false;
    }
  }
  const shape = { headings, columns };
  if (commands.length !== 1) return { mode: 'none', shape };
  const [command] = commands;
  if (command === 'show') return { mode: 'show', shape };
  if (command !== 'list' && command !== 'find') return { mode: 'none', shape };
  if (bare) return { mode: 'bare', shape };
  const byFormat: Record<string, OrderMode> = {
    list: 'records',
    table: 'table',
    csv: 'csv',
    json: 'json',
    html: 'html',
    oneline: 'none',
  };
  return { mode: byFormat[format] ?? 'none', shape };
}

// ---------------------------------------------------------------------------------------------------------
// Database snapshots

type Row = Record<string, Json>;

/** A connection to one server's Open_vSwitch database for snapshots and resets, kept open across cases. */
export interface DbInspector {
  /** The database as server-independent text (see {@link canonicalText}). */
  snapshot(): Promise<string>;
  /** Deletes every row of every table: a fresh, empty database. */
  empty(): Promise<void>;
  close(): void;
}

/** Opens a {@link DbInspector} on the unix socket `sock`. */
export async function openInspector(sock: string): Promise<DbInspector> {
  const session = await openSession(sock);
  const schema = (await session.request('get_schema', ['Open_vSwitch'])) as { tables: Record<string, Json> };
  const tables = Object.keys(schema.tables).sort();
  const transact = async (op: string): Promise<Json[]> => {
    const ops = tables.map((table) => ({ op, table, where: [] }));
    const reply = (await session.request('transact', ['Open_vSwitch', ...ops])) as Json[];
    const failed = reply.find((r) => r !== null && typeof r === 'object' && 'error' in r);
    if (failed !== undefined) throw new Error(`${op} on every table failed: ${JSON.stringify(failed)}`);
    return reply;
  };
  return {
    snapshot: async () => {
      const reply = (await transact('select')) as { rows?: Row[] }[];
      return canonicalText(Object.fromEntries(tables.map((table, i) => [table, reply[i]?.rows ?? []])));
    },
    empty: async () => {
      await transact('delete');
    },
    close: () => session.close(),
  };
}

/** A label for a row that does not depend on its UUID: `Table(name)`, `Table(target)` or `Table(…)`. */
function rowLabel(table: string, row: Row): string {
  for (const col of ['name', 'target', 'id']) {
    const v = row[col];
    if (typeof v === 'string' || typeof v === 'number') return `${table}(${v})`;
  }
  return `${table}(…)`;
}

/** An OVSDB JSON datum with UUIDs replaced by their rows' labels and sets and maps sorted. */
function canonicalDatum(value: Json, labels: Map<string, string>): Json {
  if (!Array.isArray(value)) return value;
  if (value[0] === 'uuid' || value[0] === 'named-uuid')
    return `→${labels.get(value[1] as string) ?? `dangling(${String(value[1])})`}`;
  if (value[0] === 'set' || value[0] === 'map') {
    const items = (value[1] as Json[]).map((item) => canonicalDatum(item, labels));
    return [value[0], items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))];
  }
  return value.map((item) => canonicalDatum(item, labels));
}

/**
 * Every table's rows as text that two servers holding "the same" configuration print identically: one line
 * per row, rows sorted within each table, references written as the referenced row's label, `_uuid` and
 * `_version` left out.
 */
function canonicalText(data: Record<string, Row[]>): string {
  const labels = new Map<string, string>();
  for (const [table, rows] of Object.entries(data))
    for (const row of rows) labels.set((row._uuid as Json[])[1] as string, rowLabel(table, row));
  const lines: string[] = [];
  for (const [table, rows] of Object.entries(data)) {
    const rendered = rows.map((row) => {
      const cols = Object.keys(row)
        .filter((c) => c !== '_uuid' && c !== '_version')
        .sort();
      return JSON.stringify(Object.fromEntries(cols.map((c) => [c, canonicalDatum(row[c] as Json, labels)])));
    });
    for (const r of rendered.sort()) lines.push(`${table} ${r}`);
  }
  return lines.join('\n');
}

/** A short line-by-line diff of `expected` and `actual` (lines prefixed -/+), at most `max` lines. */
export function shortDiff(expected: string, actual: string, max = 12): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < max; i++) {
    if (a[i] === b[i]) continue;
    if (a[i] !== undefined) out.push(`- ${JSON.stringify(a[i])}`);
    if (b[i] !== undefined) out.push(`+ ${JSON.stringify(b[i])}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Running `tsovs vsctl` in a resident worker process

/**
 * A child process that has loaded the tsovs CLI once and runs `tsovs vsctl` command lines on request, each
 * through src/cli/main.ts's main() exactly as the CLI would, with the process's output, exit and self-kill
 * intercepted: stdout/stderr writes are captured; process.exit(N) and process.kill(self, SIG) report
 * status N / signal SIG and then really end the worker (the next request starts a new one), so a command
 * that exits or dies on --timeout behaves as in its own process. This saves a tsx start-up (0.4–2 s on
 * this machine) per command line; VSCTL_GOLDEN_SPAWN=1 spawns a process per line instead.
 */
export class VsctlWorker {
  private child: ChildProcess | null = null;
  private buffered = '';
  private waiting: ((r: VsctlResult) => void) | null = null;

  /** Runs `tsovs vsctl ARGS…`; a run still going after `timeoutMs` is killed (reported as SIGKILL). */
  async run(args: string[], timeoutMs: number): Promise<VsctlResult> {
    const child = this.child ?? this.start();
    return new Promise((res) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      this.waiting = (r) => {
        clearTimeout(timer);
        this.waiting = null;
        res(r);
      };
      child.send({ args }, (err) => {
        if (err) child.kill('SIGKILL');
      });
    });
  }

  /** Ends the worker. */
  close(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((res) => {
      child.once('exit', () => res());
      child.kill('SIGKILL');
    });
  }

  private start(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename], {
      env: { ...process.env, VSCTL_GOLDEN_WORKER: '1' },
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.buffered = '';
    let stray = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stray += d;
    });
    const results = child.stdio[3] as NodeJS.ReadableStream;
    results.setEncoding('utf8');
    results.on('data', (d: string) => {
      this.buffered += d;
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        const answer = JSON.parse(line) as VsctlResult & { final: boolean };
        // A run that ended the process (exit, self-kill): the next request needs a new worker.
        if (answer.final && this.child === child) this.child = null;
        this.waiting?.({
          stdout: answer.stdout,
          stderr: answer.stderr,
          status: answer.status,
          signal: answer.signal,
        });
      }
    });
    child.on('exit', (status, signal) => {
      // Died without answering (killed at the deadline, or crashed): report it as a process would end.
      // (A worker that answered before ending itself was retired then; its exit concerns no request.)
      if (this.child !== child) return;
      this.child = null;
      this.waiting?.({ stdout: '', stderr: stray, status, signal });
    });
    return child;
  }
}

/** The worker's side of {@link VsctlWorker}: answers `{args}` messages with results on fd 3. */
async function serveVsctlRequests(): Promise<void> {
  const { main } = await import('../../src/cli/main.js');
  const { writeSync } = await import('node:fs');
  let stdout = '';
  let stderr = '';
  const text = (chunk: unknown): string =>
    typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  const answer = (status: number | null, signal: NodeJS.Signals | null, final = false): void => {
    const line = `${JSON.stringify({ stdout, stderr, status, signal, final })}\n`;
    stdout = '';
    stderr = '';
    let written = 0;
    const bytes = Buffer.from(line, 'utf8');
    while (written < bytes.length) {
      try {
        written += writeSync(3, bytes, written);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
    }
  };
  process.stdout.write = ((chunk: unknown) => {
    stdout += text(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => {
    stderr += text(chunk);
    return true;
  }) as typeof process.stderr.write;
  const realExit = process.exit.bind(process);
  const realKill = process.kill.bind(process);
  process.exit = ((code?: number | string | null) => {
    answer(Number(code ?? process.exitCode ?? 0), null, true);
    realExit(Number(code ?? 0));
  }) as typeof process.exit;
  process.kill = ((pid: number, signal?: string | number) => {
    if (pid !== process.pid) return realKill(pid, signal);
    answer(null, (typeof signal === 'string' ? signal : 'SIGTERM') as NodeJS.Signals, true);
    return realKill(pid, signal);
  }) as typeof process.kill;
  process.on('uncaughtException', (err) => {
    stderr += `${err.stack ?? String(err)}\n`;
    answer(1, null, true);
    realExit(1);
  });
  process.on('message', (message: { args: string[] }) => {
    process.exitCode = undefined;
    main(['vsctl', ...message.args]).then(
      (code) => answer(code, null),
      (err: unknown) => {
        stderr += `tsovs: ${err instanceof Error ? err.message : String(err)}\n`;
        answer(1, null);
      },
    );
  });
}

if (process.env.VSCTL_GOLDEN_WORKER === '1' && process.argv[1] === import.meta.filename)
  void serveVsctlRequests();
