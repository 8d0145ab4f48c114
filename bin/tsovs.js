#!/usr/bin/env node
// The `tsovs` executable: loads the compiled CLI (built by `npm install` through the `prepare` script).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tsovs: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
