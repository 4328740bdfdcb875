/** Helpers shared by the sandbox modules that speak Google REST APIs: paging, enums, errors. */
import { createHash } from 'node:crypto';
import {
  googleError,
  type Route,
  type SandboxContext,
  type SandboxReply,
  type SandboxRequest,
} from './server.js';
import type { ApiName } from './state.js';

/** The gax clients send `$alt=json;enum-encoding=int`, and the real APIs then answer enums as numbers. */
export function wantsIntEnums(req: SandboxRequest): boolean {
  return (req.query.get('$alt') ?? '').includes('enum-encoding=int');
}

/** Encode enum values for one request: names, or numbers when the client asked for them. */
export type EnumEncoder = <K extends string>(values: Readonly<Record<K, number>>, name: K) => string | number;

export function enumEncoder(req: SandboxRequest): EnumEncoder {
  const numbers = wantsIntEnums(req);
  return (values, name) => (numbers ? values[name] : name);
}

/** A Google error body with an explicit canonical status (googleError only knows one per HTTP code). */
export function googleStatus(code: number, status: string, message: string): SandboxReply {
  return { status: code, body: { error: { code, message, status } } };
}

/** 404 unless the path's project and location are the sandbox's own. */
export function checkLocation(
  ctx: SandboxContext,
  project: string,
  location: string,
): SandboxReply | undefined {
  if (project === ctx.state.project && location === ctx.state.region) return undefined;
  return googleError(404, `Location projects/${project}/locations/${location} not found or not accessible.`);
}

/** Decoded path segments of a route match (group 1 onwards). */
export function segments(match: RegExpExecArray): string[] {
  return match.slice(1).map((s) => decodeURIComponent(s ?? ''));
}

/**
 * One page of `items` for `pageSize`/`pageToken` (all of them when no page size is given).
 * The token is opaque to clients, as the real one is.
 */
export function paginate<T>(
  req: SandboxRequest,
  items: readonly T[],
): { ok: true; page: T[]; nextPageToken?: string } | { ok: false; reply: SandboxReply } {
  const size = Number(req.query.get('pageSize') ?? 0);
  if (!Number.isInteger(size) || size < 0)
    return { ok: false, reply: googleError(400, 'page_size must be >= 0') };
  let offset = 0;
  const token = req.query.get('pageToken');
  if (token) {
    const parsed = Number(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^offset:/, ''),
    );
    if (!Number.isInteger(parsed) || parsed < 0)
      return { ok: false, reply: googleError(400, 'invalid page_token') };
    offset = parsed;
  }
  const end = size > 0 ? offset + size : items.length;
  const page = items.slice(offset, end);
  if (end >= items.length) return { ok: true, page };
  return { ok: true, page, nextPageToken: Buffer.from(`offset:${end}`).toString('base64url') };
}

/** A stable fake uid or etag derived from `seed`. */
export function stableId(seed: string, length = 32): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** `8-4-4-4-12` like the uids Google APIs return. */
export function stableUid(seed: string): string {
  const h = stableId(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * `GET …/projects/P/locations/L/<collection>`: the collection's items sorted by name, paged,
 * under `field` (`services`, `functions`, `jobs`), as the List methods answer.
 */
export function listRoute<T extends { name: string }>(
  ctx: SandboxContext,
  spec: {
    api: ApiName;
    pattern: RegExp;
    field: string;
    items: () => Iterable<T>;
    toJson: (e: EnumEncoder, item: T) => unknown;
  },
): Route {
  return {
    api: spec.api,
    method: 'GET',
    pattern: spec.pattern,
    handle(req, match) {
      const [project = '', location = ''] = segments(match);
      const wrong = checkLocation(ctx, project, location);
      if (wrong) return wrong;
      const e = enumEncoder(req);
      const all = [...spec.items()].sort((a, b) => a.name.localeCompare(b.name));
      const page = paginate(req, all);
      if (!page.ok) return page.reply;
      return {
        body: {
          [spec.field]: page.page.map((item) => spec.toJson(e, item)),
          ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
        },
      };
    },
  };
}
