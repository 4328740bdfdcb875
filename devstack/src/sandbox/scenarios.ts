/**
 * Scenarios for the sandbox, built from the pipeline configuration so any pipeline gets a
 * `healthy` one. `jan20` then applies the seed report's incidents to the resources that
 * exist under their seed names (2026-01-20: 4 of 7 games, 26 players with predictions,
 * phase 3/4 HealthChecker crash loops, phase5-to-phase6 missing its `shared` module,
 * stuck run_history entries).
 */
import { componentsOf, type PipelineConfig } from '../../../src/config.js';
import { addDays, todayIn } from '../../../src/domain/dates.js';
import { isMarkerOf, phaseMarkers } from './markers.js';
import type {
  SandboxState,
  SimCondition,
  SimExecution,
  SimFunction,
  SimLogEntry,
  SimRevision,
  SimRunJob,
  SimService,
  SimStage,
  SimTable,
} from './state.js';

export const scenarioNames = ['jan20', 'healthy', 'breakdown', 'incident'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** The date the seed report is about. */
export const SEED_DATE = '2026-01-20';

const MIN = 60_000;
const HOUR = 60 * MIN;

const succeeded: SimCondition = { state: 'CONDITION_SUCCEEDED' };

/** A deterministic pseudo-random suffix like Cloud Run's `-mkg`. */
function suffix(seed: string): string {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let out = '';
  for (let i = 0; i < 3; i++) {
    out += letters[Math.abs(h >> (i * 5)) % 26];
  }
  return out;
}

function revisionName(service: string, n: number, tag?: string): string {
  return `${service}-${String(n).padStart(5, '0')}-${tag ?? suffix(`${service}${n}`)}`;
}

function healthyService(name: string, now: Date, n = 12): SimService {
  const revisions: SimRevision[] = [
    {
      name: revisionName(name, n - 1),
      createTime: new Date(now.getTime() - 30 * 24 * HOUR),
      ready: succeeded,
    },
    { name: revisionName(name, n), createTime: new Date(now.getTime() - 3 * 24 * HOUR), ready: succeeded },
  ];
  const latest = revisions[1]!.name;
  return {
    name,
    revisions,
    latestCreatedRevision: latest,
    latestReadyRevision: latest,
    traffic: [{ latest: true, percent: 100 }],
    terminalCondition: succeeded,
    updateTime: revisions[1]!.createTime,
    uri: '',
  };
}

/** Games on a date: `n` games with ids like `20260120_BOS_LAL`. */
const teams = [
  'BOS',
  'LAL',
  'MIA',
  'DEN',
  'PHX',
  'GSW',
  'NYK',
  'CHI',
  'DAL',
  'MIL',
  'OKC',
  'SAC',
  'ATL',
  'MEM',
];

function gamesOn(
  date: string,
  n: number,
): { game_id: string; game_date: string; home: string; away: string }[] {
  const compact = date.replaceAll('-', '');
  return Array.from({ length: n }, (_, i) => ({
    game_id: `${compact}_${teams[(2 * i) % teams.length]}_${teams[(2 * i + 1) % teams.length]}`,
    game_date: date,
    away: teams[(2 * i) % teams.length]!,
    home: teams[(2 * i + 1) % teams.length]!,
  }));
}

/** Players expected per game (two rosters). */
export const PLAYERS_PER_GAME = 32;

function playersOf(gameId: string): string[] {
  return Array.from({ length: PLAYERS_PER_GAME }, (_, i) => `${gameId.slice(9).toLowerCase()}_p${i + 1}`);
}

function table(name: string, columns: SimTable['columns']): SimTable {
  return { name, columns, rows: [] };
}

/** The data tables of the example pipeline's checks, filled for `games` games on `date`. */
function seedTables(): Map<string, SimTable> {
  const list = [
    table('nba_raw.nbac_schedule', [
      { name: 'game_id', type: 'STRING' },
      { name: 'game_date', type: 'DATE' },
      { name: 'home_team', type: 'STRING' },
      { name: 'away_team', type: 'STRING' },
    ]),
    table('nba_raw.bdl_player_boxscores', [
      { name: 'game_id', type: 'STRING' },
      { name: 'game_date', type: 'DATE' },
      { name: 'player_lookup', type: 'STRING' },
      { name: 'points', type: 'INT64' },
    ]),
    table('nba_analytics.player_game_summary', [
      { name: 'game_id', type: 'STRING' },
      { name: 'game_date', type: 'DATE' },
      { name: 'player_lookup', type: 'STRING' },
    ]),
    table('nba_analytics.upcoming_player_game_context', [
      { name: 'game_id', type: 'STRING' },
      { name: 'game_date', type: 'DATE' },
      { name: 'player_lookup', type: 'STRING' },
    ]),
    table('nba_precompute.ml_feature_store', [
      { name: 'game_date', type: 'DATE' },
      { name: 'player_lookup', type: 'STRING' },
    ]),
    table('nba_predictions.player_prop_predictions', [
      { name: 'game_date', type: 'DATE' },
      { name: 'player_lookup', type: 'STRING' },
      { name: 'prop_type', type: 'STRING' },
      { name: 'predicted_value', type: 'FLOAT64' },
    ]),
  ];
  return new Map(list.map((t) => [t.name, t]));
}

function push(tables: Map<string, SimTable>, name: string, rows: SimTable['rows']): void {
  const t = tables.get(name);
  if (t) t.rows.push(...rows);
}

/** Which phase's output a table holds: the processors fill these when triggered. */
export const tablesByPhase: Record<string, string[]> = {
  phase2: ['nba_raw.bdl_player_boxscores'],
  phase3: ['nba_analytics.player_game_summary'],
  phase4: ['nba_precompute.ml_feature_store'],
  phase5: ['nba_predictions.player_prop_predictions'],
};

/**
 * Fill `phase`'s output table for `date` completely, from the schedule and rosters:
 * what a processor run does. Returns the rows added.
 */
export function completePhaseData(
  state: SandboxState,
  phase: string,
  date: string,
  at: Date = new Date(),
): number {
  const schedule = state.tables.get('nba_raw.nbac_schedule')?.rows.filter((r) => r.game_date === date) ?? [];
  let added = 0;
  for (const name of tablesByPhase[phase] ?? []) {
    const t = state.tables.get(name);
    if (!t) continue;
    const have = new Set(
      t.rows.filter((r) => r.game_date === date).map((r) => `${r.game_id ?? ''}|${r.player_lookup}`),
    );
    for (const game of schedule) {
      const gameId = String(game.game_id);
      for (const player of playersOf(gameId)) {
        const row = rowFor(name, gameId, date, player);
        const key = `${row.game_id ?? ''}|${player}`;
        if (have.has(key)) continue;
        have.add(key);
        t.rows.push(row);
        t.lastModified = at;
        added++;
      }
    }
  }
  return added;
}

function rowFor(table: string, gameId: string, date: string, player: string): SimTable['rows'][number] {
  switch (table) {
    case 'nba_raw.bdl_player_boxscores':
      return { game_id: gameId, game_date: date, player_lookup: player, points: player.length % 30 };
    case 'nba_analytics.player_game_summary':
    case 'nba_analytics.upcoming_player_game_context':
      return { game_id: gameId, game_date: date, player_lookup: player };
    case 'nba_precompute.ml_feature_store':
      return { game_date: date, player_lookup: player };
    default:
      return { game_date: date, player_lookup: player, prop_type: 'points', predicted_value: 12.5 };
  }
}

function fillDate(state: SandboxState, date: string, games: number): void {
  const schedule = gamesOn(date, games);
  push(
    state.tables,
    'nba_raw.nbac_schedule',
    schedule.map((g) => ({ game_id: g.game_id, game_date: date, home_team: g.home, away_team: g.away })),
  );
  push(
    state.tables,
    'nba_analytics.upcoming_player_game_context',
    schedule.flatMap((g) =>
      playersOf(g.game_id).map((p) => ({ game_id: g.game_id, game_date: date, player_lookup: p })),
    ),
  );
}

/** The most recent moment `hh:mm` in `timeZone` at or before `now` (for the scheduler's last run). */
function lastDailyRun(now: Date, hour: number, minute: number, timeZone: string): Date {
  for (let back = 0; back < 2; back++) {
    const day = new Date(now.getTime() - back * 24 * HOUR);
    const ymd = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(day);
    // Find the UTC instant whose local time is ymd hour:minute (try offsets -14h..+14h).
    for (let off = -14; off <= 14; off++) {
      const guess = new Date(
        `${ymd}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00Z`,
      );
      const t = new Date(guess.getTime() - off * HOUR);
      const local = new Intl.DateTimeFormat('en-GB', {
        timeZone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(t);
      if (local === `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}` && t <= now)
        return t;
    }
  }
  return new Date(now.getTime() - 24 * HOUR);
}

/** Default time a sandbox job task takes per date it processes. */
export const DEFAULT_TASK_MS = 300;

/**
 * The Cloud Run Jobs of the backfill targets of type job, each with three past succeeded
 * executions (3, 2 and 4 dates, about 90 s a date), so a plan can estimate its duration.
 */
function backfillJobs(config: PipelineConfig, now: Date): Map<string, SimRunJob> {
  const jobs = new Map<string, SimRunJob>();
  for (const target of config.backfill.targets) {
    if (target.run.type !== 'job' || jobs.has(target.run.job)) continue;
    const name = target.run.job;
    const args = target.run.args.filter((a) => !a.includes('{date}') && !a.includes('{dates}'));
    const past: [number, string[], number][] = [
      // days ago, dates, seconds taken
      [9, ['2026-01-05', '2026-01-06', '2026-01-07'], 272],
      [6, ['2026-01-10', '2026-01-11'], 178],
      [2, ['2026-01-14', '2026-01-15', '2026-01-16', '2026-01-17'], 365],
    ];
    const executions = past.map(([daysAgo, dates, seconds]): SimExecution => {
      const createTime = new Date(now.getTime() - daysAgo * 24 * HOUR);
      const startTime = new Date(createTime.getTime() + 4000);
      const completionTime = new Date(startTime.getTime() + seconds * 1000);
      const per = (seconds * 1000) / dates.length;
      return {
        name: `${name}-${suffix(`${name}${daysAgo}`)}${String(daysAgo).padStart(2, '0')}`,
        job: name,
        createTime,
        startTime,
        completionTime,
        args: target.run.type === 'job' ? fillDates(target.run.args, dates) : [],
        parallelism: 1,
        tasks: dates.map((d, i) => ({
          index: i,
          dates: [d],
          state: 'succeeded',
          startTime: new Date(startTime.getTime() + i * per),
          completionTime: new Date(startTime.getTime() + (i + 1) * per),
        })),
        stalled: false,
        cancelled: false,
      };
    });
    jobs.set(name, {
      name,
      args,
      createTime: new Date(now.getTime() - 60 * 24 * HOUR),
      parallelism: 1,
      taskCount: 1,
      taskMs: DEFAULT_TASK_MS,
      executions,
      stallNextExecution: false,
      failDates: [],
    });
  }
  return jobs;
}

function fillDates(args: string[], dates: string[]): string[] {
  return args.map((a) => a.replaceAll('{dates}', dates.join(',')).replaceAll('{date}', dates[0] ?? ''));
}

/** Every configured resource present and well, the seed date's data complete. */
export function buildHealthy(config: PipelineConfig, now: Date): SandboxState {
  const state: SandboxState = {
    project: config.project,
    region: config.region,
    scenario: 'healthy',
    services: new Map(),
    functions: new Map(),
    schedulerJobs: new Map(),
    logs: [],
    requestCounts: [],
    deadLetters: new Map(config.deadLetterSubscriptions.map((s) => [s, 0])),
    tables: seedTables(),
    runHistory: [],
    processorCalls: [],
    runJobs: backfillJobs(config, now),
  };
  for (const { name } of componentsOf(config, 'service')) {
    state.services.set(name, healthyService(name, now));
    state.requestCounts.push(
      { service: name, responseCodeClass: '2xx', count: 480, at: now },
      { service: name, responseCodeClass: '5xx', count: 0, at: now },
    );
  }
  for (const [i, f] of componentsOf(config, 'function').entries()) {
    const fn: SimFunction = {
      name: f.name,
      state: 'ACTIVE',
      revision: `${f.name}-${String(5 + i).padStart(5, '0')}-${suffix(f.name)}`,
      topic: f.trigger.type === 'pubsub' ? f.trigger.topic : '',
      ...(f.trigger.type === 'eventarc' ? { eventType: f.trigger.eventType } : {}),
      updateTime: new Date(now.getTime() - 5 * 24 * HOUR),
      stateMessages: [],
    };
    state.functions.set(f.name, fn);
  }
  for (const job of componentsOf(config, 'schedulerJob')) {
    const schedule = job.schedule ?? '0 6 * * *';
    const timeZone = job.timeZone ?? config.timeZone;
    const [minute, hour] = schedule.split(' ').map(Number);
    const last = lastDailyRun(now, hour ?? 6, minute ?? 0, timeZone);
    state.schedulerJobs.set(job.name, {
      name: job.name,
      state: 'ENABLED',
      schedule,
      timeZone,
      lastAttemptTime: last,
      status: { code: 0, message: '' },
      nextRunTime: new Date(last.getTime() + 24 * HOUR),
      target: job.selfHeal?.function ?? job.name,
    });
  }
  for (const job of componentsOf(config, 'job')) {
    if (!state.runJobs.has(job.name)) state.runJobs.set(job.name, watchedJob(job.name, now));
  }
  fillDate(state, SEED_DATE, 7);
  for (const phase of Object.keys(tablesByPhase)) completePhaseData(state, phase, SEED_DATE);
  // Written by this morning's runs: fresh for any freshness rule of an hour or more.
  for (const t of state.tables.values()) t.lastModified = new Date(now.getTime() - 40 * MIN);
  const rh = config.runHistory.fields;
  for (const [i, phase] of config.phases.entries()) {
    const started = new Date(now.getTime() - (10 - i) * HOUR);
    const finished = new Date(started.getTime() + 40 * MIN);
    state.runHistory.push({
      id: `${phase.id}_${SEED_DATE}_ok`,
      data: {
        [rh.processor]: processorName(phase.id),
        [rh.date]: SEED_DATE,
        [rh.status]: 'success',
        [rh.startedAt]: started,
        ...(rh.finishedAt ? { [rh.finishedAt]: finished } : {}),
      },
    });
    // What /pipeline trace follows: the completion line and the orchestrator's hand-off.
    state.logs.push(...phaseMarkers(state, config, phase.id, SEED_DATE, finished));
  }
  return state;
}

/** A job the pipeline runs on its own (not a backfill target): one succeeded execution yesterday. */
function watchedJob(name: string, now: Date): SimRunJob {
  const createTime = new Date(now.getTime() - 20 * HOUR);
  const completionTime = new Date(createTime.getTime() + 5 * MIN);
  return {
    name,
    args: [],
    createTime: new Date(now.getTime() - 60 * 24 * HOUR),
    parallelism: 1,
    taskCount: 1,
    taskMs: DEFAULT_TASK_MS,
    executions: [
      {
        name: `${name}-${suffix(name)}01`,
        job: name,
        createTime,
        startTime: createTime,
        completionTime,
        args: [],
        parallelism: 1,
        tasks: [{ index: 0, dates: [], state: 'succeeded', startTime: createTime, completionTime }],
        stalled: false,
        cancelled: false,
      },
    ],
    stallNextExecution: false,
    failDates: [],
  };
}

/** Processor names written into run_history (chosen: the seed names none). */
export function processorName(phaseId: string): string {
  return (
    {
      phase2: 'BdlBoxscoresProcessor',
      phase3: 'PlayerGameSummaryProcessor',
      phase4: 'MLFeatureStoreProcessor',
      phase5: 'PredictionCoordinator',
    }[phaseId] ?? `${phaseId}-processor`
  );
}

function crashLoop(
  state: SandboxState,
  serviceName: string,
  now: Date,
  opts: { good: number; bad: number; badReady: boolean; message: string },
): void {
  const svc = state.services.get(serviceName);
  if (!svc) return;
  const good: SimRevision = {
    name: revisionName(serviceName, opts.good),
    createTime: new Date(now.getTime() - 6 * 24 * HOUR),
    ready: succeeded,
  };
  const badCreated = new Date(now.getTime() - 3 * HOUR);
  const bad: SimRevision = {
    name: revisionName(serviceName, opts.bad),
    createTime: badCreated,
    ready: opts.badReady
      ? succeeded
      : {
          state: 'CONDITION_FAILED',
          reason: 'ContainerFailedToStart',
          message: `The user-provided container failed to start and listen on the port. ${opts.message}`,
        },
  };
  svc.revisions = [good, bad];
  svc.latestCreatedRevision = bad.name;
  svc.updateTime = badCreated;
  if (opts.badReady) {
    svc.latestReadyRevision = bad.name;
    svc.traffic = [{ latest: true, percent: 100 }];
  } else {
    svc.latestReadyRevision = good.name;
    svc.traffic = [{ latest: false, revision: good.name, percent: 100 }];
    svc.terminalCondition = {
      state: 'CONDITION_FAILED',
      reason: 'RevisionFailed',
      message: `Revision '${bad.name}' is not ready and cannot serve traffic. ${opts.message}`,
    };
  }
  for (let i = 0; i < 12; i++) {
    state.logs.push({
      timestamp: new Date(now.getTime() - (2 + i * 2) * MIN),
      severity: 'ERROR',
      resourceType: 'cloud_run_revision',
      source: serviceName,
      revision: bad.name,
      text: opts.message,
    });
  }
  const counts = state.requestCounts.filter((c) => c.service === serviceName);
  for (const c of counts) {
    if (c.responseCodeClass === '5xx') c.count = 190;
    if (c.responseCodeClass === '2xx') c.count = 290;
  }
}

/** The state of the pipeline on the morning of 2026-01-21, before the fixes. */
export function buildJan20(config: PipelineConfig, now: Date): SandboxState {
  const state = buildHealthy(config, now);
  state.scenario = 'jan20';
  const healthChecker = "TypeError: HealthChecker.__init__() got an unexpected keyword argument 'project_id'";
  crashLoop(state, 'nba-phase3-analytics-processors', now, {
    good: 91,
    bad: 92,
    badReady: true,
    message: healthChecker,
  });
  crashLoop(state, 'nba-phase4-precompute-processors', now, {
    good: 48,
    bad: 49,
    badReady: false,
    message: healthChecker,
  });
  // Revisions the seed report names.
  const p2 = state.services.get('nba-phase2-raw-processors');
  if (p2) {
    const latest = p2.revisions.at(-1)!;
    latest.name = revisionName(p2.name, 105, '4g2');
    p2.latestCreatedRevision = latest.name;
    p2.latestReadyRevision = latest.name;
  }
  const seedRevisions: Record<string, string> = {
    'phase2-to-phase3-orchestrator': '00011-jax',
    'phase3-to-phase4-orchestrator': '00008-yuq',
    'phase4-to-phase5-orchestrator': '00015-rej',
    'self-heal-predictions': '00012-nef',
  };
  for (const [name, rev] of Object.entries(seedRevisions)) {
    const fn = state.functions.get(name);
    if (fn) fn.revision = `${name}-${rev}`;
  }
  const p6 = state.functions.get('phase5-to-phase6-orchestrator');
  if (p6) {
    p6.state = 'DEPLOYING';
    p6.revision = 'phase5-to-phase6-orchestrator-00003-wuv';
    p6.updateTime = new Date(now.getTime() - 40 * MIN);
    p6.stateMessages = [
      {
        severity: 'ERROR',
        type: 'BuildFailed',
        message: "Function failed on loading user code. ModuleNotFoundError: No module named 'shared'",
      },
    ];
    for (let i = 0; i < 4; i++) {
      state.logs.push({
        timestamp: new Date(now.getTime() - (5 + i * 6) * MIN),
        severity: 'ERROR',
        resourceType: 'cloud_function',
        source: p6.name,
        revision: p6.revision,
        // As Cloud Functions logs it: the whole traceback in one entry, the exception line last.
        text: [
          'Traceback (most recent call last):',
          '  File "/workspace/main.py", line 4, in <module>',
          '    from shared.utils.phase_execution_logger import log_phase_execution',
          "ModuleNotFoundError: No module named 'shared'",
        ].join('\n'),
      });
    }
  }
  // Only 4 of 7 games reached BigQuery; analytics for those 4; the feature store and
  // predictions partial (the circuit breaker tripped on missing upstream data).
  for (const name of tablesByPhase.phase2!.concat(tablesByPhase.phase3!)) {
    const t = state.tables.get(name)!;
    const keep = new Set(
      state.tables
        .get('nba_raw.nbac_schedule')!
        .rows.filter((r) => r.game_date === SEED_DATE)
        .slice(0, 4)
        .map((r) => r.game_id),
    );
    t.rows = t.rows.filter((r) => r.game_date !== SEED_DATE || keep.has(r.game_id ?? null));
  }
  const features = state.tables.get('nba_precompute.ml_feature_store')!;
  let kept = 0;
  features.rows = features.rows.filter((r) => r.game_date !== SEED_DATE || kept++ < 128);
  const predictions = state.tables.get('nba_predictions.player_prop_predictions')!;
  kept = 0;
  predictions.rows = predictions.rows.filter((r) => r.game_date !== SEED_DATE || kept++ < 26);

  const rh = config.runHistory.fields;
  state.runHistory = state.runHistory.filter(
    (d) => !['phase3', 'phase4', 'phase5'].some((p) => d.id.startsWith(p)),
  );
  // Phase 2 finished and handed off; phases 3 to 5 never finished the date.
  state.logs = state.logs.filter((l) => !isMarkerOf(config, ['phase3', 'phase4', 'phase5'], SEED_DATE, l));
  const stuck: [string, number][] = [
    ['phase3', 3 * HOUR],
    ['phase4', 2.5 * HOUR],
    ['phase5', 26 * HOUR],
  ];
  for (const [phase, age] of stuck) {
    state.runHistory.push({
      id: `${phase}_${SEED_DATE}_stuck`,
      data: {
        [rh.processor]: processorName(phase),
        [rh.date]: SEED_DATE,
        [rh.status]: config.runHistory.runningStatus,
        [rh.startedAt]: new Date(now.getTime() - age),
        attempt: 1,
        trigger: 'orchestrator',
      },
    });
  }
  state.deadLetters.set(config.deadLetterSubscriptions[0] ?? 'dlq', 3);
  // The days before, for backfills: the 18th complete, the 19th's box scores never loaded.
  fillDate(state, '2026-01-18', 5);
  for (const phase of Object.keys(tablesByPhase)) completePhaseData(state, phase, '2026-01-18');
  fillDate(state, '2026-01-19', 6);
  return state;
}

/**
 * Data complete and nothing stuck, but a fault of each kind the component model reads: the
 * first Cloud Run Job's latest execution failed, the first phase's run of the date FAILED with
 * its error, the first table stopped being written, a scheduler job other than self-heal failed
 * its last attempt, an HTTP function answers 5xx, a service outside the phases runs out of
 * memory, the last dead-letter backlog grows (the first keeps jan20's constant one at 0).
 */
export function buildBreakdown(config: PipelineConfig, now: Date): SandboxState {
  const state = buildHealthy(config, now);
  state.scenario = 'breakdown';
  const [job] = componentsOf(config, 'job');
  const sim = job && state.runJobs.get(job.name);
  if (sim) sim.executions.push(failedExecution(sim.name, now));
  const rh = config.runHistory;
  const [phase] = config.phases;
  if (phase) {
    state.runHistory.push({
      id: `${phase.id}_${SEED_DATE}_failed`,
      data: {
        [rh.fields.processor]: processorName(phase.id),
        [rh.fields.date]: SEED_DATE,
        [rh.fields.status]: rh.failedStatus,
        [rh.fields.startedAt]: new Date(now.getTime() - 30 * MIN),
        ...(rh.fields.error
          ? {
              [rh.fields.error]:
                'google.api_core.exceptions.Forbidden: 403 Access Denied: Table nba_raw.bdl_player_boxscores',
            }
          : {}),
      },
    });
  }
  const [table] = componentsOf(config, 'table');
  const stale = table && state.tables.get(table.name);
  if (stale) stale.lastModified = new Date(now.getTime() - (table.maxAgeMinutes + 6 * 60) * MIN);
  const scheduled = componentsOf(config, 'schedulerJob');
  // Not the self-heal job: any scheduler job is read, not only that one.
  const failing = scheduled.find((j) => !j.selfHeal) ?? scheduled[0];
  const sched = failing && state.schedulerJobs.get(failing.name);
  // google.rpc.Status of an HTTP target that answered 500 (Cloud Scheduler: Job.status).
  if (sched)
    sched.status = { code: 13, message: 'URL_ERROR-ERROR_OTHER. Original HTTP response code number = 500' };
  const fn = componentsOf(config, 'function').find((f) => f.trigger.type === 'http');
  if (fn) {
    state.requestCounts.push(
      { service: fn.name, responseCodeClass: '2xx', count: 70, at: now },
      { service: fn.name, responseCodeClass: '5xx', count: 30, at: now },
    );
  }
  const outside = new Set(config.phases.map((p) => p.service));
  const svc = componentsOf(config, 'service').find((c) => !outside.has(c.name));
  const revision = svc && state.services.get(svc.name)?.latestReadyRevision;
  if (svc && revision) {
    for (let i = 0; i < 5; i++) {
      state.logs.push({
        timestamp: new Date(now.getTime() - (3 + i * 4) * MIN),
        severity: 'ERROR',
        resourceType: 'cloud_run_revision',
        source: svc.name,
        revision,
        // As Cloud Run logs an instance killed for memory (cloud.google.com/run/docs/troubleshooting).
        text: 'Memory limit of 512 MiB exceeded with 531 MiB used. Consider increasing the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits',
      });
    }
  }
  const dlq = config.deadLetterSubscriptions.at(-1);
  if (dlq) {
    state.deadLetters.set(dlq, 48);
    state.deadLetterGrowth = new Map([[dlq, 1.5]]);
  }
  return state;
}

/** An execution that ended 2 h ago with 2 of its 3 tasks failed. */
function failedExecution(job: string, now: Date): SimExecution {
  const createTime = new Date(now.getTime() - 3 * HOUR);
  const completionTime = new Date(now.getTime() - 2 * HOUR);
  const dates = ['2026-01-19', '2026-01-20', '2026-01-21'];
  return {
    name: `${job}-${suffix(`${job}failed`)}99`,
    job,
    createTime,
    startTime: createTime,
    completionTime,
    args: [],
    parallelism: 1,
    tasks: dates.map((d, i) => ({
      index: i,
      dates: [d],
      state: i === 0 ? 'succeeded' : 'failed',
      startTime: createTime,
      completionTime,
    })),
    stalled: false,
    cancelled: false,
  };
}

/** When the `incident` timeline's stages begin by themselves (`SANDBOX_TIMELINE=auto`, the demo's default). */
export const INCIDENT_FAULT_AFTER_MS = 20_000;
export const INCIDENT_RECOVERY_AFTER_MS = 5 * 60_000;

/** Games on the incident's date, and how many of them the fault loses. */
const INCIDENT_GAMES = 7;
const INCIDENT_LOST = 3;

/** Rows a complete `date` would have in the phases' output tables and does not. */
export function missingPhaseRows(state: SandboxState, date: string): number {
  const games =
    state.tables.get('nba_raw.nbac_schedule')?.rows.filter((r) => r.game_date === date).length ?? 0;
  let missing = 0;
  for (const name of Object.values(tablesByPhase).flat()) {
    const t = state.tables.get(name);
    if (!t) continue;
    const have = t.rows.filter((r) => r.game_date === date).length;
    missing += Math.max(0, games * PLAYERS_PER_GAME - have);
  }
  return missing;
}

/**
 * A pipeline that is well, then breaks, then recovers: what the watch (issue 12) is for. The
 * date is yesterday in the pipeline's time zone, one the watch evaluates, its 7 games processed
 * through predictions. Stages (timeline.ts): `healthy`; `fault`, a re-run of the first phase for
 * the date crashes half-way and loses the box scores of 3 games and everything built on them
 * (every data check of the date fails: an alert with *Heal <date>*); `recovered`, the date's data
 * complete again, by a heal through the bot (the processors refill it: the timeline moves on at
 * once) or by itself after a while (the self-heal job's run). Only BigQuery data and a log line
 * change: run_history is seeded once per scenario, so no stage touches it.
 */
export function buildIncident(config: PipelineConfig, now: Date): SandboxState {
  const state = buildHealthy(config, now);
  state.scenario = 'incident';
  const date = addDays(todayIn(config.timeZone, now), -1);
  const schedule = () =>
    state.tables.get('nba_raw.nbac_schedule')?.rows.filter((r) => r.game_date === date) ?? [];
  if (schedule().length === 0) fillDate(state, date, INCIDENT_GAMES);
  const written = new Date(now.getTime() - 40 * MIN);
  for (const phase of Object.keys(tablesByPhase)) completePhaseData(state, phase, date, written);
  for (const t of state.tables.values()) t.lastModified = written;
  const games = schedule().map((r) => String(r.game_id));
  const lost = new Set(games.slice(-INCIDENT_LOST));
  const lostPlayers = new Set([...lost].flatMap((g) => playersOf(g)));
  const first = config.phases[0];
  const label = `${games.length - lost.size} of ${games.length}`;
  const stages: SimStage[] = [
    {
      name: 'healthy',
      description: `Nothing wrong: the ${games.length} games of ${date} processed through predictions.`,
      apply: () => {},
    },
    {
      name: 'fault',
      description: `A re-run of ${first?.id ?? 'the first phase'} for ${date} crashed half-way: box scores left for ${label} games, and the analytics, features and predictions built on them. Heal ${date} refills them.`,
      afterMs: INCIDENT_FAULT_AFTER_MS,
      apply: (s, at) => {
        for (const name of Object.values(tablesByPhase).flat()) {
          const t = s.tables.get(name);
          if (!t) continue;
          const before = t.rows.length;
          t.rows = t.rows.filter(
            (r) =>
              r.game_date !== date ||
              !(lost.has(String(r.game_id ?? '')) || lostPlayers.has(String(r.player_lookup ?? ''))),
          );
          if (t.rows.length !== before) t.lastModified = at;
        }
        const service = first && s.services.get(first.service);
        if (service) {
          s.logs.push({
            timestamp: at,
            severity: 'ERROR',
            resourceType: 'cloud_run_revision',
            source: service.name,
            revision: service.latestReadyRevision,
            text: `${processorName(first.id)} re-run for ${date} failed after ${label} games: google.api_core.exceptions.ServiceUnavailable: 503 POST https://bigquery.googleapis.com/bigquery/v2/projects/${config.project}/jobs: Service Unavailable`,
          });
        }
      },
      mended: (s) => missingPhaseRows(s, date) === 0,
    },
    {
      name: 'recovered',
      description: `${date} complete again: ${games.length} of ${games.length} games through predictions.`,
      afterMs: INCIDENT_RECOVERY_AFTER_MS,
      // After the delay, the self-heal job's run refills the date; after a heal there is nothing left to add.
      apply: (s, at) => {
        for (const phase of Object.keys(tablesByPhase)) completePhaseData(s, phase, date, at);
      },
    },
  ];
  state.timeline = { stages, current: 0, since: now, how: 'start', delaysMs: stages.map(() => undefined) };
  return state;
}

export function buildScenario(name: ScenarioName, config: PipelineConfig, now: Date): SandboxState {
  if (name === 'incident') return buildIncident(config, now);
  if (name === 'healthy') return buildHealthy(config, now);
  if (name === 'breakdown') return buildBreakdown(config, now);
  return buildJan20(config, now);
}

export type { SimLogEntry };
