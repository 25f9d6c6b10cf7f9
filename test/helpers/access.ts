import { importJWK, type JWTPayload, SignJWT } from "jose";
import { inject } from "vitest";
import type { Env } from "../../src/env";
import { emulatorUrl } from "./broker";

/** The tests' Cloudflare Access team: its private key, and the settings that point the broker at it. */
export const accessSigningKey = inject("accessSigningKey");
export const ACCESS_TEAM_DOMAIN = "broker-tests.cloudflareaccess.com";
export const ACCESS_ISSUER = `https://${ACCESS_TEAM_DOMAIN}`;
/** An Access application audience tag: 64 hex characters, as the dashboard shows it. */
export const ACCESS_AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

/** Env overrides that put Cloudflare Access in front of the admin API. */
export const ACCESS_ENV: Partial<Env> = {
  ACCESS_TEAM_DOMAIN,
  ACCESS_AUD,
  ACCESS_JWKS_URL: `${emulatorUrl}/cdn-cgi/access/certs`,
};

export interface AccessTokenOptions {
  claims?: JWTPayload & Record<string, unknown>;
  /** Claims to drop from the defaults (`exp`, `email`, ...). */
  omit?: string[];
  /** The algorithm; the team's key signs with RS256, or with any RSA algorithm asked for here. */
  alg?: string;
  /** Another private key to sign with (and its `kid`). */
  key?: { jwk: Record<string, unknown>; kid: string };
}

/** An application token as Cloudflare Access issues one: RS256, `aud` a list holding the AUD tag. */
export async function signAccessToken(email: string, options: AccessTokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    aud: [ACCESS_AUD],
    email,
    exp: now + 600,
    iat: now,
    nbf: now,
    iss: ACCESS_ISSUER,
    type: "app",
    identity_nonce: "6ei69kawdKzMIAPF",
    sub: "7335d417-61da-459d-899c-0a01c76a2f94",
    country: "US",
    ...options.claims,
  };
  for (const name of options.omit ?? []) delete claims[name];
  const alg = options.alg ?? "RS256";
  const jwk = options.key?.jwk ?? accessSigningKey;
  const kid = options.key?.kid ?? (accessSigningKey.kid as string);
  return new SignJWT(claims).setProtectedHeader({ alg, kid }).sign(await importJWK(jwk, alg));
}
