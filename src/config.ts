/**
 * Configuration: the environment and the pipeline YAML, parsed once at start with zod.
 * A failure names the source (env or the YAML file), the key path and what was expected,
 * and happens before the server listens.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  checkComponents,
  checkSignatures,
  componentSchema,
  crashSignatureSchema,
  type DerivedConfig,
  derive,
  resourceName,
} from './config-components.js';
import { describeIssues } from './config-messages.js';
import { checkTrace, phaseTraceSchema } from './config-trace.js';
import { componentsOf } from './domain/components.js';

export {
  type Component,
  type ComponentKind,
  type ComponentOf,
  type CrashSignature,
  type DerivedConfig,
  type FunctionTrigger,
  type SignatureKind,
  signatureKinds,
} from './config-components.js';
export { componentsOf } from './domain/components.js';

/** Thrown when configuration is invalid; `message` is meant for a person to read. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const googleApis = ['cloudRun', 'functions', 'scheduler', 'logging', 'monitoring', 'bigquery'] as const;
export type GoogleApi = (typeof googleApis)[number];

const slackId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}[A-Z0-9]{2,}$`), `a Slack id starting with ${prefix}`);
const url = z.url({ protocol: /^https?$/ });

/** How a phase is started for one date. `{date}` in templates is replaced by the typed date, never by user text. */
const triggerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    method: z.enum(['POST', 'PUT']).default('POST'),
    path: z.string().startsWith('/', 'a path starting with /'),
    body: z.record(z.string(), z.unknown()).default({}),
  }),
  z.strictObject({
    type: z.literal('pubsub'),
    topic: resourceName,
    message: z.record(z.string(), z.unknown()).default({}),
  }),
]);

const phaseSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'a short id such as phase3'),
  label: z.string().min(1),
  /** The service component (by name) that runs this phase. */
  service: resourceName,
  trigger: triggerSchema.optional(),
  /** What `/pipeline trace` reads for this phase (config-trace.ts). */
  trace: phaseTraceSchema.optional(),
});

const expectationSchema = z.union([
  z.strictObject({ equals: z.number() }),
  z.strictObject({ min: z.number() }),
  z.strictObject({ equalsQuery: z.string().min(1) }),
  z.strictObject({ minQuery: z.string().min(1) }),
]);

const dataCheckSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_-]+$/, 'a short id (lowercase, digits, - or _)'),
  label: z.string().min(1),
  /** Standard SQL returning one row with one numeric column; `@date` is bound as a DATE parameter. */
  sql: z.string().includes('@date', { message: 'SQL that uses the @date parameter' }),
  expect: expectationSchema,
  /** The phase that produces this data: heal starts from the earliest failing one. */
  phase: z.string().optional(),
});

const principalsSchema = z
  .strictObject({
    userGroup: slackId('S').optional(),
    users: z.array(slackId('[UW]')).default([]),
  })
  .default({ users: [] });

const backfillTargetSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9_/-]+$/, 'an id such as raw/bdl_boxscores'),
  label: z.string().min(1),
  /** The data check (by id) that says whether a date is complete. */
  check: z.string(),
  run: z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('job'),
      job: resourceName,
      /** Container args; `{date}` and `{dates}` are replaced by typed values. */
      args: z.array(z.string()).default([]),
    }),
    z.strictObject({ type: z.literal('phase'), phase: z.string() }),
  ]),
});

const endpointsSchema = z
  .strictObject(
    Object.fromEntries(googleApis.map((api) => [api, url.optional()])) as Record<
      GoogleApi,
      z.ZodOptional<typeof url>
    >,
  )
  .partial()
  .default({});

/**
 * The watch: alerts in a channel before anyone asks (issue 12). Present means on. Driven by Cloud
 * Scheduler calling `POST /tasks/watch` with an OIDC token (`scheduler`), or by the in-process
 * timer `WATCH_INTERVAL_SECONDS` (Socket Mode, local runs).
 */
const alertsSchema = z.strictObject({
  /** Where alerts and the digest go; default `statusChannel`. */
  channel: slackId('[CG]').optional(),
  /** One message per date (default), or one for the whole pipeline. */
  groupBy: z.enum(['date', 'pipeline']).default('date'),
  /** Evaluations in a row a failure must hold before it is posted: a flap does not page. */
  confirmations: z.number().int().min(1).max(10).default(2),
  /** A reminder in the thread while firing and not acknowledged. */
  reminderHours: z.number().positive().max(168).default(4),
  /** Days before today watched as well (yesterday's games are processed today). */
  daysBack: z.number().int().min(0).max(7).default(1),
  /** The daily digest, at this time of day in the pipeline's time zone (`HH:MM`); none when absent. */
  digestAt: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 09:00')
    .optional(),
  /** Who may call `POST /tasks/watch`: the scheduler job's OIDC audience and service account(s). */
  scheduler: z
    .strictObject({
      audience: url,
      serviceAccounts: z.array(z.email()).min(1),
    })
    .optional(),
});

export const pipelineSchema = z.strictObject({
  project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'a Google Cloud project id'),
  region: z.string().regex(/^[a-z]+-[a-z]+\d$/, 'a region such as us-west2'),
  timeZone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as America/New_York'),
  phases: z.array(phaseSchema).min(1),
  /** Everything the report and deploy-verify read, of every kind. */
  components: z.array(componentSchema).min(1),
  /** BigQuery's dataset location (`US`, `EU`, `us-west2`…); the client's default when absent. */
  bigquery: z.strictObject({ location: z.string().min(2).optional() }).default({}),
  dataChecks: z.array(dataCheckSchema).default([]),
  backfill: z
    .strictObject({
      maxDays: z.number().int().positive().default(31),
      stallMinutes: z.number().positive().default(10),
      targets: z.array(backfillTargetSchema).default([]),
    })
    .default({ maxDays: 31, stallMinutes: 10, targets: [] }),
  crashSignatures: z.array(crashSignatureSchema).default([]),
  access: z.strictObject({
    operators: principalsSchema,
    approvers: principalsSchema,
    /** Channels the bot acts in; empty means any. */
    channels: z.array(slackId('[CGD]')).default([]),
    twoPersonRule: z.boolean().default(true),
    requestTtlMinutes: z.number().int().positive().default(15),
  }),
  statusChannel: slackId('[CG]').optional(),
  alerts: alertsSchema.optional(),
  /**
   * How long the bot's own state is kept before Firestore's TTL deletes it (firestore.indexes.json):
   * requests, the audit log (kept longest: who did what stays answerable) and resolved alerts.
   */
  retention: z
    .strictObject({
      requestsDays: z.number().int().positive().max(3650).default(90),
      auditDays: z.number().int().positive().max(3650).default(400),
      alertsDays: z.number().int().positive().max(3650).default(30),
    })
    .refine((r) => r.auditDays >= r.requestsDays, {
      message: 'auditDays at least requestsDays: the audit log is kept longest',
      path: ['auditDays'],
    })
    .default({ requestsDays: 90, auditDays: 400, alertsDays: 30 }),
  limits: z
    .strictObject({
      callDeadlineMs: z.number().int().positive().default(8000),
      reportDeadlineMs: z.number().int().positive().default(12000),
      cacheSeconds: z.number().nonnegative().default(30),
      recentErrorsMinutes: z.number().int().positive().default(30),
      maximumBytesBilled: z.number().int().positive().default(10_000_000_000),
    })
    .default({
      callDeadlineMs: 8000,
      reportDeadlineMs: 12000,
      cacheSeconds: 30,
      recentErrorsMinutes: 30,
      maximumBytesBilled: 10_000_000_000,
    }),
  endpoints: endpointsSchema,
});

/** The pipeline as the YAML has it, before the derived views are added. */
export type ParsedPipeline = z.infer<typeof pipelineSchema>;
export type PipelineConfig = ParsedPipeline & DerivedConfig;

/** The config as the YAML has it (without the derived views), e.g. to change and parse again. */
export function pipelineDocument(config: PipelineConfig): ParsedPipeline {
  const { orchestrators: _o, selfHeal: _s, runHistory: _r, deadLetterSubscriptions: _d, ...doc } = config;
  return doc;
}

export type Phase = z.infer<typeof phaseSchema>;
export type Trigger = z.infer<typeof triggerSchema>;
export type DataCheck = z.infer<typeof dataCheckSchema>;
export type Expectation = z.infer<typeof expectationSchema>;
export type BackfillTarget = z.infer<typeof backfillTargetSchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;

const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

const envSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string()
    .regex(/^xox[bp]-/, 'a bot token starting with xoxb-')
    .optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, 'the signing secret from the app settings').optional(),
  SLACK_APP_TOKEN: z
    .string()
    .regex(/^xapp-/, 'an app-level token starting with xapp-')
    .optional(),
  SLACK_API_URL: z.url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PIPELINE_CONFIG: z.string().default('config/pipeline.example.yml'),
  GOOGLE_CLOUD_PROJECT: z.string().optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  SANDBOX: z.enum(['0', '1']).optional(),
  SANDBOX_SCENARIO: z.enum(['jan20', 'healthy', 'breakdown', 'incident']).default('jan20'),
  FIRESTORE_EMULATOR_HOST: z.string().optional(),
  PUBSUB_EMULATOR_HOST: z.string().optional(),
  /** Set by Cloud Run on every instance (cloud.google.com/run/docs/container-contract#env-vars). */
  K_SERVICE: z.string().optional(),
  NODE_ENV: z.string().optional(),
  /**
   * Guarded runs: a runner's heartbeat period, how old it may get before the run counts as
   * interrupted, and how often stale requests are swept (0: never). Every instance must agree.
   */
  GUARDED_HEARTBEAT_MS: z.coerce.number().int().positive().optional(),
  GUARDED_STALE_AFTER_MS: z.coerce.number().int().positive().optional(),
  GUARDED_SWEEP_MS: z.coerce.number().int().min(0).optional(),
  /** Run the watch every this many seconds in this process (Socket Mode, local runs); the demo sets 30. */
  WATCH_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
});

export type Env = z.infer<typeof envSchema> & {
  /** No Slack credentials at all: run the offline demo. */
  demo: boolean;
  socketMode: boolean;
  /** On Cloud Run (`K_SERVICE`) or `NODE_ENV=production`: no demo, no sandbox, no plain HTTP. */
  production: boolean;
};

/** Parse the environment. With no Slack credentials at all the bot runs the offline demo. */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues('the environment', parsed.error));
  const value = parsed.data;
  const anySlack = value.SLACK_BOT_TOKEN ?? value.SLACK_SIGNING_SECRET ?? value.SLACK_APP_TOKEN;
  const production = value.K_SERVICE !== undefined || value.NODE_ENV === 'production';
  if (production) refuseDemoInProduction(value, env.PIPELINE_CONFIG !== undefined);
  const demo = anySlack === undefined;
  if (!demo) {
    const missing: string[] = [];
    if (!value.SLACK_BOT_TOKEN) missing.push('SLACK_BOT_TOKEN');
    // Socket Mode signs nothing: the app token authenticates the connection instead.
    if (!value.SLACK_SIGNING_SECRET && !value.SLACK_APP_TOKEN) missing.push('SLACK_SIGNING_SECRET');
    if (missing.length > 0) {
      throw new ConfigError(
        `the environment is invalid:\n${missing.map((k) => `  - ${k}: required when any Slack credential is set`).join('\n')}`,
      );
    }
  }
  return { ...value, demo, production, socketMode: value.SLACK_APP_TOKEN !== undefined };
}

/**
 * In production a missing secret is a broken deploy, not a newcomer: stop rather than start the
 * offline demo (which would answer no one), and never point a client at the sandbox.
 */
function refuseDemoInProduction(value: z.infer<typeof envSchema>, pipelineConfigSet: boolean): void {
  const problems: string[] = [];
  const where =
    value.K_SERVICE !== undefined ? 'on Cloud Run (K_SERVICE is set)' : 'with NODE_ENV=production';
  if (!value.SLACK_BOT_TOKEN) problems.push(`  - SLACK_BOT_TOKEN: required ${where}`);
  if (!value.SLACK_SIGNING_SECRET && !value.SLACK_APP_TOKEN)
    problems.push(`  - SLACK_SIGNING_SECRET: required ${where} (or SLACK_APP_TOKEN for Socket Mode)`);
  if (value.SANDBOX === '1') problems.push(`  - SANDBOX: the sandbox never runs ${where}; unset it`);
  // The image carries the example YAML: a deploy that lost this variable would watch another project.
  if (!pipelineConfigSet)
    problems.push(`  - PIPELINE_CONFIG: required ${where} (the example pipeline is never assumed)`);
  // The bot token and the bot's state must reach Slack and Firestore, never a fake or an emulator.
  if (value.SLACK_API_URL !== undefined && !value.SLACK_API_URL.startsWith('https://'))
    problems.push(`  - SLACK_API_URL: ${value.SLACK_API_URL} is not https://; unset it ${where}`);
  for (const emulator of ['FIRESTORE_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST'] as const) {
    if (value[emulator] !== undefined)
      problems.push(`  - ${emulator}: an emulator never serves ${where}; unset it`);
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `the environment is invalid ${where} (the offline demo never starts there):\n${problems.join('\n')}`,
    );
  }
}

/** Production talks to Google over TLS only: a plain `http://` endpoint is a sandbox left in the config. */
export function assertProductionPipeline(config: PipelineConfig, file: string): void {
  const plain = Object.entries(config.endpoints).filter(([, endpoint]) => endpoint?.startsWith('http://'));
  if (plain.length > 0) {
    throw new ConfigError(
      `${file} is invalid in production:\n${plain
        .map(
          ([api, endpoint]) =>
            `  - endpoints.${api}: ${endpoint} is plain http://; use https:// (or remove it)`,
        )
        .join('\n')}`,
    );
  }
}

/** Parse pipeline YAML text; `file` is only used in messages. */
export function parsePipeline(text: string, file: string, projectOverride?: string): PipelineConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (projectOverride && raw && typeof raw === 'object') {
    raw = { ...(raw as Record<string, unknown>), project: projectOverride };
  }
  const parsed = pipelineSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(describeIssues(file, parsed.error, pipelineSchema, raw));
  crossCheck(parsed.data, file);
  return { ...parsed.data, ...derive(parsed.data) };
}

/** References between sections, which zod cannot express on its own. */
function crossCheck(config: ParsedPipeline, file: string): void {
  const problems: string[] = [...checkComponents(config), ...checkSignatures(config), ...checkTrace(config)];
  const phaseIds = new Set(config.phases.map((p) => p.id));
  const checkIds = new Set(config.dataChecks.map((c) => c.id));
  const jobs = new Set(componentsOf(config, 'job').map((j) => j.name));
  config.dataChecks.forEach((check, i) => {
    if (check.phase && !phaseIds.has(check.phase)) {
      problems.push(`  - dataChecks.${i}.phase: one of the phase ids (${[...phaseIds].join(', ')})`);
    }
  });
  config.backfill.targets.forEach((target, i) => {
    if (!checkIds.has(target.check)) {
      problems.push(
        `  - backfill.targets.${i}.check: one of the data check ids (${[...checkIds].join(', ')})`,
      );
    }
    if (target.run.type === 'job' && !jobs.has(target.run.job)) {
      problems.push(
        `  - backfill.targets.${i}.run.job: a job component (components: - { kind: job, name: ${target.run.job} })`,
      );
    }
    if (target.run.type === 'phase' && !phaseIds.has(target.run.phase)) {
      problems.push(
        `  - backfill.targets.${i}.run.phase: one of the phase ids (${[...phaseIds].join(', ')})`,
      );
    }
  });
  if (config.alerts && !config.alerts.channel && !config.statusChannel) {
    problems.push('  - alerts.channel: a channel for the alerts (or set statusChannel)');
  }
  if (problems.length > 0) throw new ConfigError(`${file} is invalid:\n${problems.join('\n')}`);
}

/** The channel alerts go to, when the watch is configured. */
export function alertChannel(config: PipelineConfig): string | undefined {
  return config.alerts ? (config.alerts.channel ?? config.statusChannel) : undefined;
}

/**
 * A watch nothing drives would never speak: with `alerts` configured, production needs the
 * scheduler's audience (for `POST /tasks/watch`) or `WATCH_INTERVAL_SECONDS`.
 */
export function assertWatchDriven(config: PipelineConfig, env: Env, file: string): void {
  if (!config.alerts || config.alerts.scheduler || env.WATCH_INTERVAL_SECONDS) return;
  throw new ConfigError(
    `${file} is invalid in production:\n  - alerts.scheduler: the Cloud Scheduler job's audience and service account (or set WATCH_INTERVAL_SECONDS): nothing would run the watch`,
  );
}

export function loadPipeline(file: string, projectOverride?: string): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `cannot read PIPELINE_CONFIG ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  return parsePipeline(text, file, projectOverride);
}
