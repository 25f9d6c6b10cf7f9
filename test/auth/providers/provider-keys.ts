import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { expect } from "vitest";
import type { Env } from "../../../src/env";
import { call, captureLogs, expectError } from "../../helpers/broker";
import { TestIdentityProvider } from "../identity-provider";

export interface KeySpec {
  alg: "RS256" | "ES256";
  /** The `kid` as the provider writes it. */
  kid: string;
}

/**
 * A provider's signing keys, made here and published as its JWKS on the emulator
 * (loopback): the preset's derived JWKS URL is replaced with `jwksUrl`, while its
 * issuer, audience and claim checks stay the derived ones.
 */
export class ProviderKeys {
  private constructor(
    readonly jwksUrl: string,
    private readonly keys: Map<string, { alg: KeySpec["alg"]; privateKey: CryptoKey }>,
  ) {}

  static async publish(...specs: KeySpec[]): Promise<ProviderKeys> {
    const keys = new Map<string, { alg: KeySpec["alg"]; privateKey: CryptoKey }>();
    const published: unknown[] = [];
    for (const { alg, kid } of specs) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      keys.set(kid, { alg, privateKey });
      published.push({ ...(await exportJWK(publicKey)), kid, alg, use: "sig" });
    }
    const idp = new TestIdentityProvider();
    await idp.set({ mode: "up", keys: published });
    return new ProviderKeys(idp.jwksUrl, keys);
  }

  /** Signs `claims` with the key `kid`; `typ` as the provider writes it (Cognito leaves it out). */
  async sign(kid: string, claims: JWTPayload, options: { typ?: string } = { typ: "JWT" }): Promise<string> {
    const key = this.keys.get(kid);
    if (!key) throw new Error(`no key ${kid}`);
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid, typ: options.typ }).sign(key.privateKey);
  }
}

/** GET /v1/vendors, the cheapest route that needs an end-user token, with `token` on `brokerEnv(env)`. */
export function withToken(token: string, env: Partial<Env>): Promise<Response> {
  return call("/v1/vendors", { headers: { Authorization: `Bearer ${token}` }, env });
}

/** What the firebase and supabase presets answer to an anonymous sign-in's token. */
export const ANONYMOUS_REFUSED =
  "token is from an anonymous sign-in, which this broker does not accept (AUTH_ALLOW_ANONYMOUS)";

/**
 * `withToken`, which must answer `401 unauthenticated`: returns the message and the
 * reason the request's log line gives, after checking that no log line holds the token
 * or any part of its payload or signature.
 */
export async function refusal(token: string, env: Partial<Env>): Promise<{ message: string; reason: unknown }> {
  const { result, lines } = await captureLogs(() => withToken(token, env));
  const { message } = await expectError(result, 401, "unauthenticated");
  const [, payload, signature] = token.split(".");
  for (const line of lines) for (const part of [payload, signature]) expect(line).not.toContain(part);
  const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { message, reason: logged.find((line) => line.msg === "request")?.reason };
}

/** The broker's test settings for AUTH_ISSUER and AUTH_AUDIENCE removed, so that only the preset speaks. */
export const PRESET_ONLY: Partial<Env> = { AUTH_ISSUER: undefined, AUTH_AUDIENCE: undefined };

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
