import { describe, expect, it } from 'vitest';
import {
  type AccessPolicy,
  mayApprove,
  mayFollowUp,
  mayManageAlerts,
  mayRequest,
} from '../../src/domain/policy.js';

const access = (over: Partial<AccessPolicy> = {}): AccessPolicy => ({
  operators: { users: [] },
  approvers: { userGroup: 'S0ONCALL01', users: ['U0LEAD'] },
  channels: [],
  twoPersonRule: true,
  ...over,
});

const request = { requester: 'U0ALICE', channel: 'C0PIPELINE' };

describe('mayRequest', () => {
  it('lets anyone request when no operators are configured, in any channel when none are listed', () => {
    expect(mayRequest({ user: 'U0ANY', channel: 'C0RANDOM', access: access(), operatorIds: [] }).ok).toBe(
      true,
    );
  });

  it('limits requests to the listed channels', () => {
    const res = mayRequest({
      user: 'U0ANY',
      channel: 'C0RANDOM',
      access: access({ channels: ['C0PIPELINE', 'C0OPS'] }),
      operatorIds: [],
    });
    expect(res).toMatchObject({ ok: false, reason: { code: 'channel' } });
    if (!res.ok) expect(res.reason.message).toContain('<#C0PIPELINE>, <#C0OPS>');
    expect(
      mayRequest({
        user: 'U0ANY',
        channel: 'C0OPS',
        access: access({ channels: ['C0OPS'] }),
        operatorIds: [],
      }).ok,
    ).toBe(true);
  });

  it('limits requests to operators (users and group members) and names them', () => {
    const a = access({ operators: { userGroup: 'S0DATA', users: ['U0BOB'] } });
    expect(mayRequest({ user: 'U0BOB', channel: 'C0PIPELINE', access: a, operatorIds: [] }).ok).toBe(true);
    expect(
      mayRequest({ user: 'U0CAROL', channel: 'C0PIPELINE', access: a, operatorIds: ['U0CAROL'] }).ok,
    ).toBe(true);
    const res = mayRequest({ user: 'U0EVE', channel: 'C0PIPELINE', access: a, operatorIds: ['U0CAROL'] });
    expect(res).toMatchObject({ ok: false, reason: { code: 'not_operator' } });
    if (!res.ok) expect(res.reason.message).toContain('<!subteam^S0DATA> or <@U0BOB>');
  });
});

describe('mayApprove', () => {
  it('accepts a listed approver and a member of the approver group', () => {
    expect(mayApprove({ user: 'U0LEAD', request, access: access(), approverIds: [] }).ok).toBe(true);
    expect(mayApprove({ user: 'U0ONCALL', request, access: access(), approverIds: ['U0ONCALL'] }).ok).toBe(
      true,
    );
  });

  it('refuses the requester under the two-person rule, even when they are an approver', () => {
    const res = mayApprove({ user: 'U0ALICE', request, access: access(), approverIds: ['U0ALICE'] });
    expect(res).toMatchObject({ ok: false, reason: { code: 'two_person_rule' } });
    if (!res.ok)
      expect(res.reason.message).toContain(
        'someone else must approve it (<!subteam^S0ONCALL01> or <@U0LEAD>)',
      );
    const off = access({ twoPersonRule: false });
    expect(mayApprove({ user: 'U0ALICE', request, access: off, approverIds: ['U0ALICE'] }).ok).toBe(true);
  });

  it('tells a non-approver who can approve', () => {
    const res = mayApprove({ user: 'U0EVE', request, access: access(), approverIds: ['U0ONCALL'] });
    expect(res).toMatchObject({ ok: false, reason: { code: 'not_approver' } });
    if (!res.ok)
      expect(res.reason.message).toBe('Only approvers can approve this: <!subteam^S0ONCALL01> or <@U0LEAD>.');
    // Group members count only when a group is configured.
    const usersOnly = access({ approvers: { users: ['U0LEAD', 'U0SAM'] } });
    const res2 = mayApprove({ user: 'U0EVE', request, access: usersOnly, approverIds: ['U0EVE'] });
    expect(res2.ok).toBe(false);
    if (!res2.ok) expect(res2.reason.message).toContain('<@U0LEAD> or <@U0SAM>');
  });

  it('refuses everyone when no approvers are configured, saying where to set them', () => {
    const res = mayApprove({
      user: 'U0LEAD',
      request,
      access: access({ approvers: { users: [] } }),
      approverIds: [],
    });
    expect(res).toMatchObject({ ok: false, reason: { code: 'no_approvers' } });
    if (!res.ok) expect(res.reason.message).toContain('access.approvers');
  });

  it('refuses approval of a request made outside the allowed channels', () => {
    const res = mayApprove({
      user: 'U0LEAD',
      request,
      access: access({ channels: ['C0OPS'] }),
      approverIds: [],
    });
    expect(res).toMatchObject({ ok: false, reason: { code: 'channel' } });
  });
});

describe('mayFollowUp', () => {
  it('lets the requester withdraw their own request but not retry, resume or undo it', () => {
    for (const action of ['reject', 'cancel'] as const) {
      expect(mayFollowUp({ user: 'U0ALICE', action, request, access: access(), approverIds: [] }).ok).toBe(
        true,
      );
    }
    for (const action of ['retry', 'resume', 'undo'] as const) {
      const res = mayFollowUp({ user: 'U0ALICE', action, request, access: access(), approverIds: [] });
      expect(res).toMatchObject({ ok: false, reason: { code: 'not_approver' } });
      if (!res.ok)
        expect(res.reason.message).toBe(
          `Only approvers can ${action} this: <!subteam^S0ONCALL01> or <@U0LEAD>.`,
        );
    }
  });

  it('lets an approver do anything, including the requester when they are one', () => {
    const a = access();
    expect(
      mayFollowUp({ user: 'U0ALICE', action: 'undo', request, access: a, approverIds: ['U0ALICE'] }).ok,
    ).toBe(true);
    const res = mayFollowUp({ user: 'U0EVE', action: 'cancel', request, access: a, approverIds: [] });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.reason.message).toContain('or the requester <@U0ALICE>');
  });
});

describe('mayManageAlerts', () => {
  const access = {
    operators: { users: ['U0OPS'] },
    approvers: { userGroup: 'S0ONCALL', users: [] },
    channels: [],
    twoPersonRule: true,
  };
  it('lets on-call and operators acknowledge or silence, and nobody else', () => {
    const check = (user: string) =>
      mayManageAlerts({ user, access, operatorIds: [], approverIds: ['U0BOB'] });
    expect(check('U0BOB').ok).toBe(true);
    expect(check('U0OPS').ok).toBe(true);
    expect(check('U0CAROL')).toEqual({
      ok: false,
      reason: {
        code: 'not_on_call',
        message:
          'Only on-call and operators can acknowledge or silence alerts: <!subteam^S0ONCALL>, <@U0OPS>.',
      },
    });
  });

  it('lets nobody when neither on-call nor operators are configured', () => {
    const open = { ...access, operators: { users: [] }, approvers: { users: [] } };
    expect(mayManageAlerts({ user: 'U0BOB', access: open, operatorIds: [], approverIds: [] }).ok).toBe(false);
  });
});
