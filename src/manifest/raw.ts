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
}

export interface RawManifest {
  version: 1;
  vars?: Record<string, Scalar>;
  defaults?: RawOptions;
  links: RawLink[];
  volumes?: { mount: string; windows: string }[];
}
