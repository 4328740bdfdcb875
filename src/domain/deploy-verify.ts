/**
 * Deploy verification: is each service's latest revision ready and serving all traffic, and
 * has it logged crashes since it went live; is each function ACTIVE on the expected topic
 * without import errors since its update. Pure rules over the ports' answers.
 */
import type { PipelineConfig } from '../config.js';
import { links, type Where } from './links.js';
import type {
  CloudRunPort,
  ErrorGroup,
  FunctionsPort,
  LogsPort,
  MonitoringPort,
  RevisionState,
  ServiceState,
} from './ports.js';
import { fail, type Probe } from './result.js';
import { describeFailure, functionNames, type Health, worst } from './status.js';

export interface VerifyCheck {
  health: Health;
  label: string;
  detail: string;
}

export interface TargetVerdict {
  kind: 'service' | 'function';
  name: string;
  health: Health;
  checks: VerifyCheck[];
  link: string;
  /** An earlier ready revision to move traffic back to, when the service fails. */
  rollbackTo?: string;
  /** The revision serving now (the one rollback would move away from). */
  serving?: string;
}

export interface VerifyReport {
  verdict: 'PASS' | 'FAIL' | 'UNKNOWN';
  /** The reasons for FAIL/UNKNOWN, one line each, first thing shown. */
  reasons: string[];
  targets: TargetVerdict[];
  generatedAt: Date;
}

export interface VerifyPorts {
  cloudRun: CloudRunPort;
  functions: FunctionsPort;
  logs: LogsPort;
  monitoring: MonitoringPort;
}

const importSignatures = new Set(['module-not-found', 'import-error']);

function crashLines(groups: Probe<ErrorGroup[]>, config: PipelineConfig, only?: Set<string>): VerifyCheck {
  if (!groups.ok) return { health: 'unknown', label: 'Crash logs', detail: describeFailure(groups.error) };
  const known = new Set(config.crashSignatures.map((s) => s.id));
  const hits = groups.value.filter(
    (g) => g.signature && known.has(g.signature) && (!only || only.has(g.signature)),
  );
  if (hits.length === 0)
    return { health: 'ok', label: 'Crash logs', detail: 'no crash signatures since it went live' };
  const count = hits.reduce((n, g) => n + g.count, 0);
  const first = [...hits].sort((a, b) => a.firstSeen.localeCompare(b.firstSeen))[0]!;
  const label = config.crashSignatures.find((s) => s.id === first.signature)?.label ?? first.signature;
  return {
    health: 'fail',
    label: 'Crash logs',
    detail: `${count} × ${label}: \`${first.sample.slice(0, 200)}\``,
  };
}

export function verifyService(
  name: string,
  service: Probe<ServiceState>,
  revisions: Probe<RevisionState[]>,
  crashes: Probe<ErrorGroup[]>,
  fiveXx: Probe<Record<string, number | null>>,
  config: PipelineConfig,
): TargetVerdict {
  const w: Where = { project: config.project, region: config.region };
  const link = links.service(w, name);
  if (!service.ok) {
    return {
      kind: 'service',
      name,
      health: 'unknown',
      link,
      checks: [{ health: 'unknown', label: 'Service', detail: describeFailure(service.error) }],
    };
  }
  const s = service.value;
  const checks: VerifyCheck[] = [];
  const sameRev = s.latestCreatedRevision === s.latestReadyRevision;
  checks.push({
    health: sameRev ? 'ok' : 'fail',
    label: 'Latest revision ready',
    detail: sameRev
      ? `${s.latestReadyRevision}`
      : `latest created ${s.latestCreatedRevision} is not ready; latest ready is ${s.latestReadyRevision ?? 'none'}`,
  });
  const onLatest = s.servingShares.find((x) => x.revision === s.latestCreatedRevision)?.percent ?? 0;
  checks.push({
    health: onLatest === 100 ? 'ok' : 'fail',
    label: 'Traffic',
    detail:
      onLatest === 100
        ? '100% on the latest revision'
        : `split: ${s.servingShares.map((x) => `${x.revision} ${x.percent}%`).join(', ') || 'none'}`,
  });
  checks.push({
    health: s.ready.state === 'true' ? 'ok' : 'fail',
    label: 'Ready condition',
    detail:
      s.ready.state === 'true'
        ? 'True'
        : `${s.ready.state}${s.ready.reason ? ` (${s.ready.reason})` : ''}${s.ready.message ? `: ${s.ready.message}` : ''}`,
  });
  checks.push(crashLines(crashes, config));
  if (fiveXx.ok) {
    const share = fiveXx.value[name];
    checks.push({
      health:
        share === null || share === undefined ? 'ok' : share >= 0.05 ? 'fail' : share > 0.01 ? 'warn' : 'ok',
      label: '5xx since',
      detail:
        share === null || share === undefined ? 'no traffic' : `${(share * 100).toFixed(1)}% of requests`,
    });
  } else {
    checks.push({ health: 'unknown', label: '5xx since', detail: describeFailure(fiveXx.error) });
  }
  const health = worst(checks.map((c) => c.health));
  const serving = [...s.servingShares].sort((a, b) => b.percent - a.percent)[0]?.revision;
  const verdict: TargetVerdict = {
    kind: 'service',
    name,
    health,
    checks,
    link,
    ...(serving ? { serving } : {}),
  };
  if (health === 'fail' && revisions.ok) {
    // The newest ready revision older than the one serving now.
    const ordered = revisions.value;
    const idx = ordered.findIndex((r) => r.name === serving);
    const candidate = ordered.slice(idx + 1).find((r) => r.ready.state === 'true');
    const crashing =
      checks.some((c) => c.label === 'Crash logs' && c.health === 'fail') ||
      checks.some((c) => c.label === '5xx since' && c.health === 'fail');
    if (candidate && idx >= 0 && crashing) verdict.rollbackTo = candidate.name;
  }
  return verdict;
}

export async function verifyDeploys(
  ports: VerifyPorts,
  config: PipelineConfig,
  target: { target: 'all' } | { target: 'one'; name: string },
  now: Date,
): Promise<VerifyReport> {
  const services = config.phases
    .map((p) => p.service)
    .filter((s) => target.target === 'all' || s === target.name);
  const fns = functionNames(config).filter((f) => target.target === 'all' || f === target.name);
  const topics = new Map(config.orchestrators.map((o) => [o.name, o.topic]));
  const w: Where = { project: config.project, region: config.region };
  const hourAgo = new Date(now.getTime() - 3_600_000);

  const serviceVerdicts = services.map(async (name) => {
    const [svc, revs] = await Promise.all([
      ports.cloudRun.getService(name),
      ports.cloudRun.listRevisions(name),
    ]);
    const live =
      svc.ok && revs.ok
        ? revs.value.find((r) => r.name === svc.value.latestCreatedRevision)?.createTime
        : undefined;
    const since = live ? new Date(live) : hourAgo;
    const [crashes, share] = await Promise.all([
      svc.ok ? ports.logs.errorsSince(since, [name]) : Promise.resolve(fail('error', 'service unknown')),
      ports.monitoring.serverErrorShare([name], since),
    ]);
    return verifyService(name, svc, revs, crashes, share, config);
  });
  const functionVerdicts = fns.map(async (name): Promise<TargetVerdict> => {
    const link = links.function(w, name);
    const f = await ports.functions.getFunction(name);
    if (!f.ok) {
      return {
        kind: 'function',
        name,
        link,
        health: f.error.kind === 'not_found' ? 'fail' : 'unknown',
        checks: [{ health: 'unknown', label: 'Function', detail: describeFailure(f.error) }],
      };
    }
    const fn = f.value;
    const since = fn.updateTime ? new Date(fn.updateTime) : hourAgo;
    const logs = await ports.logs.errorsSince(since, [name]);
    const checks: VerifyCheck[] = [
      {
        health: fn.state === 'ACTIVE' ? 'ok' : 'fail',
        label: 'State',
        detail: `${fn.state} · ${fn.revision ?? 'no revision'}`,
      },
    ];
    const expected = topics.get(name);
    if (expected) {
      checks.push({
        health: fn.triggerTopic === expected ? 'ok' : 'fail',
        label: 'Trigger topic',
        detail:
          fn.triggerTopic === expected ? expected : `${fn.triggerTopic ?? 'none'}, expected ${expected}`,
      });
    }
    const stateErrors = fn.stateMessages.filter((m) => m.severity === 'ERROR');
    if (stateErrors.length > 0) {
      checks.push({
        health: 'fail',
        label: 'Deploy messages',
        detail: stateErrors.map((m) => m.message).join('; '),
      });
    }
    checks.push({ ...crashLines(logs, config, importSignatures), label: 'Import errors' });
    return { kind: 'function', name, link, checks, health: worst(checks.map((c) => c.health)) };
  });
  const targets = await Promise.all([...serviceVerdicts, ...functionVerdicts]);
  const reasons = targets
    .filter((t) => t.health === 'fail' || t.health === 'unknown')
    .map((t) => {
      const bad = t.checks.filter((c) => c.health === 'fail' || c.health === 'unknown');
      return `${t.name}: ${bad.map((c) => `${c.label.toLowerCase()}: ${c.detail}`).join('; ')}`;
    });
  const overall = worst(targets.map((t) => t.health));
  return {
    verdict: overall === 'fail' ? 'FAIL' : overall === 'unknown' ? 'UNKNOWN' : 'PASS',
    reasons,
    targets,
    generatedAt: now,
  };
}
