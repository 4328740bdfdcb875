/** The Cloud Scheduler OIDC verifier, with tokens signed by a key the test makes (RS256, as Google signs). */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createOidcVerifier } from '../../src/gcp/oidc.js';

const AUDIENCE = 'https://pipeline-bot-abc-uw.a.run.app/tasks/watch';
const SCHEDULER = 'scheduler@nba-props-platform.iam.gserviceaccount.com';

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const google = keyPair();
const stranger = keyPair();
const KID = 'test-key-1';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function token(over: Record<string, unknown> = {}, signer = google.privateKey, kid = KID): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: 'https://accounts.google.com',
    aud: AUDIENCE,
    sub: '1234567890',
    email: SCHEDULER,
    email_verified: true,
    iat: now - 10,
    exp: now + 3590,
    ...over,
  };
  const unsigned = `${b64({ alg: 'RS256', kid, typ: 'JWT' })}.${b64(payload)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(signer).toString('base64url');
  return `${unsigned}.${signature}`;
}

const verify = createOidcVerifier({
  audience: AUDIENCE,
  allowedEmails: [SCHEDULER],
  certs: { [KID]: google.pem },
});
const hour = 3600;
const now = () => Math.floor(Date.now() / 1000);

describe('Cloud Scheduler OIDC tokens', () => {
  it('accepts a token from the allowed service account for this audience', async () => {
    expect(await verify(`Bearer ${token()}`)).toEqual({ ok: true, value: { email: SCHEDULER } });
  });

  it.each([
    ['missing', undefined, 'no bearer token'],
    ['not a bearer', `Basic ${token()}`, 'no bearer token'],
    ['wrong audience', `Bearer ${token({ aud: 'https://elsewhere.example.com/' })}`, 'wrong audience'],
    [
      'expired',
      `Bearer ${token({ iat: now() - 3 * hour, exp: now() - 2 * hour })}`,
      'expired or not yet valid',
    ],
    ['wrong signer', `Bearer ${token({}, stranger.privateKey)}`, 'bad signature'],
    ['unknown key id', `Bearer ${token({}, google.privateKey, 'other-kid')}`, 'bad signature'],
    ['wrong issuer', `Bearer ${token({ iss: 'https://evil.example.com' })}`, 'wrong issuer'],
    [
      'wrong email',
      `Bearer ${token({ email: 'someone@example.com' })}`,
      'the token does not name an allowed service account',
    ],
    [
      'unverified email',
      `Bearer ${token({ email_verified: false })}`,
      'the token does not name an allowed service account',
    ],
    ['garbage', 'Bearer a.b.c', 'invalid token'],
  ])('refuses a %s token', async (_name, header, message) => {
    const r = await verify(header);
    expect(r).toEqual({ ok: false, reason: { code: 'unauthenticated', message } });
  });
});
