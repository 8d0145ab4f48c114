// Captures on a lab's links with tcpdump, run inside the link's namespace: a text capture that resolves
// once its output matches a regular expression (the checks), and a pcap file of N packets (`lab capture`).
import { type ChildProcess, spawn } from 'node:child_process';
import type { LinkEnd } from './model.js';
import { inNamespace, LabError, which } from './system.js';

/** A running text capture. */
export interface TextCapture {
  /** Everything tcpdump printed so far. */
  text(): string;
  /** Resolves to the first match of `re` in the output, or undefined when `deadline()` passes first. */
  waitFor(re: RegExp, deadline: () => number): Promise<RegExpExecArray | undefined>;
  /** Ends tcpdump; resolves to its output. */
  stop(): Promise<string>;
}

/** Refuses when tcpdump is missing. */
export function requireTcpdump(): void {
  if (which('tcpdump') === undefined)
    throw new LabError(
      'the `tcpdump` command was not found',
      'captures need it: install it (Debian/Ubuntu: `apt-get install tcpdump`)',
      'LAB_MISSING_BINARY',
    );
}

/** Starts `tcpdump -nn -t -l -i DEV ARGS…` (no timestamps, as the seed shows its lines) in the link's namespace; resolves once it listens. */
export async function startTextCapture(link: LinkEnd, args: readonly string[]): Promise<TextCapture> {
  requireTcpdump();
  const argv = inNamespace(link.ns, ['tcpdump', '-nn', '-t', '-l', '-i', link.dev, ...args]);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  await listening(child, () => err, `${link.ns}:${link.dev}`);
  return {
    text: () => out,
    waitFor: async (re, deadline) => {
      for (;;) {
        const m = re.exec(out);
        if (m !== null) return m;
        if (Date.now() > deadline() || exited(child)) return undefined;
        await sleep(50);
      }
    },
    stop: async () => {
      await stopChild(child);
      return out;
    },
  };
}

/** Writes `count` packets of a link to `file` (pcap); resolves to tcpdump's summary lines. */
export async function capturePcap(
  link: LinkEnd,
  file: string,
  count: number | undefined,
  signal?: AbortSignal,
): Promise<string> {
  requireTcpdump();
  const limit = count === undefined ? [] : ['-c', String(count)];
  const argv = inNamespace(link.ns, ['tcpdump', '-nn', '-U', '-i', link.dev, ...limit, '-w', file]);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const onAbort = () => child.kill('SIGINT');
  signal?.addEventListener('abort', onAbort);
  const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  signal?.removeEventListener('abort', onAbort);
  if (status !== 0 && !/packets captured/.test(err))
    throw new LabError(`tcpdump on ${link.ns}:${link.dev} failed: ${err.trim().split('\n').pop() ?? ''}`);
  return err
    .split('\n')
    .filter((l) => /packets? (captured|received|dropped)/.test(l))
    .join('\n');
}

async function listening(child: ChildProcess, err: () => string, where: string): Promise<void> {
  const deadline = Date.now() + 10000;
  while (!err().includes('listening on')) {
    if (exited(child) || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new LabError(`tcpdump on ${where} did not start: ${err().trim().split('\n').pop() ?? ''}`);
    }
    await sleep(20);
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const done = new Promise((res) => child.once('close', res));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await done;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
