/**
 * Variable expansion in manifest strings: `${name}` from the manifest's `vars` (which may use one
 * another) and the command line, `${env:NAME}` from the environment, `~` and `~/` at the start of
 * a path, `%NAME%` on Windows, and `$$` for a literal `$` (so `$${` is a literal `${`). Names are
 * looked up only among those defined (never in what every JavaScript object has, like
 * `constructor`). Syntax linkplan does not expand is refused rather than kept as a name: `$HOME`,
 * `~user`, and `%HOME%` off Windows. Expansion is bounded: variables nest at most
 * `MAX_VARIABLE_DEPTH` deep and a value expands to at most `MAX_EXPANDED_LENGTH` characters.
 * Problems are returned, not thrown, so the loader can report every one of them at once.
 */
import { excerpt, needsEscape, printable } from '../core/printable.js';

/** How deep variables may use one another (a real manifest nests two or three). */
export const MAX_VARIABLE_DEPTH = 64;
/** How long a value may grow by expansion (no path is longer than a few thousand characters). */
export const MAX_EXPANDED_LENGTH = 65_536;

export interface ExpandContext {
  vars: ReadonlyMap<string, string>;
  /**
   * Variables that could not be expanded, with why: an environment variable this machine lacks
   * (`missingEnv`, reported only where it is used), or a problem reported at the variable itself.
   */
  unresolved?: ReadonlyMap<string, { why: string; missingEnv: boolean }>;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  windows: boolean;
}

/** `missingEnv`: the only thing wrong is an environment variable that is not set here. */
export type Expanded = { ok: true; value: string } | { ok: false; problem: string; missingEnv?: boolean };

/** The environment variable `key`, if the environment itself holds it (not a JavaScript built-in). */
export function envValue(env: Readonly<Record<string, string | undefined>>, key: string): string | undefined {
  return Object.hasOwn(env, key) ? env[key] : undefined;
}

/** `${name}` as a message shows it: as written when short and printable, else an excerpt. */
function refText(name: string): string {
  return name.length <= 60 && !needsEscape(name) ? `\${${name}}` : `\${...} around ${excerpt(name)}`;
}

function unknownVariable(name: string): Expanded {
  return { ok: false, problem: `unknown variable ${refText(name)}; define it under vars or pass --var ${name.length <= 60 ? name : 'NAME'}=VALUE` };
}

/** `$$`, `${...}`, an unclosed `${`, and shell's `$NAME`. */
const REF = /\$\$|\$\{([^}]*)\}|\$\{|\$([A-Za-z_][A-Za-z0-9_]*)/g;
/** What a variable's name may be (the schema says the same of the names under `vars`). */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const PERCENT = /%([A-Za-z_][A-Za-z0-9_()]*)%/;

/** What one `${...}` (or `$NAME`) stands for. */
function reference(ref: string | undefined, shell: string | undefined, ctx: ExpandContext, resolveVar: (name: string) => Expanded): Expanded {
  if (shell !== undefined) {
    return {
      ok: false,
      problem: `$${shell} is shell syntax, which linkplan does not expand; write \${env:${shell}}${shell === 'HOME' ? ' (or ~/ for the home folder)' : ''}, or $$${shell} for a literal $${shell}`,
    };
  }
  if (ref === undefined) return { ok: false, problem: '${ is not closed; write ${name}, or $${ for a literal ${' };
  const name = ref.trim();
  if (name.startsWith('env:')) {
    const key = name.slice(4);
    const v = envValue(ctx.env, key);
    if (v === undefined) return { ok: false, problem: `environment variable ${key} is not set (used as \${env:${key}})`, missingEnv: true };
    return { ok: true, value: v };
  }
  if (!VAR_NAME.test(name)) {
    return { ok: false, problem: `${refText(name)} is not a variable reference (a name is letters, digits, _ . -); write $\${ for a literal \${` };
  }
  return resolveVar(name);
}

function expandOnce(s: string, ctx: ExpandContext, resolveVar: (name: string) => Expanded): Expanded {
  // most paths name no variable at all (a generated manifest has thousands)
  if (!s.includes('$') && !s.includes('%')) return { ok: true, value: s };
  let problem: string | undefined;
  let missingEnv = false;
  // the first problem is reported, but one that an environment variable would not fix wins
  const fail = (p: string, env: boolean): void => {
    if (problem !== undefined && !(missingEnv && !env)) return;
    problem = p;
    missingEnv = env;
  };
  if (!ctx.windows) {
    const pct = PERCENT.exec(s);
    if (pct !== null) fail(`%${pct[1] ?? ''}% is Windows syntax, which linkplan expands only on Windows; write \${env:${pct[1] ?? ''}}`, false);
  }
  let length = s.length;
  let out = s.replace(REF, (whole, ref: string | undefined, shell: string | undefined) => {
    if (whole === '$$') return '$';
    const r = reference(ref, shell, ctx, resolveVar);
    if (!r.ok) {
      fail(r.problem, r.missingEnv === true);
      return '';
    }
    length += r.value.length - whole.length;
    if (length > MAX_EXPANDED_LENGTH) {
      fail(`expands to more than ${MAX_EXPANDED_LENGTH.toLocaleString('en-US')} characters; no path is that long`, false);
      return '';
    }
    return r.value;
  });
  if (problem !== undefined) return missingEnv ? { ok: false, problem, missingEnv } : { ok: false, problem };
  if (ctx.windows) {
    out = out.replace(/%([A-Za-z_][A-Za-z0-9_()]*)%/g, (whole, key: string) => {
      const hit = Object.keys(ctx.env).find((k) => k.toLowerCase() === key.toLowerCase());
      const v = hit === undefined ? undefined : envValue(ctx.env, hit);
      if (v === undefined) fail(`environment variable ${key} is not set (used as %${key}%)`, true);
      return v ?? whole;
    });
    if (problem !== undefined) return missingEnv ? { ok: false, problem, missingEnv } : { ok: false, problem };
  }
  return { ok: true, value: out };
}

/** `${a} -> ${b} -> ...`, the first few and the last of a long chain. */
function chainText(names: readonly string[]): string {
  const shown = names.length <= 6 ? names : [...names.slice(0, 3), '...', ...names.slice(-2)];
  return shown.map((n) => (n === '...' ? n : `\${${n}}`)).join(' -> ');
}

/**
 * Expands every variable in `raw` against the others; a cycle, an unknown name or a nesting
 * deeper than MAX_VARIABLE_DEPTH is a problem.
 */
export function resolveVars(
  raw: ReadonlyMap<string, string>,
  ctx: Omit<ExpandContext, 'vars'>,
): { vars: Map<string, string>; problems: { name: string; problem: string; missingEnv: boolean }[] } {
  const done = new Map<string, string>();
  const failed = new Map<string, Expanded & { ok: false }>();
  const visiting = new Set<string>();
  const inner: ExpandContext = { ...ctx, vars: new Map() };
  const resolve = (name: string): Expanded => {
    const value = done.get(name);
    if (value !== undefined) return { ok: true, value };
    const f = failed.get(name);
    if (f !== undefined) return f;
    const rawValue = raw.get(name);
    if (rawValue === undefined) return unknownVariable(name);
    if (visiting.has(name)) {
      const chain = [...visiting].slice([...visiting].indexOf(name));
      return { ok: false, problem: `a cycle of variables: ${[...chain, name].map((n) => `\${${n}}`).join(' -> ')}` };
    }
    // (not kept as this variable's own failure: from where it is used, it may be shallow enough)
    if (visiting.size >= MAX_VARIABLE_DEPTH) {
      return { ok: false, problem: `variables nest more than ${MAX_VARIABLE_DEPTH} levels deep (${chainText([...visiting, name])}); use fewer levels` };
    }
    visiting.add(name);
    const r = expandOnce(rawValue, inner, resolve);
    visiting.delete(name);
    if (r.ok) done.set(name, r.value);
    else failed.set(name, r);
    return r;
  };
  const problems: { name: string; problem: string; missingEnv: boolean }[] = [];
  for (const name of raw.keys()) {
    const r = resolve(name);
    if (!r.ok) problems.push({ name, problem: r.problem, missingEnv: r.missingEnv === true });
  }
  return { vars: done, problems };
}

/** Expands a string that names a path: variables, then a leading `~` or `~/`. */
export function expandPath(s: string, ctx: ExpandContext): Expanded {
  const r = expandString(s, ctx);
  if (!r.ok) return r;
  const v = r.value;
  if (!v.startsWith('~')) return r;
  if (v === '~' || v.startsWith('~/') || (ctx.windows && v.startsWith('~\\'))) {
    if (ctx.home === '') return { ok: false, problem: '~ is used but no home folder is known (set HOME)' };
    return { ok: true, value: ctx.home + v.slice(1) };
  }
  const first = /^[^/\\]*/.exec(v)?.[0] ?? v;
  return {
    ok: false,
    problem: `${excerpt(first)}: linkplan expands only ~ and ~/ (your home folder), not ~user; write the full path, or ./${first.length > 60 ? '~name' : printable(first)} for a name that starts with ~`,
  };
}

export function expandString(s: string, ctx: ExpandContext): Expanded {
  return expandOnce(s, ctx, (name) => {
    const v = ctx.vars.get(name);
    if (v !== undefined) return { ok: true, value: v };
    const u = ctx.unresolved?.get(name);
    if (u !== undefined) {
      return u.missingEnv ? { ok: false, problem: `\${${name}} cannot be expanded here: ${u.why}`, missingEnv: true } : { ok: false, problem: `\${${name}} cannot be expanded; ${u.why}` };
    }
    return unknownVariable(name);
  });
}
