// What the client commands (appctl, ovsdb-client) share: the streams and environment they use, which
// tests replace, the --timeout race and the exit status Open vSwitch's tools end with on a timeout.
import type { Logger } from '../jsonrpc/session.js';

/** Where a command's output goes and what environment it reads (tests pass their own). */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

/** This process's stdout, stderr and environment. */
export const PROCESS_IO: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** Exit status of a process killed by SIGALRM (128 + 14), which is how ovs-appctl and ovsdb-client end on --timeout. */
export const TIMEOUT_STATUS = 142;

/** A logger that prints warnings to the command's stderr as `PROGRAM: message` and drops the rest. */
export function warningsTo(io: CliIo, program: string): Logger {
  return { warn: (msg: string) => io.stderr(`${program}: ${msg}\n`), info: () => {}, debug: () => {} };
}

/** `work`'s exit status, or `onTimeout()`'s if `secs` pass first. */
export function withTimeout(work: Promise<number>, secs: number, onTimeout: () => number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), secs * 1000);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
