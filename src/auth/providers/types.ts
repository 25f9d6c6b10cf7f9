import type { JWTPayload } from "jose";
import { JWT_CLOCK_TOLERANCE_SECONDS } from "../../constants";
import { type ConfigProblem, misconfigured } from "../../errors";

/** Signature algorithms a JWKS may verify; each provider pins the ones it signs with. */
export type JwksAlgorithm = "RS256" | "ES256" | "EdDSA";

/** Why a verified token is still refused: `message` goes to the caller, `internal` to the log line. */
export interface ClaimRefusal {
  message: string;
  internal: string;
}

/**
 * A provider's own claim rules, run after jose has checked the signature, `exp`,
 * `nbf`, `iss` and (when set) `aud`. Returns why the token is refused, or undefined.
 */
export type ClaimCheck = (payload: JWTPayload, now: Date) => ClaimRefusal | undefined;

/**
 * Who the token was made for. A provider whose tokens carry no `aud` must put a
 * check of its own in its place (Clerk's `azp`, Cognito's `client_id`): the type
 * has no way to leave both out.
 */
export type AudienceRule =
  { audience: string; checkClaims?: ClaimCheck } | { audience?: undefined; checkClaims: ClaimCheck };

/** What `AUTH_PROVIDER` stands for: the settings an operator would otherwise write by hand. */
export type ProviderSettings = AudienceRule & {
  jwksUrl: string;
  issuer: string;
  algorithms: readonly JwksAlgorithm[];
};

export interface ProviderInput {
  /** The part of `AUTH_PROVIDER` after the first colon, trimmed. */
  parameter: string;
  /** `AUTH_AUDIENCE`, when set: each provider says what it means for its tokens. */
  audience: string | undefined;
  /**
   * `ALLOWED_ORIGINS`, for providers that name the page's origin in the token (Clerk's
   * `azp`). Read only when called, so that other presets do not depend on it.
   */
  allowedOrigins(): ReadonlySet<string>;
  /**
   * `AUTH_ALLOW_ANONYMOUS`: whether a provider with anonymous sign-ins (a guest account
   * made without credentials) accepts their tokens. Off, they are refused: each one is
   * a fresh `client_ref` with a fresh quota, so neither the quota nor a deny holds.
   */
  allowAnonymous: boolean;
}

/**
 * One identity provider preset. Adding one means one file implementing this,
 * one line in the registry (`index.ts`), and its tests.
 */
export interface IdentityProvider {
  /** The provider's name, for messages. */
  readonly name: string;
  /** The parameter's shape, for messages: `firebase:<project id>`. */
  readonly usage: string;
  /** Whether `AUTH_HS256_SECRET` may replace the JWKS (Supabase's legacy JWT secret). */
  readonly sharedSecret: boolean;
  /** The settings for `parameter`; throws `misconfigured` naming `AUTH_PROVIDER` (or the var missing) when it is bad. */
  derive(input: ProviderInput): ProviderSettings;
}

/** A bad `AUTH_PROVIDER` parameter; the message never repeats the value. */
export function badParameter(message: string): ConfigProblem {
  return misconfigured("AUTH_PROVIDER", message);
}

/** One DNS host name as a provider's parameter: lowercase labels, at least two, no scheme, port or path. */
const HOST_NAME = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function isHostName(text: string): boolean {
  return HOST_NAME.test(text);
}

/** `aud` as jose reads it: a string equal to `expected`, or an array holding it. */
export function audienceIncludes(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}

/** A NumericDate no later than now, give or take the usual clock skew. */
export function isPastTime(value: unknown, now: Date): boolean {
  return (
    typeof value === "number" &&
    Number.isFinite(value) &&
    value <= Math.floor(now.getTime() / 1000) + JWT_CLOCK_TOLERANCE_SECONDS
  );
}

export function refuse(message: string, internal: string): ClaimRefusal {
  return { message, internal };
}

/** The refusal of an anonymous sign-in, worded alike for every provider that has them. */
export function refuseAnonymous(provider: string): ClaimRefusal {
  return refuse(
    "token is from an anonymous sign-in, which this broker does not accept (AUTH_ALLOW_ANONYMOUS)",
    `${provider} anonymous sign-in`,
  );
}
