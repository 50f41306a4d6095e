/**
 * `linkplan validate MANIFEST`: loads the manifest as plan and apply would (every problem in it is
 * reported by the loader) and says how many links it declares. It reads the manifest only.
 */
import { printable } from '../core/printable.js';
import { ReadOnlyDriver } from '../drivers/decorators.js';
import { loadManifest } from '../manifest/load.js';
import type { CommandDeps, Io } from './context.js';

export interface ValidateOptions {
  /** The manifest, as given. */
  file: string;
  var: Record<string, string>;
}

export function run(opts: ValidateOptions, io: Io, deps: CommandDeps): number {
  const { file } = opts;
  const loaded = loadManifest(file, { driver: new ReadOnlyDriver(deps.createDriver()), vars: opts.var, volumeFacts: deps.volumeFacts });
  const n = loaded.desired.length;
  io.out(`${printable(file)}: valid (${n} link${n === 1 ? '' : 's'}${loaded.skipped > 0 ? `, ${loaded.skipped} skipped by their when condition` : ''})\n`);
  return 0;
}
