/**
 * BigQuery v2 for the sandbox: jobs.query, jobs.getQueryResults, jobs.insert (query and dry
 * run) and jobs.get, answering the REST shapes of the discovery document. SQL runs on SQLite
 * (sql.js) over `state.tables`, one attached schema per dataset, so standard SQL such as
 * `SELECT COUNT(*) FROM nba_raw.nbac_schedule WHERE game_date = @date` runs unchanged.
 */
import { randomUUID } from 'node:crypto';
import initSqlJs from 'sql.js';
import type { RouteModule, SandboxContext, SandboxReply } from './server.js';
import type { SandboxState, SimTable } from './state.js';

type Database = initSqlJs.Database;
type SqlValue = initSqlJs.SqlValue;

/** Bytes a query is charged per row of every table it names (a stand-in for column sizes). */
export const BYTES_PER_ROW = 100;

/** One query job as the sandbox received it, for tests to check labels, parameters and limits. */
export interface ReceivedQuery {
  method: 'jobs.query' | 'jobs.insert';
  jobId?: string;
  sql: string;
  parameters: { name?: string; type: string; value: unknown }[];
  labels: Record<string, string>;
  maximumBytesBilled?: string;
  jobTimeoutMs?: string;
  dryRun: boolean;
  location?: string;
}

const received = new WeakMap<SandboxState, ReceivedQuery[]>();

/** Query jobs received since `state` was built (a scenario change starts a new list). */
export function receivedQueries(state: SandboxState): ReceivedQuery[] {
  let list = received.get(state);
  if (!list) {
    list = [];
    received.set(state, list);
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Errors in BigQuery's shape: `{error: {code, message, errors: [{reason, message, domain}], status}}`.

interface BqError {
  code: number;
  reason: string;
  message: string;
}

const statusNames: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
};

/**
 * tables.get: the Table resource (BigQuery REST reference, tables#Table). Times are strings of
 * epoch milliseconds; an unknown dataset or table is a 404 naming it, as BigQuery answers.
 */
function tableResource(state: SandboxState, project: string, dataset: string, table: string): SandboxReply {
  const datasets = new Set([...state.tables.keys()].map((k) => k.split('.')[0]));
  if (!datasets.has(dataset)) {
    return errorReply({ code: 404, reason: 'notFound', message: `Not found: Dataset ${project}:${dataset}` });
  }
  const t = state.tables.get(`${dataset}.${table}`);
  if (!t) {
    return errorReply({
      code: 404,
      reason: 'notFound',
      message: `Not found: Table ${project}:${dataset}.${table}`,
    });
  }
  const modified = t.lastModified ?? new Date(0);
  return {
    body: {
      kind: 'bigquery#table',
      etag: Buffer.from(`${t.name}${modified.getTime()}`).toString('base64').slice(0, 16),
      id: `${project}:${t.name}`,
      selfLink: `/bigquery/v2/projects/${project}/datasets/${dataset}/tables/${table}`,
      tableReference: { projectId: project, datasetId: dataset, tableId: table },
      schema: { fields: t.columns.map((c) => ({ name: c.name, type: c.type, mode: 'NULLABLE' })) },
      numRows: String(t.rows.length),
      numBytes: String(t.rows.length * 64),
      creationTime: String(modified.getTime() - 90 * 24 * 3_600_000),
      lastModifiedTime: String(modified.getTime()),
      type: 'TABLE',
      location: 'US',
    },
  };
}

function errorReply(e: BqError): SandboxReply {
  return {
    status: e.code,
    body: {
      error: {
        code: e.code,
        message: e.message,
        errors: [{ message: e.message, domain: 'global', reason: e.reason }],
        status: statusNames[e.code] ?? 'UNKNOWN',
      },
    },
  };
}

const invalid = (message: string): BqError => ({ code: 400, reason: 'invalidQuery', message });

// ---------------------------------------------------------------------------------------------
// BigQuery standard SQL → SQLite, for the subset data checks use.

interface Translated {
  sql: string;
  /** Named parameters the query references (`@date` → `date`). */
  named: Set<string>;
  positional: number;
  /** The query with string literals and comments removed, for finding table names. */
  code: string;
}

function quoteIdent(part: string): string {
  return `"${part.replaceAll('"', '""')}"`;
}

/**
 * Rewrite string literals (BigQuery's '…' and "…" with backslash escapes) into SQLite's
 * '…' and backquoted paths into schema-qualified identifiers (`proj.ds.t` → "ds"."t").
 * Refuses multi-statement scripts and anything but SELECT / WITH.
 */
export function translateSql(input: string): Translated | BqError {
  let out = '';
  let code = '';
  const named = new Set<string>();
  let positional = 0;
  let semicolonAt = -1;
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i]!;
    const next = input[i + 1];
    if (c === '-' && next === '-') {
      const end = input.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '#') {
      const end = input.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = input.indexOf('*/', i + 2);
      if (end < 0) return invalid('Syntax error: Unclosed comment');
      i = end + 2;
      out += ' ';
      code += ' ';
      continue;
    }
    if (c === "'" || c === '"') {
      if (input.startsWith(c.repeat(3), i))
        return invalid('Triple-quoted strings are not supported by the sandbox');
      const prev = input[i - 1];
      if (prev && /[rRbB]/.test(prev) && !/[\w]/.test(input[i - 2] ?? '')) {
        return invalid('Raw and bytes literals are not supported by the sandbox');
      }
      let value = '';
      let j = i + 1;
      for (; j < n; j++) {
        const d = input[j]!;
        if (d === '\\') {
          const esc = input[j + 1];
          if (esc === undefined) break;
          value += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc;
          j++;
          continue;
        }
        if (d === c) break;
        value += d;
      }
      if (j >= n) return invalid('Syntax error: Unclosed string literal');
      out += `'${value.replaceAll("'", "''")}'`;
      code += "''";
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const end = input.indexOf('`', i + 1);
      if (end < 0) return invalid('Syntax error: Unclosed identifier literal');
      const parts = input.slice(i + 1, end).split('.');
      // `project.dataset.table`: the sandbox serves one project, so the project is dropped.
      const path = parts.length === 3 ? parts.slice(1) : parts;
      const ident = path.map(quoteIdent).join('.');
      out += ident;
      code += ident;
      i = end + 1;
      continue;
    }
    if (c === '@' && next !== undefined && /[A-Za-z_]/.test(next)) {
      const m = /^@([A-Za-z_]\w*)/.exec(input.slice(i));
      if (m) {
        named.add(m[1]!);
        out += m[0];
        code += m[0];
        i += m[0].length;
        continue;
      }
    }
    if (c === '?') positional++;
    if (c === ';') {
      semicolonAt = code.length;
    } else if (semicolonAt >= 0 && !/\s/.test(c)) {
      return invalid('Multi-statement queries are not supported by the sandbox');
    }
    out += c;
    code += c;
    i++;
  }
  if (semicolonAt >= 0) {
    out = out.replace(/;\s*$/, '');
    code = code.replace(/;\s*$/, '');
  }
  if (!/^\s*(select|with)\b/i.test(code)) return invalid('The sandbox runs SELECT queries only');
  return { sql: out, named, positional, code };
}

// ---------------------------------------------------------------------------------------------
// The engine: one SQLite database per sandbox state, refreshed when a table's rows change.

const sqlite = initSqlJs();

const sqliteTypes: Record<SimTable['columns'][number]['type'], string> = {
  STRING: 'TEXT',
  INT64: 'INTEGER',
  FLOAT64: 'REAL',
  DATE: 'TEXT',
  TIMESTAMP: 'TEXT',
  BOOL: 'INTEGER',
};

/** Result column types as the REST API spells them (legacy names). */
const restTypes: Record<SimTable['columns'][number]['type'], string> = {
  STRING: 'STRING',
  INT64: 'INTEGER',
  FLOAT64: 'FLOAT',
  DATE: 'DATE',
  TIMESTAMP: 'TIMESTAMP',
  BOOL: 'BOOLEAN',
};

interface BoundParameter {
  name?: string;
  type: string;
  value: unknown;
  sql: SqlValue;
}

interface QueryResult {
  fields: { name: string; type: string; mode: 'NULLABLE' }[];
  rows: SqlValue[][];
  bytes: number;
}

const tableNamePattern = /^([A-Za-z_]\w*)\.([A-Za-z_]\w*)$/;

class Engine {
  private db: Database | undefined;
  private state: SandboxState | undefined;
  private schemaKey = '';
  /** The JSON each table was loaded from: a changed string reloads that table. */
  private loaded = new Map<string, string>();

  /**
   * Tables are compared by content (JSON) on every query: rows are appended, replaced or
   * edited in place by processors, and a reload of ~2,000 rows costs ~10 ms, the compare ~1 ms.
   */
  private async sync(state: SandboxState): Promise<Database> {
    const tables = [...state.tables.values()].filter((t) => tableNamePattern.test(t.name));
    const schemaKey = JSON.stringify(tables.map((t) => [t.name, t.columns]));
    if (!this.db || this.state !== state || this.schemaKey !== schemaKey) {
      this.db?.close();
      const SQL = await sqlite;
      const db = new SQL.Database();
      const datasets = [...new Set(tables.map((t) => t.name.split('.')[0]!))];
      // SQLite attaches at most 10 databases by default.
      if (datasets.length > 10) throw new Error('the sandbox supports at most 10 datasets');
      for (const ds of datasets) db.run(`ATTACH DATABASE ':memory:' AS ${quoteIdent(ds)}`);
      for (const t of tables) {
        const [ds, name] = t.name.split('.') as [string, string];
        const cols = t.columns.map((c) => `${quoteIdent(c.name)} ${sqliteTypes[c.type]}`).join(', ');
        db.run(`CREATE TABLE ${quoteIdent(ds)}.${quoteIdent(name)} (${cols})`);
      }
      this.db = db;
      this.state = state;
      this.schemaKey = schemaKey;
      this.loaded.clear();
    }
    const db = this.db;
    for (const t of tables) {
      const json = JSON.stringify(t.rows);
      if (this.loaded.get(t.name) === json) continue;
      const [ds, name] = t.name.split('.') as [string, string];
      const target = `${quoteIdent(ds)}.${quoteIdent(name)}`;
      const cols = t.columns.map((c) => quoteIdent(c.name)).join(', ');
      const values = t.columns.map((c) => `json_extract(value, '$.${quoteIdent(c.name)}')`).join(', ');
      db.run('BEGIN');
      db.run(`DELETE FROM ${target}`);
      if (t.columns.length > 0)
        db.run(`INSERT INTO ${target} (${cols}) SELECT ${values} FROM json_each(?)`, [json]);
      db.run('COMMIT');
      this.loaded.set(t.name, json);
    }
    return db;
  }

  async run(
    state: SandboxState,
    q: Translated,
    params: BoundParameter[],
    mode: string,
  ): Promise<QueryResult | BqError> {
    const db = await this.sync(state);
    let bind: initSqlJs.BindParams = null;
    if (mode === 'positional') {
      if (params.length !== q.positional) {
        return invalid(`Query has ${q.positional} positional parameters but ${params.length} were provided`);
      }
      bind = params.map((p) => p.sql);
    } else {
      const byName = new Map(params.map((p) => [p.name ?? '', p]));
      for (const name of q.named) {
        if (!byName.has(name)) return invalid(`Query parameter '${name}' not found`);
      }
      bind = Object.fromEntries(params.map((p) => [`@${p.name}`, p.sql]));
    }
    let stmt: initSqlJs.Statement;
    try {
      stmt = db.prepare(q.sql);
    } catch (error) {
      return engineError(state, (error as Error).message);
    }
    try {
      stmt.bind(bind);
      const names = stmt.getColumnNames();
      const rows: SqlValue[][] = [];
      while (stmt.step()) rows.push(stmt.get());
      return { fields: inferFields(state, names, rows), rows, bytes: estimateBytes(state, q.code) };
    } catch (error) {
      return engineError(state, (error as Error).message);
    } finally {
      stmt.free();
    }
  }
}

function engineError(state: SandboxState, message: string): BqError {
  const table = /^no such table: (.+)$/.exec(message);
  if (table) {
    return {
      code: 404,
      reason: 'notFound',
      message: `Not found: Table ${state.project}:${table[1]} was not found in location US`,
    };
  }
  const column = /^no such column: (.+)$/.exec(message);
  if (column) return invalid(`Unrecognized name: ${column[1]}`);
  return invalid(`${message} (sandbox SQL engine: SQLite)`);
}

/** Rows of every table the query names, times BYTES_PER_ROW. */
function estimateBytes(state: SandboxState, code: string): number {
  let rows = 0;
  for (const t of state.tables.values()) {
    const m = tableNamePattern.exec(t.name);
    if (!m) continue;
    const ref = new RegExp(`(^|[^\\w"])"?${m[1]}"?\\s*\\.\\s*"?${m[2]}"?(?![\\w])`, 'i');
    if (ref.test(code)) rows += t.rows.length;
  }
  return rows * BYTES_PER_ROW;
}

/** Result types: a column named like a table column takes its type; otherwise from the values. */
function inferFields(state: SandboxState, names: string[], rows: SqlValue[][]): QueryResult['fields'] {
  const declared = new Map<string, string | null>();
  for (const t of state.tables.values()) {
    for (const c of t.columns) {
      const key = c.name.toLowerCase();
      const type = restTypes[c.type];
      declared.set(key, declared.has(key) && declared.get(key) !== type ? null : type);
    }
  }
  return names.map((name, i) => {
    const known = declared.get(name.toLowerCase());
    if (known) return { name, type: known, mode: 'NULLABLE' as const };
    const values = rows.map((r) => r[i]).filter((v) => v !== null && v !== undefined);
    let type = 'INTEGER';
    if (values.some((v) => typeof v === 'string')) type = 'STRING';
    else if (values.some((v) => v instanceof Uint8Array)) type = 'BYTES';
    else if (values.some((v) => typeof v === 'number' && !Number.isInteger(v))) type = 'FLOAT';
    return { name, type, mode: 'NULLABLE' as const };
  });
}

function cell(value: SqlValue, type: string, int64Timestamp: boolean): { v: string | null } {
  if (value === null || value === undefined) return { v: null };
  switch (type) {
    case 'BOOLEAN':
      return { v: value ? 'true' : 'false' };
    case 'BYTES':
      return { v: Buffer.from(value as Uint8Array).toString('base64') };
    case 'TIMESTAMP': {
      const ms = typeof value === 'number' ? value : Date.parse(String(value));
      return { v: int64Timestamp ? String(Math.round(ms * 1000)) : (ms / 1000).toExponential() };
    }
    default:
      return { v: String(value) };
  }
}

// ---------------------------------------------------------------------------------------------
// Parameters: typed values from `queryParameters`, bound by SQLite, never spliced into the SQL.

interface QueryParameter {
  name?: string;
  parameterType?: { type?: string };
  parameterValue?: { value?: unknown };
}

function bindParameters(list: unknown): BoundParameter[] | BqError {
  if (list === undefined) return [];
  if (!Array.isArray(list))
    return { code: 400, reason: 'invalid', message: 'queryParameters must be a list' };
  const out: BoundParameter[] = [];
  for (const p of list as QueryParameter[]) {
    const type = p.parameterType?.type ?? '';
    const raw = p.parameterValue?.value;
    const label = p.name ? `parameter ${p.name}` : 'a positional parameter';
    const base = { ...(p.name ? { name: p.name } : {}), type, value: raw };
    if (raw === undefined || raw === null) {
      out.push({ ...base, sql: null });
      continue;
    }
    const text = String(raw);
    switch (type) {
      case 'DATE':
        if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) {
          return invalid(`Invalid DATE literal '${text}' for ${label}`);
        }
        out.push({ ...base, sql: text });
        break;
      case 'INT64':
        if (!/^-?\d+$/.test(text)) return invalid(`Invalid INT64 value '${text}' for ${label}`);
        out.push({ ...base, sql: Number(text) });
        break;
      case 'FLOAT64':
      case 'NUMERIC':
      case 'BIGNUMERIC':
        if (!Number.isFinite(Number(text))) return invalid(`Invalid ${type} value '${text}' for ${label}`);
        out.push({ ...base, sql: Number(text) });
        break;
      case 'BOOL':
        if (text !== 'true' && text !== 'false') return invalid(`Invalid BOOL value '${text}' for ${label}`);
        out.push({ ...base, sql: text === 'true' ? 1 : 0 });
        break;
      case 'STRING':
      case 'TIMESTAMP':
      case 'DATETIME':
        out.push({ ...base, sql: text });
        break;
      default:
        return invalid(`Parameter type ${type || '(missing)'} of ${label} is not supported by the sandbox`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Jobs.

interface QuerySpec {
  query?: unknown;
  queryParameters?: unknown;
  parameterMode?: unknown;
  useLegacySql?: unknown;
  maximumBytesBilled?: unknown;
}

interface JobRecord {
  projectId: string;
  jobId: string;
  location: string;
  configuration: Record<string, unknown>;
  created: number;
  outcome: QueryResult | BqError;
  /** When the job finishes (wall clock); results before then say `jobComplete: false`. */
  doneAt?: number;
}

/** jobs.query and getQueryResults wait at most `timeoutMs` (default 10 s) for the job (BigQuery REST reference). */
const DEFAULT_WAIT_MS = 10_000;

/** Wait up to `timeoutMs` for the job; true when it is done by then. */
async function waitForJob(job: JobRecord, timeoutMs: unknown, maxWaitMs = Infinity): Promise<boolean> {
  const wait = Math.min(Number(timeoutMs ?? DEFAULT_WAIT_MS), maxWaitMs);
  const left = (job.doneAt ?? 0) - Date.now();
  if (left <= 0) return true;
  await new Promise((r) => setTimeout(r, Math.max(0, Math.min(left, Number.isFinite(wait) ? wait : 0))));
  return (job.doneAt ?? 0) <= Date.now();
}

/** The answer for a job still running: its reference and nothing else. */
const pending = (job: JobRecord, kind: string) => ({
  kind,
  jobReference: { projectId: job.projectId, jobId: job.jobId, location: job.location },
  jobComplete: false,
});

const isError = <T extends object>(x: T | BqError): x is BqError => 'reason' in x;

const words = (text: string) => text.split(' ');

/**
 * Request fields BigQuery knows (from its discovery document; tests keep these in step).
 * Like every Google JSON API it refuses unknown names, which catches an option the client
 * copies into the wrong place.
 */
export const knownFields: Record<string, readonly string[]> = {
  QueryRequest: words(
    'connectionProperties continuous createSession defaultDataset ' +
      'destinationEncryptionConfiguration dryRun formatOptions jobCreationMode jobTimeoutMs ' +
      'kind labels location maxResults maximumBytesBilled parameterMode preserveNulls query ' +
      'queryParameters requestId reservation timeoutMs useLegacySql useQueryCache ' +
      'writeIncrementalResults',
  ),
  Job: words(
    'configuration etag id jobCreationReason jobReference kind principal_subject selfLink ' +
      'statistics status user_email',
  ),
  JobConfiguration: words('copy dryRun extract jobTimeoutMs jobType labels load query reservation'),
  JobConfigurationQuery: words(
    'allowLargeResults clustering connectionProperties continuous createDisposition ' +
      'createSession defaultDataset destinationEncryptionConfiguration destinationTable ' +
      'flattenResults maximumBillingTier maximumBytesBilled parameterMode preserveNulls ' +
      'priority query queryParameters rangePartitioning schemaUpdateOptions scriptOptions ' +
      'systemVariables tableDefinitions timePartitioning useLegacySql useQueryCache ' +
      'userDefinedFunctionResources writeDisposition writeIncrementalResults',
  ),
  JobReference: words('jobId location projectId'),
  QueryParameter: words('name parameterType parameterValue'),
};

function unknownField(value: unknown, schema: string, at: string): BqError | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const known = knownFields[schema] ?? [];
  const name = Object.keys(value).find((k) => !known.includes(k));
  return name === undefined
    ? undefined
    : {
        code: 400,
        reason: 'invalid',
        message: `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`,
      };
}

/** Unknown names in a jobs.query body or a jobs.insert Job, checked like the real API. */
function unknownFields(body: unknown, kind: 'QueryRequest' | 'Job'): BqError | undefined {
  const b = (body ?? {}) as {
    configuration?: { query?: unknown };
    jobReference?: unknown;
    queryParameters?: unknown;
  };
  const params =
    (kind === 'Job'
      ? (b.configuration?.query as { queryParameters?: unknown })?.queryParameters
      : b.queryParameters) ?? [];
  return (
    unknownField(body, kind, kind === 'Job' ? 'job' : 'query_request') ??
    (kind === 'Job'
      ? (unknownField(b.configuration, 'JobConfiguration', 'job.configuration') ??
        unknownField(b.configuration?.query, 'JobConfigurationQuery', 'job.configuration.query') ??
        unknownField(b.jobReference, 'JobReference', 'job.job_reference'))
      : undefined) ??
    (Array.isArray(params)
      ? params.map((p, i) => unknownField(p, 'QueryParameter', `query_parameters[${i}]`)).find(Boolean)
      : undefined)
  );
}

/** Rows from `start`, at most `max` (0: all), and the token of the next page. */
function pageOf(rows: SqlValue[][], max: number, start: number) {
  const end = Math.min(rows.length, start + (max > 0 ? max : rows.length));
  return { slice: rows.slice(start, end), pageToken: end < rows.length ? String(end) : undefined };
}

export const bigqueryRoutes: RouteModule = (ctx: SandboxContext) => {
  const engine = new Engine();
  const jobs = new Map<string, JobRecord>();
  const remember = (job: JobRecord) => {
    jobs.set(job.jobId, job);
    // Keep the newest jobs only: the sandbox may run for a long demo session.
    if (jobs.size > 1000) jobs.delete(jobs.keys().next().value!);
  };

  /** Validate, record and run one query; `dryRun` checks the SQL and estimates bytes only. */
  const execute = async (
    method: ReceivedQuery['method'],
    spec: QuerySpec,
    extra: { jobId?: string; labels?: unknown; jobTimeoutMs?: unknown; dryRun: boolean; location?: string },
  ): Promise<QueryResult | BqError> => {
    const state = ctx.state;
    const sql = typeof spec.query === 'string' ? spec.query : '';
    const params = bindParameters(spec.queryParameters);
    receivedQueries(state).push({
      method,
      ...(extra.jobId ? { jobId: extra.jobId } : {}),
      sql,
      parameters: Array.isArray(params) ? params.map(({ sql: _, ...p }) => p) : [],
      labels: { ...((extra.labels ?? {}) as Record<string, string>) },
      ...(spec.maximumBytesBilled !== undefined
        ? { maximumBytesBilled: String(spec.maximumBytesBilled) }
        : {}),
      ...(extra.jobTimeoutMs !== undefined ? { jobTimeoutMs: String(extra.jobTimeoutMs) } : {}),
      dryRun: extra.dryRun,
      ...(extra.location ? { location: extra.location } : {}),
    });
    if (!sql) return { code: 400, reason: 'required', message: 'Required parameter is missing: query' };
    if (spec.useLegacySql === true) return invalid('Legacy SQL is not supported by the sandbox');
    if (!Array.isArray(params)) return params;
    const translated = translateSql(sql);
    if ('reason' in translated) return translated;
    const mode =
      spec.parameterMode === 'POSITIONAL' || spec.parameterMode === 'positional' ? 'positional' : 'named';
    const result = await engine.run(state, translated, params, mode);
    if (isError(result) || extra.dryRun) return result;
    const limit = spec.maximumBytesBilled === undefined ? undefined : Number(spec.maximumBytesBilled);
    if (limit !== undefined && result.bytes > limit) {
      return {
        code: 400,
        reason: 'bytesBilledLimitExceeded',
        message: `Query exceeded limit for bytes billed: ${limit}. ${result.bytes} or higher required.`,
      };
    }
    return result;
  };

  const checkProject = (p: string): BqError | undefined =>
    p === ctx.state.project
      ? undefined
      : { code: 404, reason: 'notFound', message: `Not found: Project ${decodeURIComponent(p)}` };

  const jobResource = (job: JobRecord, dryRun = false) => {
    const ref = { projectId: job.projectId, jobId: job.jobId, location: job.location };
    const outcome = job.outcome;
    const bytes = isError(outcome) ? '0' : String(outcome.bytes);
    const time = String(job.created);
    return {
      kind: 'bigquery#job',
      etag: Buffer.from(job.jobId).toString('base64').slice(0, 16),
      id: `${job.projectId}:${job.location}.${job.jobId}`,
      selfLink: `${ctx.url}/bigquery/v2/projects/${job.projectId}/jobs/${job.jobId}?location=${job.location}`,
      user_email: 'sandbox@example.iam.gserviceaccount.com',
      configuration: { ...job.configuration, jobType: 'QUERY', ...(dryRun ? { dryRun: true } : {}) },
      jobReference: ref,
      statistics: {
        creationTime: time,
        ...(dryRun ? {} : { startTime: time, endTime: time }),
        totalBytesProcessed: bytes,
        query: {
          totalBytesProcessed: bytes,
          ...(dryRun || isError(outcome) ? {} : { totalBytesBilled: bytes, cacheHit: false }),
          statementType: 'SELECT',
          ...(isError(outcome) ? {} : { schema: { fields: outcome.fields } }),
        },
      },
      status: isError(outcome)
        ? {
            state: 'DONE',
            errorResult: { reason: outcome.reason, message: outcome.message },
            errors: [{ reason: outcome.reason, message: outcome.message }],
          }
        : { state: 'DONE' },
    };
  };

  const results = (
    job: JobRecord,
    result: QueryResult,
    page: ReturnType<typeof pageOf>,
    int64Ts: boolean,
  ) => ({
    jobReference: { projectId: job.projectId, jobId: job.jobId, location: job.location },
    schema: { fields: result.fields },
    rows: page.slice.map((r) => ({ f: r.map((v, i) => cell(v, result.fields[i]!.type, int64Ts)) })),
    totalRows: String(result.rows.length),
    ...(page.pageToken ? { pageToken: page.pageToken } : {}),
    totalBytesProcessed: String(result.bytes),
    jobComplete: true,
    cacheHit: false,
  });

  const findJob = (p: string, jobId: string, location: string | null): JobRecord | BqError => {
    const job = jobs.get(decodeURIComponent(jobId));
    if (!job || job.projectId !== p || (location && location !== job.location)) {
      return { code: 404, reason: 'notFound', message: `Not found: Job ${p}:${location ?? 'US'}.${jobId}` };
    }
    return job;
  };

  return [
    {
      api: 'bigquery',
      method: 'POST',
      pattern: /^\/bigquery\/v2\/projects\/([^/]+)\/queries$/,
      async handle(req, m) {
        const p = m[1]!;
        const wrong = checkProject(p);
        if (wrong) return errorReply(wrong);
        const unknown = unknownFields(req.body, 'QueryRequest');
        if (unknown) return errorReply(unknown);
        const body = (req.body ?? {}) as QuerySpec & {
          labels?: unknown;
          location?: string;
          dryRun?: boolean;
          maxResults?: number;
          jobTimeoutMs?: string;
          timeoutMs?: number;
          formatOptions?: { useInt64Timestamp?: boolean };
        };
        const job: JobRecord = {
          projectId: p,
          jobId: `job_${randomUUID().replaceAll('-', '')}`,
          location: body.location ?? 'US',
          configuration: {},
          created: Date.now(),
          outcome: invalid('not run'),
        };
        const outcome = await execute('jobs.query', body, {
          jobId: job.jobId,
          labels: body.labels,
          jobTimeoutMs: body.jobTimeoutMs,
          dryRun: body.dryRun === true,
          ...(body.location ? { location: body.location } : {}),
        });
        if (isError(outcome)) return errorReply(outcome);
        if (body.dryRun) {
          return {
            body: {
              kind: 'bigquery#queryResponse',
              schema: { fields: outcome.fields },
              jobComplete: true,
              totalBytesProcessed: String(outcome.bytes),
              cacheHit: false,
            },
          };
        }
        job.outcome = outcome;
        job.configuration = { query: { query: body.query, useLegacySql: false }, labels: body.labels ?? {} };
        job.doneAt = job.created + (ctx.state.queryRunMs ?? 0);
        remember(job);
        if (!(await waitForJob(job, body.timeoutMs, ctx.state.queryWaitMaxMs)))
          return { body: pending(job, 'bigquery#queryResponse') };
        const page = pageOf(outcome.rows, Number(body.maxResults ?? 0), 0);
        return {
          body: {
            kind: 'bigquery#queryResponse',
            ...results(job, outcome, page, body.formatOptions?.useInt64Timestamp === true),
            totalBytesBilled: String(outcome.bytes),
          },
        };
      },
    },
    {
      api: 'bigquery',
      method: 'GET',
      pattern: /^\/bigquery\/v2\/projects\/([^/]+)\/queries\/([^/]+)$/,
      async handle(req, m) {
        const job = findJob(m[1]!, m[2]!, req.query.get('location'));
        if (isError(job)) return errorReply(job);
        if (!(await waitForJob(job, req.query.get('timeoutMs') ?? undefined, ctx.state.queryWaitMaxMs))) {
          return { body: pending(job, 'bigquery#getQueryResultsResponse') };
        }
        if (isError(job.outcome)) return errorReply(job.outcome);
        const q = req.query;
        const start = Number(q.get('pageToken') ?? q.get('startIndex') ?? 0);
        if (!Number.isInteger(start) || start < 0) {
          return errorReply({ code: 400, reason: 'invalid', message: 'Invalid page token' });
        }
        const page = pageOf(job.outcome.rows, Number(q.get('maxResults') ?? 0), start);
        return {
          body: {
            kind: 'bigquery#getQueryResultsResponse',
            etag: Buffer.from(job.jobId).toString('base64').slice(0, 16),
            ...results(job, job.outcome, page, req.query.get('formatOptions.useInt64Timestamp') === 'true'),
          },
        };
      },
    },
    {
      api: 'bigquery',
      method: 'POST',
      pattern: /^\/bigquery\/v2\/projects\/([^/]+)\/jobs$/,
      async handle(req, m) {
        const p = m[1]!;
        const wrong = checkProject(p);
        if (wrong) return errorReply(wrong);
        const unknown = unknownFields(req.body, 'Job');
        if (unknown) return errorReply(unknown);
        const body = (req.body ?? {}) as {
          jobReference?: { jobId?: string; location?: string };
          configuration?: { query?: QuerySpec; dryRun?: boolean; labels?: unknown; jobTimeoutMs?: string };
        };
        const config = body.configuration ?? {};
        if (!config.query) {
          return errorReply({ code: 400, reason: 'invalid', message: 'The sandbox runs query jobs only' });
        }
        const dryRun = config.dryRun === true;
        const jobId = body.jobReference?.jobId ?? `job_${randomUUID().replaceAll('-', '')}`;
        const sentLocation = body.jobReference?.location;
        const location = sentLocation ?? 'US';
        if (!dryRun && jobs.has(jobId)) {
          return errorReply({
            code: 409,
            reason: 'duplicate',
            message: `Already Exists: Job ${p}:${location}.${jobId}`,
          });
        }
        const outcome = await execute('jobs.insert', config.query, {
          jobId,
          labels: config.labels,
          jobTimeoutMs: config.jobTimeoutMs,
          dryRun,
          ...(sentLocation ? { location: sentLocation } : {}),
        });
        const job: JobRecord = {
          projectId: p,
          jobId,
          location,
          configuration: config,
          created: Date.now(),
          outcome,
        };
        // A dry run fails at once with an HTTP error; a real job is created and fails in its status.
        if (dryRun) return isError(outcome) ? errorReply(outcome) : { body: jobResource(job, true) };
        if (isError(outcome) && outcome.reason === 'required') return errorReply(outcome);
        remember(job);
        return { body: jobResource(job) };
      },
    },
    {
      api: 'bigquery',
      method: 'GET',
      pattern: /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)$/,
      handle(_req, m) {
        const wrong = checkProject(m[1]!);
        if (wrong) return errorReply(wrong);
        const [p, d, t] = [m[1]!, decodeURIComponent(m[2]!), decodeURIComponent(m[3]!)];
        return tableResource(ctx.state, p, d, t);
      },
    },
    {
      api: 'bigquery',
      method: 'GET',
      pattern: /^\/bigquery\/v2\/projects\/([^/]+)\/jobs\/([^/]+)$/,
      handle(req, m) {
        const job = findJob(m[1]!, m[2]!, req.query.get('location'));
        return isError(job) ? errorReply(job) : { body: jobResource(job) };
      },
    },
  ];
};
