#!/usr/bin/env node
// The `tsovs` executable: runs the compiled CLI (built by `npm install` through the `prepare` script).
import { runMain } from '../dist/src/cli/main.js';

runMain(process.argv.slice(2));
