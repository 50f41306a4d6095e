/**
 * A manifest's data as the schema admits it (schema/manifest.schema.json, checked by the compiled
 * validator before anything reads these types): the options an entry or `defaults:` may set, its
 * `when` condition, a link entry, and the whole document.
 */
import type { ConflictPolicy, RequestedType, TargetForm } from '../core/types.js';

export type Scalar = string | number | boolean;

export interface RawOptions {
  type?: RequestedType;
  relative?: boolean;
  state?: 'present' | 'absent';
  onConflict?: ConflictPolicy;
  createParents?: boolean;
  allowCycle?: boolean;
  targetForm?: TargetForm;
  when?: RawWhen;
}

export interface RawWhen {
  os?: string | string[];
  hostname?: string | string[];
  env?: Record<string, string | number | boolean>;
}

export interface RawLink extends RawOptions {
  path: string;
  target?: string;
  glob?: string;
  exclude?: string[];
  fold?: boolean;
  allowSystemPaths?: boolean;
  relocate?: boolean;
}

/** A named version switch: a link at `path` to the `current` one of `versions`. */
export interface RawSwitch {
  path: string;
  /** Name -> folder, or a pattern with one `*` in its last part. */
  versions: string | Record<string, string>;
  current: string | number;
  type?: 'auto' | 'junction' | 'symlink';
  targetForm?: TargetForm;
  createParents?: boolean;
  when?: RawWhen;
}

/** A folder the setup needs: its path, or the path with a mode and options. */
export type RawDirectory = string | { path: string; mode?: string | number; createParents?: boolean; when?: RawWhen };

export interface RawManifest {
  version: 1;
  vars?: Record<string, Scalar>;
  defaults?: RawOptions;
  /** Required unless `switches` is given. */
  links?: RawLink[];
  switches?: Record<string, RawSwitch>;
  directories?: RawDirectory[];
  volumes?: { mount: string; windows: string }[];
}
