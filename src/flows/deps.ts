/** What the listeners receive from the composition root. */
import type { PipelineConfig } from '../config.js';
import type { Clock, RunJobsPort } from '../domain/ports.js';
import type { AuditLog, RequestStore } from '../domain/requests.js';
import type { SingleFlightCache } from '../domain/single-flight.js';
import type { StatusPorts, StatusReport } from '../domain/status.js';
import type { Logger } from '../log.js';
import type { PlanDrafts } from '../store/plan-drafts.js';
import { esc } from '../views/common.js';
import type { Engine } from '../workflows/engine.js';
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

export interface Deps {
  config: PipelineConfig;
  ports: StatusPorts;
  clock: Clock;
  log: Logger;
  statusCache: SingleFlightCache<StatusReport>;
  guarded: GuardedDeps;
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
