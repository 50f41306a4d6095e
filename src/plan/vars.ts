/**
 * Variable expansion in manifest strings: `${name}` from the manifest's `vars` (which may use one
 * another) and the command line, `${env:NAME}` from the environment, `~` at the start of a path,
 * `%NAME%` on Windows, and `$${` for a literal `${`. Problems are returned, not thrown, so the
 * loader can report every one of them at once.
 */

export interface ExpandContext {
  vars: Readonly<Record<string, string>>;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  windows: boolean;
}

export type Expanded = { ok: true; value: string } | { ok: false; problem: string };

const REF = /\$\$\{|\$\{([^}]*)\}/g;

function expandOnce(s: string, ctx: ExpandContext, resolveVar: (name: string) => Expanded): Expanded {
  let problem: string | undefined;
  let out = s.replace(REF, (whole, ref: string | undefined) => {
    if (whole === '$${') return '${';
    const name = (ref ?? '').trim();
    if (name.startsWith('env:')) {
      const key = name.slice(4);
      const v = ctx.env[key];
      if (v === undefined) {
        problem ??= `environment variable ${key} is not set (used as \${env:${key}})`;
        return '';
      }
      return v;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
      problem ??= `\${${name}} is not a variable reference (a name is letters, digits, _ . -); write $\${ for a literal \${`;
      return '';
    }
    const r = resolveVar(name);
    if (!r.ok) {
      problem ??= r.problem;
      return '';
    }
    return r.value;
  });
  if (problem !== undefined) return { ok: false, problem };
  if (ctx.windows) {
    out = out.replace(/%([A-Za-z_][A-Za-z0-9_()]*)%/g, (whole, key: string) => {
      const hit = Object.keys(ctx.env).find((k) => k.toLowerCase() === key.toLowerCase());
      const v = hit === undefined ? undefined : ctx.env[hit];
      if (v === undefined) problem ??= `environment variable ${key} is not set (used as %${key}%)`;
      return v ?? whole;
    });
    if (problem !== undefined) return { ok: false, problem };
  }
  return { ok: true, value: out };
}

/** Expands every variable in `vars` against the others; a cycle or an unknown name is a problem. */
export function resolveVars(
  raw: Readonly<Record<string, string>>,
  ctx: Omit<ExpandContext, 'vars'>,
): { vars: Record<string, string>; problems: { name: string; problem: string }[] } {
  const done: Record<string, string> = {};
  const failed = new Map<string, string>();
  const visiting = new Set<string>();
  const resolve = (name: string): Expanded => {
    if (name in done) return { ok: true, value: done[name] ?? '' };
    const f = failed.get(name);
    if (f !== undefined) return { ok: false, problem: f };
    const rawValue = raw[name];
    if (rawValue === undefined) return { ok: false, problem: `unknown variable \${${name}}` };
    if (visiting.has(name)) return { ok: false, problem: `variable \${${name}} refers to itself through ${[...visiting].join(' -> ')}` };
    visiting.add(name);
    const r = expandOnce(rawValue, { ...ctx, vars: {} }, resolve);
    visiting.delete(name);
    if (r.ok) done[name] = r.value;
    else failed.set(name, r.problem);
    return r;
  };
  const problems: { name: string; problem: string }[] = [];
  for (const name of Object.keys(raw)) {
    const r = resolve(name);
    if (!r.ok) problems.push({ name, problem: r.problem });
  }
  return { vars: done, problems };
}

/** Expands a string that names a path: variables, then a leading `~`. */
export function expandPath(s: string, ctx: ExpandContext): Expanded {
  const r = expandString(s, ctx);
  if (!r.ok) return r;
  const v = r.value;
  if (v === '~' || v.startsWith('~/') || (ctx.windows && v.startsWith('~\\'))) {
    if (ctx.home === '') return { ok: false, problem: '~ is used but no home folder is known (set HOME)' };
    return { ok: true, value: ctx.home + v.slice(1) };
  }
  return r;
}

export function expandString(s: string, ctx: ExpandContext): Expanded {
  return expandOnce(s, ctx, (name) => {
    const v = ctx.vars[name];
    return v === undefined ? { ok: false, problem: `unknown variable \${${name}}; define it under vars or pass --var ${name}=VALUE` } : { ok: true, value: v };
  });
}
