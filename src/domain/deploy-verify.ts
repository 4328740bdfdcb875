/**
 * Deploy verification: is each service's latest revision ready and serving all traffic, has it
 * logged crash signatures since it went live, is its 5xx share under its thresholds; is each
 * function ACTIVE on its configured trigger, without import errors since its update. Pure rules
 * over the ports' answers; every service and function component is verified.
 */
import type { ComponentOf, PipelineConfig, SignatureKind } from '../config.js';
import { componentsOf } from './components.js';
import { links, type Where } from './links.js';
import type {
  CloudRunPort,
  ErrorGroup,
  FunctionState,
  FunctionsPort,
  LogsPort,
  MonitoringPort,
  RevisionState,
  ServiceState,
} from './ports.js';
import { fail, type Probe } from './result.js';
import { deployedTrigger, describeTrigger, triggerMismatch } from './status/evaluate-function.js';
import { describeFailure, type Health, shortRevision, worst } from './status.js';

export interface VerifyCheck {
  health: Health;
  label: string;
  detail: string;
  /** A shorter detail for the reasons under the verdict (one line per target). */
  brief?: string;
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

/** Signature kinds that mean a service's revision is broken. */
const crashKinds: ReadonlySet<SignatureKind> = new Set(['crash', 'out-of-memory', 'import-error']);
/** What the functions' import check looks for (validated at config load: at least one exists). */
const importKinds: ReadonlySet<SignatureKind> = new Set(['import-error']);
/** A function that loads but then crashes or runs out of memory since its update. */
const runtimeKinds: ReadonlySet<SignatureKind> = new Set(['crash', 'out-of-memory']);

function crashLines(
  groups: Probe<ErrorGroup[]>,
  config: PipelineConfig,
  kinds: ReadonlySet<SignatureKind>,
): VerifyCheck {
  if (!groups.ok) return { health: 'unknown', label: 'Crash logs', detail: describeFailure(groups.error) };
  const wanted = new Map(config.crashSignatures.filter((s) => kinds.has(s.kind)).map((s) => [s.id, s]));
  const hits = groups.value.filter((g) => g.signature && wanted.has(g.signature));
  if (hits.length === 0)
    return { health: 'ok', label: 'Crash logs', detail: 'no crash signatures since it went live' };
  const count = hits.reduce((n, g) => n + g.count, 0);
  const first = [...hits].sort((a, b) => a.firstSeen.localeCompare(b.firstSeen))[0]!;
  const label = wanted.get(first.signature!)?.label ?? first.signature;
  return {
    health: 'fail',
    label: 'Crash logs',
    detail: `${count} × ${label}: \`${first.sample.slice(0, 200)}\``,
    brief: `${count} × ${label}`,
  };
}

/** The 5xx share against the component's thresholds (percent). */
function serverErrorCheck(
  name: string,
  fiveXx: Probe<Record<string, number | null>>,
  limits: { fail: number; warn: number },
): VerifyCheck {
  if (!fiveXx.ok) return { health: 'unknown', label: '5xx since', detail: describeFailure(fiveXx.error) };
  const share = fiveXx.value[name];
  if (share === null || share === undefined)
    return { health: 'ok', label: '5xx since', detail: 'no traffic' };
  const percent = share * 100;
  return {
    health: percent >= limits.fail ? 'fail' : percent > limits.warn ? 'warn' : 'ok',
    label: '5xx since',
    detail: `${percent.toFixed(1)}% of requests (fails from ${limits.fail}%)`,
  };
}

/** Where traffic goes; a single older revision with all of it is not a split. */
function trafficCheck(s: ServiceState): VerifyCheck {
  const onLatest = s.servingShares.find((x) => x.revision === s.latestCreatedRevision)?.percent ?? 0;
  if (onLatest === 100) return { health: 'ok', label: 'Traffic', detail: '100% on the latest revision' };
  const [only] = s.servingShares;
  const rev = (r: string | undefined) => shortRevision(s.name, r);
  const detail =
    s.servingShares.length === 1 && only
      ? `100% on ${rev(only.revision)}, not on the latest ${rev(s.latestCreatedRevision)}`
      : `split: ${s.servingShares.map((x) => `${rev(x.revision)} ${x.percent}%`).join(', ') || 'none'}`;
  return { health: 'fail', label: 'Traffic', detail };
}

export function verifyService(
  component: ComponentOf<'service'>,
  service: Probe<ServiceState>,
  revisions: Probe<RevisionState[]>,
  crashes: Probe<ErrorGroup[]>,
  fiveXx: Probe<Record<string, number | null>>,
  config: PipelineConfig,
): TargetVerdict {
  const { name } = component;
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
    ...(sameRev ? {} : { brief: `latest created ${s.latestCreatedRevision} is not ready` }),
  });
  checks.push(trafficCheck(s));
  checks.push({
    health: s.ready.state === 'true' ? 'ok' : 'fail',
    label: 'Ready condition',
    detail:
      s.ready.state === 'true'
        ? 'True'
        : `${s.ready.state}${s.ready.reason ? ` (${s.ready.reason})` : ''}${s.ready.message ? `: ${s.ready.message}` : ''}`,
    brief:
      s.ready.state === 'true' ? 'True' : `${s.ready.state}${s.ready.reason ? ` (${s.ready.reason})` : ''}`,
  });
  checks.push(crashLines(crashes, config, crashKinds));
  checks.push(serverErrorCheck(name, fiveXx, component.serverErrorPercent));
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

/** A function: ACTIVE, on its configured trigger, no deploy errors, no import errors or crashes, 5xx under limits. */
export function verifyFunction(
  component: ComponentOf<'function'>,
  f: Probe<FunctionState>,
  logs: Probe<ErrorGroup[]>,
  fiveXx: Probe<Record<string, number | null>>,
  config: PipelineConfig,
): TargetVerdict {
  const { name } = component;
  const link = links.function({ project: config.project, region: config.region }, name);
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
  const mismatch = triggerMismatch(component.trigger, fn);
  const checks: VerifyCheck[] = [
    {
      health: fn.state === 'ACTIVE' ? 'ok' : 'fail',
      label: 'State',
      detail: `${fn.state} · ${fn.revision ?? 'no revision'}`,
    },
    {
      health: mismatch ? 'fail' : 'ok',
      label: 'Trigger',
      detail: mismatch ?? describeTrigger(deployedTrigger(fn)),
    },
  ];
  const stateErrors = fn.stateMessages.filter((m) => m.severity === 'ERROR');
  if (stateErrors.length > 0) {
    checks.push({
      health: 'fail',
      label: 'Deploy messages',
      detail: stateErrors.map((m) => m.message).join('; '),
    });
  }
  checks.push({ ...crashLines(logs, config, importKinds), label: 'Import errors' });
  checks.push(crashLines(logs, config, runtimeKinds));
  checks.push(serverErrorCheck(name, fiveXx, component.serverErrorPercent));
  return { kind: 'function', name, link, checks, health: worst(checks.map((c) => c.health)) };
}

export async function verifyDeploys(
  ports: VerifyPorts,
  config: PipelineConfig,
  target: { target: 'all' } | { target: 'one'; name: string },
  now: Date,
): Promise<VerifyReport> {
  const wanted = (name: string) => target.target === 'all' || name === target.name;
  const services = componentsOf(config, 'service').filter((c) => wanted(c.name));
  const fns = componentsOf(config, 'function').filter((c) => wanted(c.name));
  const hourAgo = new Date(now.getTime() - 3_600_000);

  const serviceVerdicts = services.map(async (c) => {
    const [svc, revs] = await Promise.all([
      ports.cloudRun.getService(c.name),
      ports.cloudRun.listRevisions(c.name),
    ]);
    const live =
      svc.ok && revs.ok
        ? revs.value.find((r) => r.name === svc.value.latestCreatedRevision)?.createTime
        : undefined;
    const since = live ? new Date(live) : hourAgo;
    const [crashes, share] = await Promise.all([
      svc.ok ? ports.logs.errorsSince(since, [c.name]) : Promise.resolve(fail('error', 'service unknown')),
      ports.monitoring.serverErrorShare([c.name], since),
    ]);
    return verifyService(c, svc, revs, crashes, share, config);
  });
  const functionVerdicts = fns.map(async (c): Promise<TargetVerdict> => {
    const f = await ports.functions.getFunction(c.name);
    const since = f.ok && f.value.updateTime ? new Date(f.value.updateTime) : hourAgo;
    const [logs, share] = await Promise.all([
      f.ok ? ports.logs.errorsSince(since, [c.name]) : Promise.resolve(fail('error', 'function unknown')),
      ports.monitoring.serverErrorShare([c.name], since),
    ]);
    return verifyFunction(c, f, logs, share, config);
  });
  const targets = await Promise.all([...serviceVerdicts, ...functionVerdicts]);
  const reasons = targets
    .filter((t) => t.health === 'fail' || t.health === 'unknown')
    .map((t) => {
      const bad = t.checks.filter((c) => c.health === 'fail' || c.health === 'unknown');
      return `${t.name}: ${bad.map((c) => `${c.label.toLowerCase()}: ${c.brief ?? c.detail}`).join('; ')}`;
    });
  const overall = worst(targets.map((t) => t.health));
  return {
    verdict: overall === 'fail' ? 'FAIL' : overall === 'unknown' ? 'UNKNOWN' : 'PASS',
    reasons,
    targets,
    generatedAt: now,
  };
}
