/**
 * The shipped command's entry (bundled as dist/cli.cjs, which bin/linkplan.js runs): the command
 * line of this process, run with the real drivers as they are. No test hook is reachable from
 * here; the crash and pause points live in the test entry (src/testing/entry.ts).
 */
import { runProcess } from './cli.js';
import { shippedDeps } from './commands/context.js';

runProcess(shippedDeps());
