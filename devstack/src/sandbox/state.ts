/**
 * The simulated pipeline the sandbox serves. Each API module of the sandbox reads and
 * changes this state; scenarios build it; tests reach it through `sandbox.state`.
 */

export type ApiName =
  | 'cloudRun'
  | 'functions'
  | 'scheduler'
  | 'logging'
  | 'monitoring'
  | 'bigquery'
  | 'processors';

export const apiNames: readonly ApiName[] = [
  'cloudRun',
  'functions',
  'scheduler',
  'logging',
  'monitoring',
  'bigquery',
  'processors',
];

export interface SimCondition {
  state: 'CONDITION_SUCCEEDED' | 'CONDITION_FAILED' | 'CONDITION_PENDING' | 'CONDITION_RECONCILING';
  reason?: string;
  message?: string;
}

export interface SimRevision {
  /** Short name, e.g. `nba-phase3-analytics-processors-00093-mkg`. */
  name: string;
  createTime: Date;
  ready: SimCondition;
}

export interface SimTrafficTarget {
  /** `latest: true` follows the latest ready revision; otherwise `revision` names one. */
  latest: boolean;
  revision?: string;
  percent: number;
}

export interface SimService {
  name: string;
  /** Oldest first. */
  revisions: SimRevision[];
  latestCreatedRevision: string;
  latestReadyRevision: string;
  traffic: SimTrafficTarget[];
  terminalCondition: SimCondition;
  updateTime: Date;
  /** Where its HTTP endpoints are served: filled in by the sandbox from its own URL. */
  uri: string;
}

export interface SimFunction {
  name: string;
  state: 'ACTIVE' | 'FAILED' | 'DEPLOYING' | 'DELETING' | 'UNKNOWN';
  revision: string;
  /** Pub/Sub trigger topic; empty for an HTTP or other Eventarc function. */
  topic: string;
  /** Eventarc event type of a function triggered by something other than Pub/Sub. */
  eventType?: string;
  updateTime: Date;
  stateMessages: { severity: 'ERROR' | 'WARNING' | 'INFO'; type: string; message: string }[];
}

export interface SimSchedulerJob {
  name: string;
  state: 'ENABLED' | 'PAUSED' | 'DISABLED' | 'UPDATE_FAILED';
  schedule: string;
  timeZone: string;
  lastAttemptTime?: Date;
  /** google.rpc.Status of the last attempt: code 0 is success. */
  status?: { code: number; message: string };
  nextRunTime?: Date;
  /** Function it calls. */
  target: string;
}

export interface SimLogEntry {
  timestamp: Date;
  severity: 'DEFAULT' | 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
  /** `cloud_run_revision`, `cloud_function` or `cloud_run_job`. */
  resourceType: 'cloud_run_revision' | 'cloud_function' | 'cloud_run_job';
  /** Service, function or job name. */
  source: string;
  revision?: string;
  text: string;
}

/** Requests served per service and response class, for Cloud Monitoring. */
export interface SimRequestCount {
  service: string;
  responseCodeClass: '2xx' | '4xx' | '5xx';
  count: number;
  /** End of the interval the count covers. */
  at: Date;
}

export interface SimRunHistoryDoc {
  id: string;
  data: Record<string, unknown>;
}

/** One request a processor endpoint received. */
export interface ProcessorCall {
  at: Date;
  service: string;
  method: string;
  path: string;
  body: unknown;
  authorized: boolean;
  status: number;
  /** The `Idempotency-Key` header (HTTP) or `idempotencyKey` attribute (Pub/Sub), when sent. */
  idempotencyKey?: string;
  /** A key this service already took: answered, but the work did not run again. */
  duplicate?: boolean;
}

/** A table as rows of plain values; DATE columns are `YYYY-MM-DD` strings. */
export interface SimTable {
  /** `dataset.table` */
  name: string;
  columns: { name: string; type: 'STRING' | 'INT64' | 'FLOAT64' | 'DATE' | 'TIMESTAMP' | 'BOOL' }[];
  rows: Record<string, string | number | boolean | null>[];
  /** tables.get `lastModifiedTime`: when rows were last written. */
  lastModified?: Date;
}

export interface SandboxState {
  project: string;
  region: string;
  scenario: string;
  services: Map<string, SimService>;
  functions: Map<string, SimFunction>;
  schedulerJobs: Map<string, SimSchedulerJob>;
  logs: SimLogEntry[];
  requestCounts: SimRequestCount[];
  deadLetters: Map<string, number>;
  /** Messages a minute a dead-letter backlog has been growing by (absent: constant). */
  deadLetterGrowth?: Map<string, number>;
  tables: Map<string, SimTable>;
  /**
   * How long a query job takes to finish (default 0): a `jobs.query` whose `timeoutMs` is shorter
   * answers `jobComplete: false`, and `getQueryResults` waits for the rest, as BigQuery does.
   */
  queryRunMs?: number;
  /**
   * The longest a `jobs.query` or `getQueryResults` call waits, whatever its `timeoutMs` ("the call is
   * not guaranteed to wait for the specified timeout", BigQuery REST reference, jobs.query).
   */
  queryWaitMaxMs?: number;
  /** Documents the scenario wants in the run_history collection (seeded into the Firestore emulator). */
  runHistory: SimRunHistoryDoc[];
  processorCalls: ProcessorCall[];
  /** Cloud Run Jobs (backfill targets of type job), by job name. */
  runJobs: Map<string, SimRunJob>;
  /** A scenario that changes over time: its stages and where it is (timeline.ts moves it on). */
  timeline?: SimTimeline;
}

/** One stage of a scenario's timeline. */
export interface SimStage {
  name: string;
  /** One line for the console's sandbox panel: what is going on in this stage. */
  description: string;
  /** By default it begins by itself this long after the previous stage began; absent: only when stepped. */
  afterMs?: number;
  /** Changes the state as the stage begins, at `at` on the sandbox's clock. */
  apply(state: SandboxState, at: Date): void;
  /**
   * Whether what this stage broke is mended already (a heal through the bot refilled the data):
   * then the timeline moves on to the next stage without waiting for its delay.
   */
  mended?(state: SandboxState): boolean;
}

export interface SimTimeline {
  /** In order; the first is where the scenario starts. */
  stages: SimStage[];
  /** Index of the current stage. */
  current: number;
  /** When the current stage began, on the sandbox's clock. */
  since: Date;
  /** What moved it there. */
  how: 'start' | 'timer' | 'step' | 'mended';
  /** Per stage (index 0 unused): ms after the previous stage began; undefined: only when stepped. */
  delaysMs: (number | undefined)[];
}

/** One task of a Cloud Run Job execution: the dates it processes (its shard of `--dates=`). */
export interface SimTask {
  index: number;
  dates: string[];
  state: 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  startTime?: Date;
  completionTime?: Date;
}

export interface SimExecution {
  /** Short name, `<job>-<5 letters/digits>`. */
  name: string;
  job: string;
  createTime: Date;
  startTime?: Date;
  completionTime?: Date;
  /** Container args after overrides. */
  args: string[];
  parallelism: number;
  tasks: SimTask[];
  /** Its tasks never finish until it is cancelled. */
  stalled: boolean;
  cancelled: boolean;
}

export interface SimRunJob {
  name: string;
  /** Container args of the job's template (overridden per run). */
  args: string[];
  createTime: Date;
  /** Tasks run at once; 0 means all. */
  parallelism: number;
  /** Tasks when a run does not override it and `--dates=` does not say. */
  taskCount: number;
  /** How long a task takes per date it processes. */
  taskMs: number;
  /** Newest last. */
  executions: SimExecution[];
  /** The next execution started stalls (the flag then clears). */
  stallNextExecution: boolean;
  /** Tasks processing any of these dates fail. */
  failDates: string[];
}

/** How one API misbehaves, for fault-injection tests and the console's sandbox panel. */
export interface Fault {
  /** Added before answering. */
  latencyMs?: number;
  /** Answer this HTTP status with a Google error body instead of the real answer. */
  status?: number;
  /** Never answer (the socket stays open until the sandbox closes). */
  hang?: boolean;
  /** Only the next N matching requests; unlimited when absent. */
  times?: number;
  /** The error body's message with `status` (default: `sandbox fault injected into <api>`). */
  message?: string;
}
