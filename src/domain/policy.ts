/**
 * Who may request and who may approve a guarded action. Pure: user group members are resolved
 * by the caller (usergroups.users.list) and passed in, so these functions do no I/O.
 */
import { accept, type Outcome, refuse } from './result.js';

export interface Principals {
  userGroup?: string | undefined;
  users: readonly string[];
}

/** The `access` section of the pipeline YAML (structurally, so the domain does not import config). */
export interface AccessPolicy {
  operators: Principals;
  approvers: Principals;
  /** Empty means any channel. */
  channels: readonly string[];
  twoPersonRule: boolean;
}

/** What policy needs to know about a request. */
export interface RequestParties {
  requester: string;
  channel: string;
  approver?: string | undefined;
}

const mentionUser = (id: string) => `<@${id}>`;
const mentionGroup = (id: string) => `<!subteam^${id}>`;

/** "<!subteam^S1>, <@U1> or <@U2>", or undefined when nobody is configured. */
export function describePrincipals(p: Principals): string | undefined {
  const names = [...(p.userGroup ? [mentionGroup(p.userGroup)] : []), ...p.users.map(mentionUser)];
  if (names.length === 0) return undefined;
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

function channelAllowed(channel: string, access: AccessPolicy): Outcome<true> {
  if (access.channels.length === 0 || access.channels.includes(channel)) return accept(true);
  const where = access.channels.map((c) => `<#${c}>`).join(', ');
  return refuse('channel', `Guarded actions run only in ${where}. Ask there.`);
}

const isMember = (user: string, p: Principals, groupMembers: readonly string[]) =>
  p.users.includes(user) || (p.userGroup !== undefined && groupMembers.includes(user));

/**
 * May `user` ask for a guarded action in `channel`? With no operators configured, anyone in an
 * allowed channel may (approval is the gate). `operatorIds` are the members of `operators.userGroup`.
 */
export function mayRequest(input: {
  user: string;
  channel: string;
  access: AccessPolicy;
  operatorIds: readonly string[];
}): Outcome<true> {
  const { user, channel, access, operatorIds } = input;
  const inChannel = channelAllowed(channel, access);
  if (!inChannel.ok) return inChannel;
  const who = describePrincipals(access.operators);
  if (who === undefined || isMember(user, access.operators, operatorIds)) return accept(true);
  return refuse(
    'not_operator',
    `Only operators can ask for this: ${who}. Ask one of them to run the command.`,
  );
}

/**
 * May `user` approve `request`? Approvers are `approvers.users` plus `approverIds` (the members of
 * `approvers.userGroup`). With no approvers configured nobody may: a guarded action never runs unreviewed.
 */
export function mayApprove(input: {
  user: string;
  request: RequestParties;
  access: AccessPolicy;
  approverIds: readonly string[];
}): Outcome<true> {
  const { user, request, access, approverIds } = input;
  const inChannel = channelAllowed(request.channel, access);
  if (!inChannel.ok) return inChannel;
  const who = describePrincipals(access.approvers);
  if (who === undefined) {
    return refuse(
      'no_approvers',
      'No approvers are configured, so nobody can approve this. Set `access.approvers` in the pipeline YAML.',
    );
  }
  if (access.twoPersonRule && user === request.requester) {
    return refuse(
      'two_person_rule',
      `You asked for this, and the two-person rule is on: someone else must approve it (${who}).`,
    );
  }
  if (!isMember(user, access.approvers, approverIds)) {
    return refuse('not_approver', `Only approvers can approve this: ${who}.`);
  }
  return accept(true);
}

export type FollowUp = 'reject' | 'cancel' | 'retry' | 'resume' | 'undo';

/**
 * May `user` act on a request after it was made? The requester may withdraw (reject, cancel) their
 * own; approvers may do anything. Retry, resume and undo continue or revert an approved plan, so the
 * two-person rule, which guards the approval itself, does not apply to them.
 */
export function mayFollowUp(input: {
  user: string;
  action: FollowUp;
  request: RequestParties;
  access: AccessPolicy;
  approverIds: readonly string[];
}): Outcome<true> {
  const { user, action, request, access, approverIds } = input;
  const inChannel = channelAllowed(request.channel, access);
  if (!inChannel.ok) return inChannel;
  if (isMember(user, access.approvers, approverIds)) return accept(true);
  if ((action === 'reject' || action === 'cancel') && user === request.requester) return accept(true);
  const who = describePrincipals(access.approvers) ?? 'nobody (set `access.approvers` in the pipeline YAML)';
  const also =
    action === 'reject' || action === 'cancel' ? ` or the requester ${mentionUser(request.requester)}` : '';
  return refuse('not_approver', `Only approvers can ${action} this: ${who}${also}.`);
}

/**
 * May `user` acknowledge or silence an alert? On-call (the approvers) always; operators too when
 * some are configured. An open policy would let anyone quiet a page, so with neither, nobody may.
 */
export function mayManageAlerts(input: {
  user: string;
  access: AccessPolicy;
  operatorIds: readonly string[];
  approverIds: readonly string[];
}): Outcome<true> {
  const { user, access, operatorIds, approverIds } = input;
  if (isMember(user, access.approvers, approverIds) || isMember(user, access.operators, operatorIds)) {
    return accept(true);
  }
  const who = [describePrincipals(access.approvers), describePrincipals(access.operators)].filter(Boolean);
  if (who.length === 0) {
    return refuse(
      'no_approvers',
      'Nobody may acknowledge or silence alerts: set `access.approvers` in the pipeline YAML.',
    );
  }
  return refuse(
    'not_on_call',
    `Only on-call and operators can acknowledge or silence alerts: ${who.join(', ')}.`,
  );
}
