/**
 * Variable expansion in manifest strings: `${name}` from the manifest's `vars` (which may use one
 * another) and the command line, `${env:NAME}` from the environment, `~` at the start of a path,
 * `%NAME%` on Windows, and `$${` for a literal `${`. Problems are returned, not thrown, so the
 * loader can report every one of them at once.
 */

export interface ExpandContext {
  vars: Readonly<Record<string, string>>;
  /**
   * Variables that could not be expanded, with why: an environment variable this machine lacks
   * (`missingEnv`, reported only where it is used), or a problem reported at the variable itself.
   */
  unresolved?: Readonly<Record<string, { why: string; missingEnv: boolean }>>;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  windows: boolean;
}

/** `missingEnv`: the only thing wrong is an environment variable that is not set here. */
export type Expanded = { ok: true; value: string } | { ok: false; problem: string; missingEnv?: boolean };

function unknownVariable(name: string): Expanded {
  return { ok: false, problem: `unknown variable \${${name}}; define it under vars or pass --var ${name}=VALUE` };
}

const REF = /\$\$\{|\$\{([^}]*)\}/g;

function expandOnce(s: string, ctx: ExpandContext, resolveVar: (name: string) => Expanded): Expanded {
  // most paths name no variable at all (a generated manifest has thousands)
  if (!s.includes('$') && !(ctx.windows && s.includes('%'))) return { ok: true, value: s };
  let problem: string | undefined;
  let missingEnv = false;
  // the first problem is reported, but one that an environment variable would not fix wins
  const fail = (p: string, env: boolean): void => {
    if (problem !== undefined && !(missingEnv && !env)) return;
    problem = p;
    missingEnv = env;
  };
  let out = s.replace(REF, (whole, ref: string | undefined) => {
    if (whole === '$${') return '${';
    const name = (ref ?? '').trim();
    if (name.startsWith('env:')) {
      const key = name.slice(4);
      const v = ctx.env[key];
      if (v === undefined) {
        fail(`environment variable ${key} is not set (used as \${env:${key}})`, true);
        return '';
      }
      return v;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
      fail(`\${${name}} is not a variable reference (a name is letters, digits, _ . -); write $\${ for a literal \${`, false);
      return '';
    }
    const r = resolveVar(name);
    if (!r.ok) {
      fail(r.problem, r.missingEnv === true);
      return '';
    }
    return r.value;
  });
  if (problem !== undefined) return missingEnv ? { ok: false, problem, missingEnv } : { ok: false, problem };
  if (ctx.windows) {
    out = out.replace(/%([A-Za-z_][A-Za-z0-9_()]*)%/g, (whole, key: string) => {
      const hit = Object.keys(ctx.env).find((k) => k.toLowerCase() === key.toLowerCase());
      const v = hit === undefined ? undefined : ctx.env[hit];
      if (v === undefined) fail(`environment variable ${key} is not set (used as %${key}%)`, true);
      return v ?? whole;
    });
    if (problem !== undefined) return missingEnv ? { ok: false, problem, missingEnv } : { ok: false, problem };
  }
  return { ok: true, value: out };
}

/** Expands every variable in `vars` against the others; a cycle or an unknown name is a problem. */
export function resolveVars(
  raw: Readonly<Record<string, string>>,
  ctx: Omit<ExpandContext, 'vars'>,
): { vars: Record<string, string>; problems: { name: string; problem: string; missingEnv: boolean }[] } {
  const done: Record<string, string> = {};
  const failed = new Map<string, Expanded & { ok: false }>();
  const visiting = new Set<string>();
  const resolve = (name: string): Expanded => {
    if (name in done) return { ok: true, value: done[name] ?? '' };
    const f = failed.get(name);
    if (f !== undefined) return f;
    const rawValue = raw[name];
    if (rawValue === undefined) return unknownVariable(name);
    if (visiting.has(name)) {
      const chain = [...visiting].slice([...visiting].indexOf(name));
      return { ok: false, problem: `a cycle of variables: ${[...chain, name].map((n) => `\${${n}}`).join(' -> ')}` };
    }
    visiting.add(name);
    const r = expandOnce(rawValue, { ...ctx, vars: {} }, resolve);
    visiting.delete(name);
    if (r.ok) done[name] = r.value;
    else failed.set(name, r);
    return r;
  };
  const problems: { name: string; problem: string; missingEnv: boolean }[] = [];
  for (const name of Object.keys(raw)) {
    const r = resolve(name);
    if (!r.ok) problems.push({ name, problem: r.problem, missingEnv: r.missingEnv === true });
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
    if (v !== undefined) return { ok: true, value: v };
    const u = ctx.unresolved?.[name];
    if (u !== undefined) {
      return u.missingEnv ? { ok: false, problem: `\${${name}} cannot be expanded here: ${u.why}`, missingEnv: true } : { ok: false, problem: `\${${name}} cannot be expanded; ${u.why}` };
    }
    return unknownVariable(name);
  });
}
