/** Who is in a Slack user group (the on-call approvers), cached briefly. */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.js';

export interface Directory {
  /** Members of the group; empty when Slack cannot say (the refusal then names the group). */
  members(groupId: string | undefined): Promise<string[]>;
}

export function createDirectory(client: WebClient, log: Logger, ttlMs = 60_000): Directory {
  const cache = new Map<string, { at: number; users: string[] }>();
  return {
    async members(groupId) {
      if (!groupId) return [];
      const hit = cache.get(groupId);
      if (hit && Date.now() - hit.at < ttlMs) return hit.users;
      try {
        const r = await client.usergroups.users.list({ usergroup: groupId });
        const users = r.users ?? [];
        cache.set(groupId, { at: Date.now(), users });
        return users;
      } catch (error) {
        log.warn('usergroups.users.list failed', { group: groupId, error });
        return hit?.users ?? [];
      }
    },
  };
}
