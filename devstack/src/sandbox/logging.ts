/**
 * Cloud Logging v2 for the sandbox: `entries:list` over `state.logs`. The filter is parsed
 * for the subset of the Logging query language the bot emits, and anything outside it is
 * refused with a 400, so a malformed filter fails loudly here instead of matching nothing.
 */
import type { RouteModule, SandboxContext } from './server.js';
import { googleError } from './server.js';
import type { SandboxState, SimLogEntry } from './state.js';

/** One `entries:list` request as received, for tests to inspect the filter the bot built. */
export interface ReceivedLogQuery {
  resourceNames: string[];
  filter: string;
  orderBy?: string;
  pageSize?: number;
}

const received = new WeakMap<SandboxState, ReceivedLogQuery[]>();

/** `entries:list` requests received since `state` was built. */
export function receivedLogQueries(state: SandboxState): ReceivedLogQuery[] {
  let list = received.get(state);
  if (!list) {
    list = [];
    received.set(state, list);
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// The filter subset: comparisons on severity, timestamp, resource.type and the service /
// function name labels, quoted free text, AND (explicit or implied), OR and parentheses.

export class FilterError extends Error {}

type Token =
  | { kind: 'str'; value: string; at: number }
  | { kind: 'word'; value: string; at: number }
  | { kind: 'op'; value: string; at: number }
  | { kind: '(' | ')'; at: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ kind: c, at: i });
      i++;
      continue;
    }
    if (c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        // Only the escapes the bot writes (`\\` and `\"`): anything else is refused, not guessed at.
        if (text[j] === '\\') {
          j++;
          if (text[j] !== '\\' && text[j] !== '"')
            throw new FilterError(`unsupported escape \\${text[j] ?? ''} at column ${j}`);
        }
        // biome-ignore lint/suspicious/noControlCharactersInRegex: a filter string is one line
        if (/[\u0000-\u001f\u007f]/.test(text[j] ?? ''))
          throw new FilterError(`control character in a string at column ${j + 1}`);
        value += text[j] ?? '';
      }
      if (j >= text.length) throw new FilterError(`unterminated string at column ${i + 1}`);
      tokens.push({ kind: 'str', value, at: i });
      i = j + 1;
      continue;
    }
    const op = /^(>=|<=|!=|=~|!~|=|>|<|:)/.exec(text.slice(i));
    if (op) {
      tokens.push({ kind: 'op', value: op[0], at: i });
      i += op[0].length;
      continue;
    }
    const word = /^[A-Za-z0-9_.\-+]+/.exec(text.slice(i));
    if (!word) throw new FilterError(`unexpected character '${c}' at column ${i + 1}`);
    tokens.push({ kind: 'word', value: word[0], at: i });
    i += word[0].length;
  }
  return tokens;
}

type Predicate = (e: Indexed) => boolean;

const severities = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
];
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    default:
      throw new FilterError(`operator ${op} is not supported here`);
  }
}

type Label = 'service_name' | 'function_name' | 'job_name';

const labelOwner: Record<Label, SimLogEntry['resourceType']> = {
  service_name: 'cloud_run_revision',
  function_name: 'cloud_function',
  job_name: 'cloud_run_job',
};

function labelOf(e: SimLogEntry, label: Label): string | undefined {
  return e.resourceType === labelOwner[label] ? e.source : undefined;
}

/** The insertId entryJson gives an entry: its time and its index in the state. */
const insertIdOf = (e: SimLogEntry, index: number) =>
  `${e.timestamp.getTime().toString(36)}${index.toString(36).padStart(4, '0')}`;

/** Entries with their index, so an insertId restriction can be checked. */
type Indexed = SimLogEntry & { index?: number };

function restriction(field: string, op: string, value: string, at: number): Predicate {
  const where = ` at column ${at + 1}`;
  switch (field) {
    case 'severity': {
      const rank = severities.indexOf(value.toUpperCase());
      if (rank < 0) throw new FilterError(`unknown severity ${value}${where}`);
      return (e) => compare(op, severities.indexOf(e.severity), rank);
    }
    case 'timestamp': {
      if (!rfc3339.test(value))
        throw new FilterError(`timestamp must be an RFC 3339 time, got ${value}${where}`);
      const t = Date.parse(value);
      return (e) => compare(op, e.timestamp.getTime(), t);
    }
    case 'resource.type':
    case 'resource.labels.service_name':
    case 'resource.labels.function_name':
    case 'resource.labels.job_name': {
      if (op !== '=' && op !== '!=')
        throw new FilterError(`operator ${op} is not supported on ${field}${where}`);
      const get =
        field === 'resource.type'
          ? (e: SimLogEntry) => e.resourceType
          : (e: SimLogEntry) => labelOf(e, field.slice('resource.labels.'.length) as Label);
      return op === '=' ? (e) => get(e) === value : (e) => get(e) !== value;
    }
    case 'insertId': {
      if (op !== '=') throw new FilterError(`operator ${op} is not supported on insertId${where}`);
      return (e: Indexed) => e.index !== undefined && insertIdOf(e, e.index) === value;
    }
    default:
      throw new FilterError(`field ${field} is not supported by the sandbox${where}`);
  }
}

/** Parse a Logging filter into a predicate; throws FilterError outside the supported subset. */
export function parseLogFilter(text: string): Predicate {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.value === w;

  const parseOr = (): Predicate => {
    const parts = [parseAnd()];
    while (isWord(peek(), 'OR')) {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : (e) => parts.some((p) => p(e));
  };
  const parseAnd = (): Predicate => {
    const parts = [parseUnary()];
    for (;;) {
      const t = peek();
      if (!t || t.kind === ')' || isWord(t, 'OR')) break;
      if (isWord(t, 'AND')) pos++;
      parts.push(parseUnary());
    }
    return parts.length === 1 ? parts[0]! : (e) => parts.every((p) => p(e));
  };
  const parseUnary = (): Predicate => {
    const t = tokens[pos++];
    if (!t) throw new FilterError('unexpected end of filter');
    if (t.kind === '(') {
      const inner = parseOr();
      if (tokens[pos++]?.kind !== ')') throw new FilterError(`missing ) for ( at column ${t.at + 1}`);
      return inner;
    }
    if (t.kind === 'str') {
      const needle = t.value.toLowerCase();
      return (e) => e.text.toLowerCase().includes(needle);
    }
    if (t.kind === 'word' && !['AND', 'OR', 'NOT'].includes(t.value)) {
      const op = tokens[pos++];
      const value = tokens[pos++];
      if (op?.kind !== 'op')
        throw new FilterError(`expected an operator after ${t.value} at column ${t.at + 1}`);
      if (value?.kind !== 'str' && value?.kind !== 'word') {
        throw new FilterError(`expected a value after ${t.value}${op.value} at column ${op.at + 1}`);
      }
      return restriction(t.value, op.value, value.value, t.at);
    }
    throw new FilterError(`unexpected ${t.kind === 'word' ? t.value : t.kind} at column ${t.at + 1}`);
  };

  if (tokens.length === 0) return () => true;
  const predicate = parseOr();
  const rest = peek();
  if (rest)
    throw new FilterError(
      `unexpected ${rest.kind === 'word' ? rest.value : rest.kind} at column ${rest.at + 1}`,
    );
  return predicate;
}

// ---------------------------------------------------------------------------------------------

/** The log and resource labels of each resource type, as Cloud Run, Functions and Jobs write them. */
function resourceOf(state: SandboxState, e: SimLogEntry) {
  const project_id = state.project;
  switch (e.resourceType) {
    case 'cloud_run_revision':
      return {
        log: 'run.googleapis.com%2Fstderr',
        labels: {
          project_id,
          service_name: e.source,
          revision_name: e.revision ?? '',
          location: state.region,
          configuration_name: e.source,
        },
      };
    case 'cloud_run_job':
      return {
        log: 'run.googleapis.com%2Fstdout',
        labels: { project_id, job_name: e.source, location: state.region },
      };
    default:
      return {
        log: 'cloudfunctions.googleapis.com%2Fcloud-functions',
        labels: { project_id, function_name: e.source, region: state.region },
      };
  }
}

function entryJson(state: SandboxState, e: SimLogEntry, index: number) {
  const time = e.timestamp.toISOString();
  const { log, labels } = resourceOf(state, e);
  return {
    logName: `projects/${state.project}/logs/${log}`,
    resource: { type: e.resourceType, labels },
    timestamp: time,
    receiveTimestamp: time,
    severity: e.severity,
    textPayload: e.text,
    insertId: insertIdOf(e, index),
  };
}

/**
 * A page token names the offset and the query it belongs to: Logging requires the other
 * parameters of a paged call to be those of the first one, and so does the sandbox, loudly.
 */
function queryHash(filter: string, order: string): string {
  let h = 2166136261;
  for (const c of `${filter}\u0000${order}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return (h >>> 0).toString(36);
}

const MAX_PAGE = 1000;

export const loggingRoutes: RouteModule = (ctx: SandboxContext) => [
  {
    api: 'logging',
    method: 'POST',
    pattern: /^\/v2\/entries:list$/,
    handle(req) {
      const state = ctx.state;
      const body = (req.body ?? {}) as {
        resourceNames?: unknown;
        filter?: unknown;
        orderBy?: unknown;
        pageSize?: unknown;
        pageToken?: unknown;
      };
      const names = Array.isArray(body.resourceNames) ? body.resourceNames.map(String) : [];
      const filter = typeof body.filter === 'string' ? body.filter : '';
      receivedLogQueries(state).push({
        resourceNames: names,
        filter,
        ...(typeof body.orderBy === 'string' ? { orderBy: body.orderBy } : {}),
        ...(body.pageSize !== undefined ? { pageSize: Number(body.pageSize) } : {}),
      });
      if (names.length === 0) return googleError(400, 'resourceNames is required');
      const bad = names.find(
        (n) => !/^(projects|organizations|folders|billingAccounts)\/[^/]+(\/.+)?$/.test(n),
      );
      if (bad) return googleError(400, `invalid resource name ${bad}`);
      const ours = names.some(
        (n) => n === `projects/${state.project}` || n.startsWith(`projects/${state.project}/`),
      );
      if (!ours) return googleError(403, `the caller does not have permission to read ${names.join(', ')}`);
      const order = typeof body.orderBy === 'string' ? body.orderBy.trim().toLowerCase() : 'timestamp asc';
      if (order !== 'timestamp asc' && order !== 'timestamp desc') {
        return googleError(
          400,
          `invalid orderBy ${String(body.orderBy)}: only "timestamp asc" or "timestamp desc"`,
        );
      }
      let predicate: Predicate;
      try {
        predicate = parseLogFilter(filter);
      } catch (error) {
        if (error instanceof FilterError) return googleError(400, `invalid filter: ${error.message}`);
        throw error;
      }
      // entries.list: "If the value is negative or exceeds 1000, the request is rejected."
      const asked = body.pageSize === undefined ? 50 : Number(body.pageSize);
      if (!Number.isInteger(asked) || asked < 0 || asked > MAX_PAGE)
        return googleError(400, `invalid pageSize ${String(body.pageSize)}: at most ${MAX_PAGE}`);
      const size = asked === 0 ? 50 : asked;
      const hash = queryHash(filter, order);
      const token = typeof body.pageToken === 'string' ? body.pageToken : '';
      const [offset, tokenHash] = token.split('~');
      const start = token === '' ? 0 : Number(offset);
      if (token !== '' && (!Number.isInteger(start) || start < 0 || tokenHash !== hash))
        return googleError(400, 'invalid page token: not one this query answered');
      const sign = order === 'timestamp desc' ? -1 : 1;
      const matching = state.logs
        .map((e, i) => ({ e, i }))
        .filter(({ e, i }) => predicate({ ...e, index: i }))
        .sort((a, b) => sign * (a.e.timestamp.getTime() - b.e.timestamp.getTime()) || a.i - b.i);
      const page = matching.slice(start, start + size);
      const end = start + page.length;
      return {
        body: {
          ...(page.length > 0 ? { entries: page.map(({ e, i }) => entryJson(state, e, i)) } : {}),
          ...(end < matching.length ? { nextPageToken: `${end}~${hash}` } : {}),
        },
      };
    },
  },
];
