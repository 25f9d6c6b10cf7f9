import { importJWK, type JWTPayload, SignJWT } from "jose";
import { inject } from "vitest";
import type { SigningAlgorithm } from "../provided-context";
import { AUDIENCE, HS256_SECRET, ISSUER } from "./broker";

const signingKeys = inject("signingKeys");
export const publicJwks = inject("publicJwks");

export type TestAlgorithm = SigningAlgorithm;

export interface TokenOptions {
  alg?: TestAlgorithm | "HS256";
  claims?: JWTPayload & Record<string, unknown>;
  /** Claims to drop from the defaults (`exp`, `sub`, `aud`, ...). */
  omit?: string[];
  kid?: string;
  /** HS256 secret; defaults to the test shared secret. */
  secret?: Uint8Array;
}

/** Signs an end-user token as the test identity provider would. */
export async function signToken(subject: string, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: subject,
    iat: now,
    exp: now + 600,
    ...options.claims,
  };
  for (const name of options.omit ?? []) delete claims[name];
  const alg = options.alg ?? "RS256";
  if (alg === "HS256") {
    return new SignJWT(claims)
      .setProtectedHeader({ alg, typ: "JWT" })
      .sign(options.secret ?? new TextEncoder().encode(HS256_SECRET));
  }
  const jwk = signingKeys[alg];
  const key = await importJWK(jwk, alg);
  return new SignJWT(claims).setProtectedHeader({ alg, kid: options.kid ?? jwk.kid, typ: "JWT" }).sign(key);
}

export async function bearer(subject: string, options?: TokenOptions): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await signToken(subject, options)}` };
}
