// How a benchmark script runs its main function: the janitor undoes everything at the end or on failure,
// and Ctrl-C (SIGINT, SIGTERM, SIGHUP) kills what runs, starts nothing new, cleans up and exits 130.
import { errorText, janitor } from './proc.js';

/**
 * Runs `main`, then the janitor's cleanup whatever happened; a failure is printed as `<name>: <message>`
 * with exit status 1. On a signal the undo waits 200 ms because under `npm run` tsx's CLI relays the
 * signal and SIGKILLs this process unless its preload acknowledges within 30 ms, which it cannot do while
 * a synchronous cleanup holds the event loop.
 */
export function runBench(name: string, main: () => Promise<void>): void {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`\n${name}: ${signal}: cleaning up\n`);
      janitor.halt();
      setTimeout(() => {
        janitor.cleanup();
        process.exit(130);
      }, 200);
    });
  }
  main().then(
    () => janitor.cleanup(),
    (err: unknown) => {
      janitor.cleanup();
      console.error(`${name}: ${errorText(err)}`);
      process.exitCode = 1;
    },
  );
}
