/**
 * The small interfaces the domain needs from the outside world. Adapters in src/gcp and
 * src/store implement them; every method resolves (never rejects, never hangs past its
 * deadline) with a Probe, so one broken API only ever marks its own line of a report.
 */
import type { Probe } from './result.js';

/** A calendar date in the pipeline's time zone, `YYYY-MM-DD`, validated by `parseDate`. */
export type IsoDate = string & { readonly __isoDate: unique symbol };

export interface TrafficSplit {
  /** Revision short name; absent when the target is "latest". */
  revision?: string;
  latest: boolean;
  percent: number;
}

export interface Condition {
  state: 'true' | 'false' | 'unknown';
  reason?: string;
  message?: string;
}

export interface ServiceState {
  name: string;
  uri?: string;
  latestCreatedRevision?: string;
  latestReadyRevision?: string;
  /** The configured split (spec). */
  traffic: TrafficSplit[];
  ready: Condition;
  updateTime?: string;
  /** Resolved: which revision serves how much, "latest" expanded to its revision. */
  servingShares: { revision: string; percent: number }[];
}

export interface RevisionState {
  name: string;
  service: string;
  createTime?: string;
  ready: Condition;
}

export interface CloudRunPort {
  getService(name: string): Promise<Probe<ServiceState>>;
  /** Newest first. */
  listRevisions(service: string): Promise<Probe<RevisionState[]>>;
}

/** One target of a traffic change: a named revision, or whatever revision is latest ready. */
export type TrafficTarget = { revision: string; percent: number } | { latest: true; percent: number };

/** Changes to Cloud Run services (rollback and its undo). */
export interface CloudRunControl {
  /** Replace the service's traffic split (percents sum to 100) and wait until it is rolled out. */
  updateTraffic(service: string, split: TrafficTarget[]): Promise<Probe<ServiceState>>;
}

export type FunctionStateName =
  | 'ACTIVE'
  | 'FAILED'
  | 'DEPLOYING'
  | 'DELETING'
  | 'UNKNOWN'
  | 'STATE_UNSPECIFIED';

/** How a deployed function is triggered (an Eventarc trigger on a Pub/Sub topic is `pubsub`). */
export type DeployedTrigger =
  | { type: 'http' }
  | { type: 'pubsub'; topic: string }
  | { type: 'eventarc'; eventType: string };

export interface FunctionState {
  name: string;
  state: FunctionStateName;
  revision?: string;
  triggerTopic?: string;
  trigger?: DeployedTrigger;
  updateTime?: string;
  stateMessages: { severity: string; type: string; message: string }[];
}

export interface FunctionsPort {
  getFunction(name: string): Promise<Probe<FunctionState>>;
}

export interface SchedulerJobState {
  name: string;
  state: 'ENABLED' | 'PAUSED' | 'DISABLED' | 'UPDATE_FAILED' | 'STATE_UNSPECIFIED';
  schedule?: string;
  timeZone?: string;
  lastAttemptTime?: string;
  /** gRPC status of the last attempt; code 0 or absent means it succeeded. */
  lastStatus?: { code: number; message: string };
  nextRunTime?: string;
}

export interface SchedulerPort {
  getJob(name: string): Promise<Probe<SchedulerJobState>>;
}

/** Changes to Cloud Scheduler jobs; each answers the job as it is afterwards. */
export interface SchedulerControl {
  /** Pausing a paused job succeeds. */
  pause(job: string): Promise<Probe<SchedulerJobState>>;
  /** Resuming an enabled job succeeds. */
  resume(job: string): Promise<Probe<SchedulerJobState>>;
  /** Start one run now; never retried, so a lost answer cannot run it twice. */
  run(job: string): Promise<Probe<SchedulerJobState>>;
}

/** One execution of a Cloud Run Job, as the bot reads it. Counts are tasks. */
export interface ExecutionState {
  /** Full resource name: `projects/P/locations/L/jobs/J/executions/E`. */
  name: string;
  /** `E`. */
  shortName: string;
  /** Job short name. */
  job: string;
  createTime?: string;
  startTime?: string;
  completionTime?: string;
  taskCount: number;
  runningCount: number;
  succeededCount: number;
  failedCount: number;
  cancelledCount: number;
  /** Finished: succeeded, failed or cancelled. */
  done: boolean;
  /** Set when done. */
  outcome?: 'succeeded' | 'failed' | 'cancelled';
  logUri?: string;
}

/** Cloud Run Jobs (backfill). */
export interface RunJobsPort {
  /**
   * Start an execution of `job` (short name) with these container args; resolves once the
   * execution exists, not when it ends. Never retried: a lost answer must not start a second run.
   */
  runJob(job: string, args: string[]): Promise<Probe<ExecutionState>>;
  /** By full name. */
  getExecution(name: string): Promise<Probe<ExecutionState>>;
  /** The job's executions, newest first, at most `limit`. */
  listExecutions(job: string, limit: number): Promise<Probe<ExecutionState[]>>;
  /** Ask the execution to stop; answers its state after the request (by full name). */
  cancelExecution(name: string): Promise<Probe<ExecutionState>>;
}

/** What status reads of Cloud Run Jobs. */
export type JobsReadPort = Pick<RunJobsPort, 'listExecutions'>;

/** A BigQuery table's metadata (tables.get). */
export interface TableInfo {
  /** `dataset.table` */
  name: string;
  /** When the table was last written (data or schema), RFC 3339. */
  lastModifiedTime?: string;
  numRows?: number;
}

export interface TablesPort {
  /** `dataset.table` in the pipeline's project. */
  getTable(name: string): Promise<Probe<TableInfo>>;
}

export interface DataChecksPort {
  /** Run one parameterized query returning a single number; `label` names the job. */
  scalar(sql: string, date: IsoDate, label: string): Promise<Probe<number>>;
}

export interface RunRecord {
  /** Firestore document id. */
  id: string;
  processor: string;
  date: string;
  status: string;
  startedAt?: string;
  /** When the run ended, RFC 3339 (the configured `finishedAt` field, when there is one). */
  finishedAt?: string;
  /** The configured error-message field, when the run wrote one. */
  error?: string;
}

export interface RunHistoryPort {
  runsForDate(date: IsoDate): Promise<Probe<RunRecord[]>>;
  /** Runs still in the running status that started before `startedBefore`. */
  stuckRuns(startedBefore: Date): Promise<Probe<RunRecord[]>>;
}

/** A run_history document as it was before a change, in a JSON-safe form that restores exactly. */
export interface RunHistorySnapshot {
  id: string;
  exists: boolean;
  /** Field values in a tagged encoding (Timestamps as `{__ts: {seconds, nanos}}`, …); absent when !exists. */
  data?: Record<string, unknown>;
  /** The document's update time (RFC 3339, nanoseconds kept): the precondition for deleting it. */
  updateTime?: string;
}

/** Changes to run_history (heal and its undo). */
export interface RunHistoryControl {
  snapshot(ids: string[]): Promise<Probe<RunHistorySnapshot[]>>;
  /**
   * Delete the documents, all or none, each only if still at `updateTime`. Documents without
   * `updateTime` (absent at snapshot time) are skipped. If any changed or vanished, nothing is
   * deleted and the failure names them. Resolves with the number deleted.
   */
  deleteIfUnchanged(docs: { id: string; updateTime?: string }[]): Promise<Probe<number>>;
  /** Write the snapshots' data back exactly (overwriting whatever is there now). Resolves with the number written. */
  restore(snapshots: { id: string; data: Record<string, unknown> }[]): Promise<Probe<number>>;
}

/** Start a phase over HTTP: `method` `${service URL}${path}` with `body` as JSON and an ID token. */
export interface HttpTrigger {
  type: 'http';
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
}

/** Start a phase by publishing `message` as JSON to `topic`. */
export interface PubSubTrigger {
  type: 'pubsub';
  topic: string;
  message: Record<string, unknown>;
}

/** Starting pipeline phases (heal). Never retried: a trigger is not idempotent. */
export interface TriggerPort {
  trigger(step: {
    service: string;
    date: string;
    trigger: HttpTrigger | PubSubTrigger;
    /**
     * The same for every attempt of one step of one request (request id + step id), sent as
     * the `Idempotency-Key` header or message attribute: a processor that already took it
     * does not run the work again.
     */
    idempotencyKey?: string;
  }): Promise<Probe<{ detail: string }>>;
}

export interface ErrorGroup {
  /** Cloud Run service or function name the entries came from. */
  source: string;
  /** Crash signature id when the entries match one. */
  signature?: string;
  count: number;
  /** Revisions the entries came from (`revision_name`), when the entries say. */
  revisions?: string[];
  sample: string;
  firstSeen: string;
  lastSeen: string;
}

export interface LogsPort {
  /** ERROR and worse since `since`, for the given sources, grouped by source and signature. */
  errorsSince(since: Date, sources: string[]): Promise<Probe<ErrorGroup[]>>;
}

export interface MonitoringPort {
  /** Share of 5xx responses (0..1) per service since `since`; null where there was no traffic. */
  serverErrorShare(services: string[], since: Date): Promise<Probe<Record<string, number | null>>>;
  /** Undelivered messages per subscription. */
  deadLetterBacklog(subscriptions: string[]): Promise<Probe<Record<string, number>>>;
  /**
   * Undelivered messages per subscription over the last `windowMinutes`, oldest sample first.
   * A subscription with no sample in the window is left out.
   */
  deadLetterTrend(
    subscriptions: string[],
    windowMinutes: number,
  ): Promise<Probe<Record<string, BacklogSample[]>>>;
}

export interface BacklogSample {
  /** RFC 3339. */
  at: string;
  value: number;
}

/** Time, injectable for tests. */
export interface Clock {
  now(): Date;
}

/** A backfill execution's progress, as the executor reports it while watching. */
export interface BackfillProgress {
  requestId: string;
  stepId: string;
  /** Execution short name. */
  execution: string;
  /** Tasks succeeded (one task per date). */
  done: number;
  total: number;
  failed: number;
  cancelled: number;
  running: number;
  /** Since the execution was created. */
  elapsedMs: number;
  /**
   * No task finished for `stallMs`. True in exactly one report per stall (the watchdog's
   * alarm); reports resume, with `stalled: false`, once a task finishes.
   */
  stalled: boolean;
  /** The execution ended (the last report before the closing checks). */
  finished: boolean;
  outcome?: 'succeeded' | 'failed' | 'cancelled';
  consoleUrl: string;
  dates: string[];
}
