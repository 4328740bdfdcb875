/** Why a read from a Google API gave no value. Expected failures are values, not throws. */
export type FailureKind = 'timeout' | 'not_found' | 'denied' | 'unavailable' | 'invalid' | 'error';

export interface Failure {
  kind: FailureKind;
  /** One short line for a person, with no secrets in it. */
  message: string;
}

/** The answer of one adapter call: a value, or why there is none. */
export type Probe<T> = { ok: true; value: T } | { ok: false; error: Failure };

export const ok = <T>(value: T): Probe<T> => ({ ok: true, value });
export const fail = (kind: FailureKind, message: string): Probe<never> => ({
  ok: false,
  error: { kind, message },
});

/** A refusal explained to the person who asked (bad input, no permission, wrong channel). */
export interface Refusal {
  code: string;
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: Refusal };

export const accept = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const refuse = (code: string, message: string): Outcome<never> => ({
  ok: false,
  reason: { code, message },
});
