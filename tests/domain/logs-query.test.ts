/**
 * `/pipeline logs`: arguments parsed into typed values, components resolved from the
 * configuration only, the filter rendered with every string quoted, and what a button carries
 * checked again on click. Hostile text is run through the sandbox's strict filter parser: it may
 * only ever narrow the query it was typed into.
 */
import { describe, expect, it } from 'vitest';
import { parseLogFilter } from '../../devstack/src/sandbox/logging.js';
import type { SimLogEntry } from '../../devstack/src/sandbox/state.js';
import { loadPipeline } from '../../src/config.js';
import { parsePipelineCommand } from '../../src/domain/command-args.js';
import {
  encodeCursor,
  encodeEntryRef,
  LOGS_DEFAULT_LIMIT,
  LOGS_DEFAULT_MINUTES,
  type LogsQuery,
  logsFilter,
  parseCursor,
  parseEntryRef,
  parseLogsArgs,
  parseLogsButton,
  resolveLogSource,
} from '../../src/domain/logs-args.js';
import { explorerLink, quoted, renderFilter } from '../../src/domain/logs-query.js';

const config = loadPipeline('config/pipeline.example.yml');
const NOW = new Date('2026-01-21T15:00:00Z');
const PHASE3 = 'nba-phase3-analytics-processors';
const words = (text: string) => text.split(' ');

const args = (text: string) => {
  const r = parseLogsArgs(words(text));
  if (!r.ok) throw new Error(r.reason.message);
  return r.value;
};
const refusal = (text: string) => {
  const r = parseLogsArgs(words(text));
  return r.ok ? 'accepted' : r.reason.code;
};

describe('/pipeline logs arguments', () => {
  it('takes the component, the text and the flags, with the defaults for what is not given', () => {
    expect(args(PHASE3)).toEqual({
      component: PHASE3,
      sinceMinutes: LOGS_DEFAULT_MINUTES,
      limit: LOGS_DEFAULT_LIMIT,
    });
    expect(args(`${PHASE3} HealthChecker crash --since 90m --severity error --limit 5`)).toEqual({
      component: PHASE3,
      text: 'HealthChecker crash',
      sinceMinutes: 90,
      severity: 'ERROR',
      limit: 5,
    });
    // `--since=2h`, Slack's em dash for `--`, flags before the component, a quoted phrase.
    expect(args(`—since=2h --limit 50 ${PHASE3} “Processing complete”`)).toMatchObject({
      component: PHASE3,
      text: 'Processing complete',
      sinceMinutes: 120,
      limit: 50,
    });
    expect(args(`${PHASE3} --since 7d`).sinceMinutes).toBe(7 * 24 * 60);
  });

  it('refuses what is out of bounds or not understood, by name', () => {
    expect(refusal(`${PHASE3} --since 8d`)).toBe('bad_since');
    expect(refusal(`${PHASE3} --since 0m`)).toBe('bad_since');
    expect(refusal(`${PHASE3} --since yesterday`)).toBe('bad_since');
    expect(refusal(`${PHASE3} --limit 51`)).toBe('bad_limit');
    expect(refusal(`${PHASE3} --limit 0`)).toBe('bad_limit');
    expect(refusal(`${PHASE3} --limit -1`)).toBe('bad_limit');
    expect(refusal(`${PHASE3} --severity LOUD`)).toBe('bad_severity');
    expect(refusal(`${PHASE3} --freshness 1h`)).toBe('bad_flag');
    expect(refusal(`${PHASE3} --since 1h --since 2h`)).toBe('bad_flag');
    expect(refusal(`${PHASE3} --limit`)).toBe('bad_flag');
    expect(refusal('--since 1h')).toBe('missing_component');
    expect(refusal(`${PHASE3} ${'x'.repeat(301)}`)).toBe('too_long');
  });

  it('is reached through /pipeline, which refuses control characters before anything else', () => {
    const ok = parsePipelineCommand(`logs ${PHASE3} boom`, config.timeZone, NOW);
    expect(ok).toEqual({
      ok: true,
      value: { kind: 'logs', args: expect.objectContaining({ component: PHASE3, text: 'boom' }) },
    });
    const bad = parsePipelineCommand(`logs ${PHASE3} a\u0007b`, config.timeZone, NOW);
    expect(bad.ok ? 'accepted' : bad.reason.code).toBe('bad_chars');
  });
});

describe('components come from the configuration', () => {
  it('resolves a service, a function and a job by name, or as kind/name', () => {
    expect(resolveLogSource(config, PHASE3)).toEqual({ ok: true, value: { kind: 'service', name: PHASE3 } });
    expect(resolveLogSource(config, 'Phase3-To-Phase4-Orchestrator')).toEqual({
      ok: true,
      value: { kind: 'function', name: 'phase3-to-phase4-orchestrator' },
    });
    expect(resolveLogSource(config, 'job/nba-raw-backfill')).toEqual({
      ok: true,
      value: { kind: 'job', name: 'nba-raw-backfill' },
    });
  });

  it('answers anything else with the components that are configured', () => {
    const r = resolveLogSource(config, 'nba-phase9');
    expect(r.ok).toBe(false);
    const message = r.ok ? '' : r.reason.message;
    for (const name of [PHASE3, 'phase5-to-phase6-orchestrator', 'nba-raw-backfill']) {
      expect(message).toContain(`\`${name}\``);
    }
    // A scheduler job or a table is not something whose logs can be read here.
    expect(message).not.toContain('nba_predictions.player_prop_predictions');
    expect(resolveLogSource(config, `service/phase3-to-phase4-orchestrator`).ok).toBe(false);
  });

  it('asks which one when a service and a function share a name', () => {
    const shared = {
      components: [
        { kind: 'service', name: 'twin' },
        { kind: 'function', name: 'twin' },
      ],
    };
    const r = resolveLogSource(shared, 'twin');
    expect(r.ok ? 'accepted' : r.reason.code).toBe('ambiguous_component');
    expect(resolveLogSource(shared, 'function/twin')).toEqual({
      ok: true,
      value: { kind: 'function', name: 'twin' },
    });
  });
});

describe('the filter', () => {
  const since = new Date('2026-01-21T14:00:00Z');
  const query = (over: Partial<LogsQuery> = {}): LogsQuery => ({
    source: { kind: 'service', name: PHASE3 },
    since,
    limit: 20,
    ...over,
  });

  it('names the resource by its labels and quotes every value', () => {
    expect(renderFilter(logsFilter(query({ severity: 'ERROR', text: 'HealthChecker' })))).toBe(
      `(resource.type="cloud_run_revision" AND resource.labels.service_name="${PHASE3}") AND timestamp>="2026-01-21T14:00:00.000Z" AND severity>=ERROR AND "HealthChecker"`,
    );
    expect(renderFilter(logsFilter(query({ source: { kind: 'function', name: 'f1' } })))).toBe(
      '((resource.type="cloud_run_revision" AND resource.labels.service_name="f1") OR (resource.type="cloud_function" AND resource.labels.function_name="f1")) AND timestamp>="2026-01-21T14:00:00.000Z"',
    );
    expect(renderFilter(logsFilter(query({ source: { kind: 'job', name: 'j1' } })))).toBe(
      '(resource.type="cloud_run_job" AND resource.labels.job_name="j1") AND timestamp>="2026-01-21T14:00:00.000Z"',
    );
  });

  it('escapes quotes and backslashes, and turns control characters into spaces', () => {
    expect(quoted('a"b\\c\nd\u2028e')).toBe('"a\\"b\\\\c d e"');
  });

  const sources = [PHASE3, 'nba-phase4-precompute-processors'];
  const severities = ['DEFAULT', 'INFO', 'ERROR', 'CRITICAL'] as const;
  const attacks = [
    '"',
    '\\',
    '\\"',
    'x" OR "',
    `x") OR (resource.labels.service_name="nba-phase4-precompute-processors`,
    'OR',
    'a OR severity>=DEFAULT',
    'severity>=DEFAULT',
    '") OR severity>=DEFAULT OR ("',
    '\\") OR severity>=DEFAULT OR (\\"',
    'line one\nOR severity>=DEFAULT',
    '*',
    'NOT',
  ];
  // Entries of both services, every severity, each text holding an attack or not.
  const entries: SimLogEntry[] = sources.flatMap((source) =>
    severities.flatMap((severity) =>
      ['plain text', ...attacks.map((a) => `before ${a} after`)].map((text) => ({
        timestamp: new Date('2026-01-21T14:30:00Z'),
        severity,
        resourceType: 'cloud_run_revision' as const,
        source,
        text,
      })),
    ),
  );

  it.each(attacks)(
    'text %j never widens the query: it only matches entries holding it, of the component',
    (attack) => {
      const base = parseLogFilter(renderFilter(logsFilter(query({ severity: 'ERROR' }))));
      const filter = renderFilter(logsFilter(query({ severity: 'ERROR', text: attack })));
      const matches = entries.filter(parseLogFilter(filter));
      const allowed = entries.filter(base);
      expect(matches.every((e) => allowed.includes(e))).toBe(true);
      const oneLine = attack.replace(/\n/g, ' ');
      expect(matches.every((e) => e.text.toLowerCase().includes(oneLine.toLowerCase()))).toBe(true);
      expect(matches.every((e) => e.source === PHASE3 && ['ERROR', 'CRITICAL'].includes(e.severity))).toBe(
        true,
      );
      // And it does find the entries that hold the text (the attack is searched for, not dropped).
      if (!attack.includes('\n')) expect(matches.length).toBeGreaterThan(0);
    },
  );

  it('opens the same query in the Logs Explorer, over the same time range', () => {
    const f = logsFilter(query({ text: 'a"b' }));
    const url = explorerLink({ project: 'p-1', region: 'r' }, f, { since, until: NOW });
    expect(url.startsWith('https://console.cloud.google.com/logs/query;query=')).toBe(true);
    expect(decodeURIComponent(url.split(';query=')[1]!.split(';timeRange=')[0]!)).toBe(renderFilter(f));
    expect(url).toContain(
      `;timeRange=${encodeURIComponent('2026-01-21T14:00:00.000Z/2026-01-21T15:00:00.000Z')}`,
    );
    expect(url.endsWith('?project=p-1')).toBe(true);
    expect(url).not.toMatch(/[\s<>|]/);
  });
});

describe('what buttons carry is checked again', () => {
  const q: LogsQuery & { pageToken: string } = {
    source: { kind: 'service', name: PHASE3 },
    text: 'HealthChecker',
    since: new Date(NOW.getTime() - 3600_000),
    severity: 'ERROR',
    limit: 5,
    pageToken: '20~abc',
  };

  it('a More button round-trips to the same query, component resolved again', () => {
    const value = encodeCursor(q, 2000)!;
    expect(value.length).toBeLessThanOrEqual(2000);
    expect(parseCursor(value, config, NOW)).toEqual({ ok: true, value: q });
    expect(encodeCursor({ ...q, pageToken: 'x'.repeat(2000) }, 2000)).toBeUndefined();
  });

  it('refuses a tampered or stale More button', () => {
    const good = JSON.parse(encodeCursor(q, 2000)!) as Record<string, unknown>;
    const code = (value: string) => {
      const r = parseCursor(value, config, NOW);
      return r.ok ? 'accepted' : r.reason.code;
    };
    expect(code(JSON.stringify({ ...good, c: 'service/not-configured' }))).toBe('unknown_component');
    expect(code(JSON.stringify({ ...good, q: 'a\nb' }))).toBe('bad_cursor');
    expect(code(JSON.stringify({ ...good, q: 'x'.repeat(301) }))).toBe('bad_cursor');
    expect(code(JSON.stringify({ ...good, q: { or: 'severity>=DEFAULT' } }))).toBe('bad_cursor');
    expect(code(JSON.stringify({ ...good, v: 'ALL' }))).toBe('bad_cursor');
    expect(code(JSON.stringify({ ...good, l: 500 }))).toBe('bad_cursor');
    expect(code(JSON.stringify({ ...good, p: 'a" OR "b' }))).toBe('bad_cursor');
    expect(code(JSON.stringify({ ...good, s: 'yesterday' }))).toBe('bad_cursor');
    expect(code(JSON.stringify({ ...good, s: new Date(NOW.getTime() - 8 * 86_400_000).toISOString() }))).toBe(
      'stale_cursor',
    );
    expect(code('not json')).toBe('bad_cursor');
    expect(code('null')).toBe('bad_cursor');
  });

  it('a Logs button starts 5 minutes before its time, never more than 7 days back', () => {
    const at = new Date(NOW.getTime() - 3600_000).toISOString();
    const from = (value: string) => {
      const r = parseLogsButton(value, config, NOW);
      if (!r.ok) throw new Error(r.reason.message);
      return r.value.since.getTime();
    };
    expect(from(JSON.stringify({ c: `service/${PHASE3}`, s: at }))).toBe(Date.parse(at) - 300_000);
    expect(from(JSON.stringify({ c: PHASE3 }))).toBe(NOW.getTime() - LOGS_DEFAULT_MINUTES * 60_000);
    expect(from(JSON.stringify({ c: PHASE3, s: '2020-01-01T00:00:00Z' }))).toBe(
      NOW.getTime() - 7 * 86_400_000,
    );
    expect(parseLogsButton(JSON.stringify({ c: 'nba-phase9' }), config, NOW).ok).toBe(false);
  });

  it('an entry reference fits an option value and comes back as the same entry', () => {
    const entry = { insertId: 'mkn3x0a0012', timestamp: '2026-01-21T14:58:03.250Z' };
    const value = encodeEntryRef(entry, 75)!;
    expect(value.length).toBeLessThanOrEqual(75);
    expect(parseEntryRef(value)).toEqual({
      ok: true,
      value: { insertId: entry.insertId, at: new Date('2026-01-21T14:58:03Z') },
    });
    expect(encodeEntryRef({ ...entry, insertId: 'a"b' }, 75)).toBeUndefined();
    expect(parseEntryRef('zz.a" OR "b').ok).toBe(false);
    expect(parseEntryRef('nonsense').ok).toBe(false);
  });
});
