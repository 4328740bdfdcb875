/**
 * Configuration errors a person can act on: each issue with its key path, the component it is
 * in, the keys known there and, for a typo, the key that was probably meant.
 */
import type { z } from 'zod';

/** Top-level keys of the model before components, and where each went. */
const movedKeys: Record<string, string> = {
  orchestrators: 'components: - { kind: function, name: …, trigger: { type: pubsub, topic: … } }',
  selfHeal: 'components: - { kind: schedulerJob, name: …, selfHeal: { function: …, guardMinutes: 30 } }',
  runHistory:
    'components: - { kind: runHistory, name: <collection>, fields: …, runningStatus: …, stuckAfterMinutes: … }',
  deadLetterSubscriptions: 'components: - { kind: deadLetter, name: <subscription> }',
};

export function describeIssues(source: string, error: z.ZodError, schema?: z.ZodType, raw?: unknown): string {
  const lines = error.issues.flatMap((issue) => describeIssue(issue, schema, raw));
  return `${source} is invalid:\n${lines.join('\n')}`;
}

function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType | undefined, raw: unknown): string[] {
  const where = whichComponent(issue.path, raw);
  if (issue.code === 'unrecognized_keys' && schema) {
    const known = keysAt(schema, issue.path, raw);
    return issue.keys.map((key) => {
      const path = [...issue.path, key].join('.');
      const meant = closest(key, known);
      const moved = issue.path.length === 0 ? movedKeys[String(key)] : undefined;
      if (moved) return `  - ${path}: no longer a section; each entry is now one of ${moved}`;
      return `  - ${path}${where}: unknown key${meant ? ` (did you mean \`${meant}\`?)` : ''}; known keys here: ${known.join(', ')}`;
    });
  }
  const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'invalid_union') {
    const lines = describeUnion(issue, schema, raw);
    if (lines) return lines;
    // A discriminator that is no option: the option that was probably meant.
    const options = (issue as { options?: unknown[] }).options?.map(String) ?? [];
    const value = valueAt(raw, issue.path);
    const meant = typeof value === 'string' ? closest(value, options) : undefined;
    if (meant) return [`  - ${path}${where}: ${issue.message} (did you mean \`${meant}\`?)`];
  }
  return [`  - ${path}${where}: ${issue.message}`];
}

/**
 * A union of strict objects (`expect: { equals | min | equalsQuery | minQuery }`): zod says only
 * "Invalid input". When one option fits the keys given, its own issues; when a key fits no
 * option, that key as unknown with the one meant; otherwise (none given, or keys of different
 * options) which ones may be given.
 */
function describeUnion(
  issue: z.core.$ZodIssueInvalidUnion,
  schema: z.ZodType | undefined,
  raw: unknown,
): string[] | undefined {
  const branches = issue.errors;
  if (!schema || branches.length === 0) return undefined;
  const unrecognized = (b: z.core.$ZodIssue[]) =>
    b.flatMap((i) => (i.code === 'unrecognized_keys' && i.path.length === 0 ? i.keys : []));
  const fitting = branches.filter((b) => unrecognized(b).length === 0);
  const [only] = fitting;
  if (fitting.length === 1 && only) {
    return only.flatMap((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] }, schema, raw));
  }
  const everywhere = unrecognized(branches[0] ?? []).filter((k) =>
    branches.every((b) => unrecognized(b).includes(k)),
  );
  if (fitting.length === 0 && everywhere.length > 0) {
    return describeIssue(
      { code: 'unrecognized_keys', keys: everywhere, path: issue.path, input: {}, message: '' },
      schema,
      raw,
    );
  }
  const known = keysAt(schema, issue.path, raw);
  if (known.length === 0) return undefined;
  const path = issue.path.join('.') || '(root)';
  return [`  - ${path}${whichComponent(issue.path, raw)}: exactly one of ${known.join(', ')}`];
}

/** The YAML's value at `path`, if there is one. */
function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let v = raw;
  for (const key of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** ` (service nba-phase6-export)` for a path into `components`: an index alone says little. */
function whichComponent(path: PropertyKey[], raw: unknown): string {
  if (path[0] !== 'components' || typeof path[1] !== 'number') return '';
  const c = (raw as { components?: unknown[] } | undefined)?.components?.[path[1]];
  if (!c || typeof c !== 'object') return '';
  const { kind, name } = c as { kind?: unknown; name?: unknown };
  const label = [kind, name].filter((x) => typeof x === 'string').join(' ');
  return label ? ` (${label})` : '';
}

/**
 * The keys an object schema accepts at `path` (through arrays, optionals, defaults and unions).
 * In a discriminated union, the option `value` (the data at this level) selects.
 */
function keysAt(schema: z.core.$ZodType, path: PropertyKey[], value?: unknown): string[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
      return keysAt(def.innerType as z.core.$ZodType, path, value);
    case 'pipe':
      return keysAt(def.in as z.core.$ZodType, path, value);
    case 'union': {
      const options = def.options as z.core.$ZodType[];
      const chosen = chooseOption(options, def.discriminator as string | undefined, value);
      if (chosen) return keysAt(chosen, path, value);
      return [...new Set(options.flatMap((o) => keysAt(o, path, value)))].sort();
    }
    case 'array':
      return path.length === 0
        ? []
        : keysAt(
            def.element as z.core.$ZodType,
            path.slice(1),
            (value as unknown[] | undefined)?.[Number(path[0])],
          );
    case 'object': {
      const shape = def.shape as Record<string, z.core.$ZodType>;
      if (path.length === 0) return Object.keys(shape);
      const key = String(path[0]);
      const next = shape[key];
      return next ? keysAt(next, path.slice(1), (value as Record<string, unknown> | undefined)?.[key]) : [];
    }
    default:
      return [];
  }
}

/** The option of a discriminated union whose discriminator literal is the one in `value`. */
function chooseOption(
  options: z.core.$ZodType[],
  discriminator: string | undefined,
  value: unknown,
): z.core.$ZodType | undefined {
  if (!discriminator || !value || typeof value !== 'object') return undefined;
  const tag = (value as Record<string, unknown>)[discriminator];
  return options.find((o) => {
    const shape = (o._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
    const literal = shape?.[discriminator]?._zod.def as unknown as { values?: unknown[] } | undefined;
    return literal?.values?.includes(tag) ?? false;
  });
}

/** The known key a typo most likely meant: within two edits, or differing only in case and separators. */
function closest(key: string, known: string[]): string | undefined {
  const norm = (k: string) => k.toLowerCase().replaceAll(/[-_]/g, '');
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = norm(k) === norm(key) ? 0 : editDistance(key, k);
    if (d <= Math.min(2, Math.floor(k.length / 3)) && (!best || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

/** Edits (insert, delete, substitute, swap two neighbours) between two keys. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}
