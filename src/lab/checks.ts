// A lab's checks: pings between namespaces and captures on links. Captures start first, so that they see
// the pings' packets; each ping waits (up to `within`) for a first reply — a spanning tree may still be
// converging — then sends `count` pings and keeps their reply lines; each capture then waits (up to its
// `within`, counted from the end of the pings) for its pattern. Results come as a table.
import { startTextCapture, type TextCapture } from './capture.js';
import { type CaptureCheck, describeCheck, type Lab, type LabCheck, type PingCheck } from './model.js';
import type { Progress } from './progress.js';
import { inNamespace, run } from './system.js';

/** The outcome of one check. */
export interface CheckResult {
  readonly check: LabCheck;
  readonly ok: boolean;
  /** One line on why (a reply line, the matched capture line, what went wrong). */
  readonly detail: string;
  /** What it saw: ping reply lines, or the capture lines that matched. */
  readonly output: readonly string[];
  readonly seconds: number;
}

/** True when one ping from `ns` to `to` gets an answer within a second. */
export async function pingOnce(ns: string, to: string): Promise<boolean> {
  const r = await run(inNamespace(ns, ['ping', '-c', '1', '-W', '1', '-q', to]), {}, 5000).catch(
    () => undefined,
  );
  return r?.status === 0;
}

/** Polls until `ns` reaches `to` or `seconds` pass; `onTick` gets the seconds waited so far. */
export async function waitForReply(
  ns: string,
  to: string,
  seconds: number,
  onTick: (elapsed: number) => void = () => {},
  signal?: AbortSignal,
): Promise<boolean> {
  const start = Date.now();
  while (Date.now() - start < seconds * 1000 && signal?.aborted !== true) {
    if (await pingOnce(ns, to)) return true;
    onTick((Date.now() - start) / 1000);
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function runPing(
  c: PingCheck,
  onTick: (elapsed: number) => void,
  signal?: AbortSignal,
): Promise<Omit<CheckResult, 'seconds'>> {
  if (c.expect === 'reply' && !(await waitForReply(c.from, c.to, c.within, onTick, signal)))
    return { check: c, ok: false, detail: `no reply within ${c.within} s`, output: [] };
  const argv = inNamespace(c.from, ['ping', '-c', String(c.count), '-i', '0.2', '-W', '1', c.to]);
  const r = await run(argv, {}, (c.count + 5) * 1000);
  const replies = r.stdout.split('\n').filter((l) => /bytes from/.test(l));
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout);
  const counted = summary === null ? '' : ` (${summary[2]}/${summary[1]} replies)`;
  if (c.expect === 'no-reply') {
    const ok = replies.length === 0;
    return {
      check: c,
      ok,
      detail: ok ? `no reply, as expected${counted}` : `${replies[0]}${counted}`,
      output: replies,
    };
  }
  const ok = replies.length > 0;
  const why = (r.stderr.trim() || r.stdout.trim().split('\n').pop()) ?? '';
  return {
    check: c,
    ok,
    detail: ok ? `${replies[0]}${counted}` : `no reply${counted}: ${why}`,
    output: replies,
  };
}

/** The full lines of `text` that the match `m` covers. */
function matchedLines(text: string, m: RegExpExecArray): string[] {
  const start = text.lastIndexOf('\n', m.index) + 1;
  const endNl = text.indexOf('\n', m.index + Math.max(m[0].length - 1, 0));
  const end = endNl < 0 ? text.length : endNl;
  return text.slice(start, end).split('\n');
}

/** Options of runChecks. */
export interface CheckOptions {
  readonly progress: Progress;
  /** Called as each result is known. */
  readonly onResult?: (r: CheckResult) => void;
  /** Aborting stops the checks early (the rest are reported as not run). */
  readonly signal?: AbortSignal;
}

/** Runs every check of `lab`; results in the file's order. */
export async function runChecks(lab: Lab, opts: CheckOptions): Promise<CheckResult[]> {
  const { progress } = opts;
  const begin = Date.now();
  const captures = new Map<CaptureCheck, TextCapture | Error>();
  for (const c of lab.checks) {
    if (c.kind !== 'capture') continue;
    progress.step(`starting a capture on ${c.link.ns}:${c.link.dev}`);
    try {
      captures.set(c, await startTextCapture(c.link, c.args));
      progress.succeed(
        `capturing on ${c.link.ns}:${c.link.dev}${c.args.length > 0 ? ` (${c.args.join(' ')})` : ''}`,
      );
    } catch (err) {
      captures.set(c, err as Error);
      progress.fail(`no capture on ${c.link.ns}:${c.link.dev}: ${(err as Error).message}`);
    }
  }
  const results = new Map<LabCheck, CheckResult>();
  const done = (r: CheckResult) => {
    results.set(r.check, r);
    opts.onResult?.(r);
  };
  try {
    for (const c of lab.checks) {
      if (c.kind !== 'ping' || opts.signal?.aborted) continue;
      const t0 = Date.now();
      progress.step(describeCheck(c));
      const r = await runPing(
        c,
        (s) => progress.update(`${describeCheck(c)} — waiting for a reply, ${s.toFixed(0)} s`),
        opts.signal,
      );
      const res = { ...r, seconds: (Date.now() - t0) / 1000 };
      if (res.ok) progress.succeed(`${describeCheck(c)}: ${res.detail}`);
      else progress.fail(`${describeCheck(c)}: ${res.detail}`);
      done(res);
    }
    const pingsDone = Date.now();
    for (const [c, cap] of captures) {
      if (opts.signal?.aborted) break;
      progress.step(`${describeCheck(c)}`);
      if (cap instanceof Error) {
        done({ check: c, ok: false, detail: cap.message, output: [], seconds: 0 });
        progress.fail();
        continue;
      }
      const m = await cap.waitFor(c.match, () => (opts.signal?.aborted ? 0 : pingsDone + c.within * 1000));
      const text = cap.text();
      const res: CheckResult =
        m === undefined
          ? {
              check: c,
              ok: false,
              detail: `not seen within ${c.within} s (${text.split('\n').filter(Boolean).length} packets seen)`,
              output: text.split('\n').slice(0, 5),
              seconds: (Date.now() - begin) / 1000,
            }
          : {
              check: c,
              ok: true,
              detail: matchedLines(text, m).join(' ⏎ '),
              output: matchedLines(text, m),
              seconds: (Date.now() - begin) / 1000,
            };
      if (res.ok) progress.succeed(`${describeCheck(c)}: seen`);
      else progress.fail(`${describeCheck(c)}: ${res.detail}`);
      done(res);
    }
  } finally {
    for (const cap of captures.values()) if (!(cap instanceof Error)) await cap.stop();
  }
  const notRun = (c: LabCheck): CheckResult => ({
    check: c,
    ok: false,
    detail: 'not run (interrupted)',
    output: [],
    seconds: 0,
  });
  return lab.checks.map((c) => results.get(c) ?? notRun(c));
}

/** A plain text table: columns padded to their widest cell, the last column left as is. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The pass/fail table of check results. */
export function resultsTable(results: readonly CheckResult[], maxDetail = 110): string {
  const rows = results.map((r, i) => {
    const detail = r.detail.length > maxDetail ? `${r.detail.slice(0, maxDetail - 1)}…` : r.detail;
    return [String(i + 1), describeCheck(r.check), r.ok ? 'pass' : 'FAIL', detail];
  });
  return formatTable(['#', 'CHECK', 'RESULT', 'DETAIL'], rows);
}
