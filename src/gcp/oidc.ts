/**
 * Verifies the OIDC identity token Cloud Scheduler sends with its HTTP calls
 * (cloud.google.com/scheduler/docs/http-target-auth#using-oidc): the signature against Google's
 * certificates, the issuer, the expiry, the audience, and that the token names one of the allowed
 * service accounts with a verified email. Everything else is refused; the caller answers 401.
 */
import { OAuth2Client } from 'google-auth-library';
import { accept, type Outcome, refuse } from '../domain/result.js';

/** Google's ID tokens name one of these issuers (developers.google.com/identity/openid-connect). */
const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

export interface OidcVerifierOptions {
  /** The audience Cloud Scheduler was configured with (usually the endpoint's URL). */
  audience: string;
  /** Service-account emails allowed to call (the scheduler job's `--oidc-service-account-email`). */
  allowedEmails: string[];
  /**
   * Public keys by key id (PEM). Absent in production: the client fetches Google's certificates
   * and caches them per their Cache-Control. Tests pass a key they made.
   */
  certs?: Record<string, string>;
  /** How long verification may take (fetching Google's certificates included). */
  deadlineMs?: number;
}

/** Who called: the service account the token was issued to. */
export interface Caller {
  email: string;
}

export type OidcVerifier = (authorization: string | undefined) => Promise<Outcome<Caller>>;

export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const client = new OAuth2Client();
  const allowed = new Set(options.allowedEmails.map((e) => e.toLowerCase()));
  const deadlineMs = options.deadlineMs ?? 5000;
  const verify = async (token: string) => {
    const ticket = options.certs
      ? await client.verifySignedJwtWithCertsAsync(token, options.certs, options.audience, GOOGLE_ISSUERS)
      : await client.verifyIdToken({ idToken: token, audience: options.audience });
    return ticket.getPayload();
  };
  return async (authorization) => {
    const token = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '')?.[1];
    if (!token) return refuse('unauthenticated', 'no bearer token');
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const payload = await Promise.race([
        verify(token),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('token verification timed out')), deadlineMs);
        }),
      ]);
      // verifyIdToken checks the issuer against the same list; checked again for the certs path's sake.
      if (!payload || !GOOGLE_ISSUERS.includes(payload.iss)) return refuse('unauthenticated', 'wrong issuer');
      const email = payload.email?.toLowerCase();
      if (!email || payload.email_verified !== true || !allowed.has(email)) {
        return refuse('unauthenticated', 'the token does not name an allowed service account');
      }
      return accept({ email });
    } catch (error) {
      // The library's messages quote the token's payload: keep them out of replies and logs.
      return refuse('unauthenticated', describe(error));
    } finally {
      clearTimeout(timer);
    }
  };
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/parse|segments/i.test(message)) return 'invalid token';
  if (/audience/i.test(message)) return 'wrong audience';
  if (/expir|too late|too early|lifetime/i.test(message)) return 'expired or not yet valid';
  if (/signature|pem|envelope|certificate/i.test(message)) return 'bad signature';
  if (/issuer/i.test(message)) return 'wrong issuer';
  if (/timed out/.test(message)) return 'verification timed out';
  return 'invalid token';
}
