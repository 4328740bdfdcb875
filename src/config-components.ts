/**
 * The pipeline's components in the YAML (`components:`): one schema per kind with its
 * thresholds and defaults, crash signatures and what they mean, the cross-checks between
 * components, and the derived views older consumers read (`selfHeal`, `runHistory`, …).
 */
import { z } from 'zod';
import { componentsOf } from './domain/components.js';

/** A Google resource short name (service, function, job, topic, subscription). */
export const resourceName = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a lowercase resource name (letters, digits, dashes)');

/** 5xx share thresholds, in percent of requests over the last hour. */
const serverErrorPercentSchema = z
  .strictObject({
    fail: z.number().min(0).max(100).default(5),
    warn: z.number().min(0).max(100).default(1),
  })
  .default({ fail: 5, warn: 1 });

/** How a function is triggered: checked against what is deployed. */
const functionTriggerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('http') }),
  z.strictObject({ type: z.literal('pubsub'), topic: resourceName }),
  /** Any other Eventarc event, e.g. `google.cloud.storage.object.v1.finalized`. */
  z.strictObject({
    type: z.literal('eventarc'),
    eventType: z.string().regex(/^[a-z0-9.]+$/, 'an event type'),
  }),
]);

const serviceComponentSchema = z.strictObject({
  kind: z.literal('service'),
  name: resourceName,
  serverErrorPercent: serverErrorPercentSchema,
});

const functionComponentSchema = z.strictObject({
  kind: z.literal('function'),
  name: resourceName,
  trigger: functionTriggerSchema,
  serverErrorPercent: serverErrorPercentSchema,
});

/** A Cloud Run Job: its latest execution must not have failed, nor any of its tasks. */
const jobComponentSchema = z.strictObject({
  kind: z.literal('job'),
  name: resourceName,
});

const schedulerComponentSchema = z.strictObject({
  kind: z.literal('schedulerJob'),
  name: resourceName,
  /** The schedule it should have (cron), shown in the sandbox; the report reads the deployed one. */
  schedule: z.string().optional(),
  timeZone: z.string().optional(),
  /** Marks the self-heal job: `/pipeline self-heal` acts on it, and a heal pauses it while due. */
  selfHeal: z
    .strictObject({
      /** The function component the job calls. */
      function: resourceName,
      /** How long a heal is expected to take: a self-heal run due within it is paused for the heal. */
      guardMinutes: z.number().int().positive().max(1440).default(30),
    })
    .optional(),
});

/** A BigQuery table that must have been written recently (tables.get `lastModifiedTime`). */
const tableComponentSchema = z.strictObject({
  kind: z.literal('table'),
  name: z.string().regex(/^[A-Za-z0-9_]+\.[A-Za-z0-9_$-]+$/, 'a table as dataset.table'),
  /** Older than this: failing. */
  maxAgeMinutes: z.number().int().positive(),
  /** Older than this (and not failing): a warning. */
  warnAgeMinutes: z.number().int().positive().optional(),
});

/** The processors' run documents in Firestore: stuck running runs, failed runs of the date. */
const runHistoryComponentSchema = z.strictObject({
  kind: z.literal('runHistory'),
  /** The Firestore collection id. */
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'a Firestore collection id'),
  fields: z.strictObject({
    date: z.string(),
    status: z.string(),
    startedAt: z.string(),
    /** When a run ended (optional): the trace shows its finish time and duration. */
    finishedAt: z.string().optional(),
    processor: z.string(),
    /** Where a failed run writes its error message. */
    error: z.string().optional(),
  }),
  runningStatus: z.string().default('running'),
  stuckAfterMinutes: z.number().int().positive().default(60),
  failedStatus: z.string().default('failed'),
});

/** A dead-letter subscription: its backlog, and whether it is growing. */
const deadLetterComponentSchema = z.strictObject({
  kind: z.literal('deadLetter'),
  name: resourceName,
  backlog: z
    .strictObject({
      warn: z.number().int().nonnegative().default(1),
      fail: z.number().int().positive().optional(),
    })
    .default({ warn: 1 }),
  /** A backlog higher at the end of the window than at its start is `severity`. */
  growing: z
    .strictObject({
      windowMinutes: z.number().int().min(5).max(1440).default(30),
      severity: z.enum(['fail', 'warn']).default('fail'),
    })
    .default({ windowMinutes: 30, severity: 'fail' }),
});

export const componentSchema = z.discriminatedUnion('kind', [
  serviceComponentSchema,
  functionComponentSchema,
  jobComponentSchema,
  schedulerComponentSchema,
  tableComponentSchema,
  runHistoryComponentSchema,
  deadLetterComponentSchema,
]);

/** What a crash signature means: deploy-verify's import check reads `import-error`. */
export const signatureKinds = ['crash', 'import-error', 'out-of-memory', 'other'] as const;

export const crashSignatureSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_-]+$/, 'a short id (lowercase, digits, - or _)'),
  label: z.string().min(1),
  match: z.string().min(1),
  kind: z.enum(signatureKinds),
});

export type Component = z.infer<typeof componentSchema>;
export type ComponentKind = Component['kind'];
export type ComponentOf<K extends ComponentKind> = Extract<Component, { kind: K }>;
export type FunctionTrigger = z.infer<typeof functionTriggerSchema>;
export type CrashSignature = z.infer<typeof crashSignatureSchema>;
export type SignatureKind = CrashSignature['kind'];

/**
 * Views of `components` computed at parse time, in the shape the heal, self-heal and
 * run_history code read (they predate the component list).
 */
export interface DerivedConfig {
  /** Functions triggered by a Pub/Sub topic. */
  orchestrators: { name: string; topic: string }[];
  /** The scheduler job component marked `selfHeal`. */
  selfHeal?: {
    function: string;
    schedulerJob: string;
    schedule?: string;
    timeZone: string;
    guardMinutes: number;
  };
  /** The runHistory component, with `collection` for its name. */
  runHistory: Omit<ComponentOf<'runHistory'>, 'kind' | 'name'> & { collection: string };
  deadLetterSubscriptions: string[];
}

/**
 * What the checks and the derived views read of the parsed YAML: structural, because config.ts
 * imports this module (not the other way round).
 */
export interface ComponentDocument {
  timeZone: string;
  components: Component[];
  phases: readonly { service: string }[];
  crashSignatures: readonly CrashSignature[];
}

/** Computed once by the parser from the components. */
export function derive(parsed: ComponentDocument): DerivedConfig {
  const fns = componentsOf(parsed, 'function');
  const heal = componentsOf(parsed, 'schedulerJob').find((j) => j.selfHeal);
  // crossCheck has ensured there is exactly one.
  const rh = componentsOf(parsed, 'runHistory')[0]!;
  const { kind: _kind, name, ...rest } = rh;
  return {
    orchestrators: fns.flatMap((f) =>
      f.trigger.type === 'pubsub' ? [{ name: f.name, topic: f.trigger.topic }] : [],
    ),
    ...(heal?.selfHeal
      ? {
          selfHeal: {
            function: heal.selfHeal.function,
            schedulerJob: heal.name,
            ...(heal.schedule ? { schedule: heal.schedule } : {}),
            timeZone: heal.timeZone ?? parsed.timeZone,
            guardMinutes: heal.selfHeal.guardMinutes,
          },
        }
      : {}),
    runHistory: { ...rest, collection: name },
    deadLetterSubscriptions: componentsOf(parsed, 'deadLetter').map((d) => d.name),
  };
}

/** Names unique per kind; phases, self-heal and thresholds referring to what exists. */
export function checkComponents(config: ComponentDocument): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  config.components.forEach((c, i) => {
    const key = `${c.kind}/${c.name}`;
    if (seen.has(key)) problems.push(`  - components.${i}.name: ${c.kind} ${c.name} is declared twice`);
    seen.add(key);
    if ('serverErrorPercent' in c && c.serverErrorPercent.warn > c.serverErrorPercent.fail) {
      problems.push(
        `  - components.${i}.serverErrorPercent.warn: at most fail (${c.serverErrorPercent.fail})`,
      );
    }
    if (c.kind === 'deadLetter' && c.backlog.fail !== undefined && c.backlog.warn > c.backlog.fail) {
      problems.push(`  - components.${i}.backlog.warn: at most fail (${c.backlog.fail})`);
    }
    if (c.kind === 'table' && c.warnAgeMinutes !== undefined && c.warnAgeMinutes > c.maxAgeMinutes) {
      problems.push(`  - components.${i}.warnAgeMinutes: at most maxAgeMinutes (${c.maxAgeMinutes})`);
    }
  });
  const names = (kind: ComponentKind) => componentsOf(config, kind).map((c) => c.name);
  const services = names('service');
  config.phases.forEach((p, i) => {
    if (!services.includes(p.service)) {
      problems.push(
        `  - phases.${i}.service: a service component (${services.join(', ') || 'none declared'}); add - { kind: service, name: ${p.service} } to components`,
      );
    }
  });
  const functions = names('function');
  const healers = config.components.flatMap((c, i) =>
    c.kind === 'schedulerJob' && c.selfHeal ? [{ c: c.selfHeal, i }] : [],
  );
  if (healers.length > 1) {
    problems.push(
      `  - components.${healers[1]!.i}.selfHeal: only one scheduler job can be the self-heal job`,
    );
  }
  for (const { c, i } of healers) {
    if (!functions.includes(c.function)) {
      problems.push(
        `  - components.${i}.selfHeal.function: a function component (${functions.join(', ') || 'none declared'})`,
      );
    }
  }
  const histories = names('runHistory').length;
  if (histories !== 1) {
    problems.push(
      `  - components: exactly one runHistory component (the processors' run documents), found ${histories}`,
    );
  }
  return problems;
}

/** Every check that reads a crash signature has one to read. */
export function checkSignatures(config: ComponentDocument): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  config.crashSignatures.forEach((s, i) => {
    if (ids.has(s.id)) problems.push(`  - crashSignatures.${i}.id: ${s.id} is declared twice`);
    ids.add(s.id);
  });
  const kinds = new Set(config.crashSignatures.map((s) => s.kind));
  if (componentsOf(config, 'function').length > 0 && !kinds.has('import-error')) {
    problems.push(
      '  - crashSignatures: deploy-verify checks functions for import errors: declare at least one signature of kind import-error (e.g. { id: module-not-found, label: Missing module, match: ModuleNotFoundError, kind: import-error })',
    );
  }
  if (componentsOf(config, 'service').length > 0 && !kinds.has('crash') && !kinds.has('out-of-memory')) {
    problems.push(
      '  - crashSignatures: deploy-verify checks services for crashes since their revision went live: declare at least one signature of kind crash or out-of-memory',
    );
  }
  return problems;
}
