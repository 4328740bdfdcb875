/** What the listeners receive from the composition root. */
import type { PipelineConfig } from '../config.js';
import type { Digest } from '../domain/digest.js';
import type { LogSearchPort } from '../domain/logs-query.js';
import type { Clock, RunJobsPort } from '../domain/ports.js';
import type { AuditLog, RequestStore } from '../domain/requests.js';
import type { Probe } from '../domain/result.js';
import type { SingleFlightCache } from '../domain/single-flight.js';
import type { StatusPorts, StatusReport } from '../domain/status.js';
import type { Logger } from '../log.js';
import type { AlertStore } from '../store/firestore-alerts.js';
import type { PlanDrafts } from '../store/plan-drafts.js';
import { esc } from '../views/common.js';
import type { Engine } from '../workflows/engine.js';
import type { AlertNotifier } from '../workflows/watch.js';
import type { Directory } from './directory.js';

/** Guarded actions: the engine and the bot's own state. */
export interface GuardedDeps {
  engine: Engine;
  store: RequestStore;
  audit: AuditLog;
  drafts: PlanDrafts;
  directory: Directory;
  staleAfterMs: number;
  /** Cloud Run Jobs, for backfill planning (recent executions). */
  jobs: RunJobsPort;
  /** Refresh a request's Slack messages (approval and progress) from its stored state. */
  publish(requestId: string): Promise<void>;
}

/** The watch's Slack side: the alert messages, and the digest. */
export interface AlertsNotifier extends AlertNotifier {
  digest(digest: Digest): Promise<Probe<string>>;
}

/** What the listeners need of the watch: its store, its messages, its channel. */
export interface AlertsDeps {
  store: AlertStore;
  notifier: AlertsNotifier;
  channel: string;
}

export interface Deps {
  config: PipelineConfig;
  /** `logSearch` reads logs for `/pipeline logs` and the trace; without it they say it is not wired. */
  ports: StatusPorts & { logSearch?: LogSearchPort };
  clock: Clock;
  log: Logger;
  statusCache: SingleFlightCache<StatusReport>;
  guarded: GuardedDeps;
  /** The watch's alerts, when `alerts:` is configured and the bot has Firestore. */
  alerts?: AlertsDeps;
}

/**
 * The ephemeral answer to bad input: what was wrong, then the usage. Nothing else happens.
 * Both are mrkdwn and the message echoes what was typed: escaped, so `/heal <!channel>` cannot
 * notify anyone (and `<date>` in the usage shows as typed).
 */
export function refusalText(message: string, usage: string): string {
  return `${esc(message)}\n\n*Usage*\n${esc(usage)}`;
}

/** May the bot act in this channel? An empty allow-list means any channel. */
export function channelAllowed(config: PipelineConfig, channel: string): boolean {
  return config.access.channels.length === 0 || config.access.channels.includes(channel);
}
