import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import type { Env } from "../../src/env";
import { createApp } from "../../src/index";
import { AUDIENCE, brokerEnv, ISSUER, uniqueUser } from "../helpers/broker";
import type { ManualClock } from "./clocked-broker";

/**
 * The broker as `src/index.ts` builds it, on `clock` and with `network` as its `fetch`
 * (the real one unless given): POST /v1/keys/speechmatics with `token`. A mint, so that
 * a test sees a refused token get no key; Speechmatics' expiry is computed by the
 * broker, so any clock works. The burst limit is off: these tests mint in bursts.
 */
export function clockedMint(
  clock: ManualClock,
  env: Partial<Env>,
  network: typeof fetch = (input, init) => fetch(input, init),
) {
  const app = createApp({ now: clock.now, fetch: network });
  return async (token: string): Promise<Response> => {
    const request = new Request("https://broker.test/v1/keys/speechmatics", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
    const ctx = createExecutionContext();
    const response = await app.fetch(request, brokerEnv({ MINT_RATE_LIMITER: undefined, ...env }), ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}

export type KeyAlgorithm = "RS256" | "ES256" | "EdDSA";

/** A signing key of the identity provider's: its public JWK to publish, and tokens signed with it. */
export interface ProviderKey {
  kid: string;
  publicJwk: JWK;
  /** A token valid on `clock`; `kid: null` leaves the header without one, a string names another key. */
  sign(clock: ManualClock, options?: { kid?: string | null }): Promise<string>;
}

export async function providerKey(alg: KeyAlgorithm, publish: Partial<JWK> = {}): Promise<ProviderKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg}-${crypto.randomUUID()}`;
  return {
    kid,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig", ...publish },
    sign: (clock, options = {}) => signWith(privateKey, alg, options.kid === undefined ? kid : options.kid, clock),
  };
}

function signWith(key: CryptoKey, alg: string, kid: string | null, clock: ManualClock): Promise<string> {
  return new SignJWT({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: uniqueUser(),
    iat: clock.seconds(),
    exp: clock.seconds() + 600,
  })
    .setProtectedHeader(kid === null ? { alg } : { alg, kid })
    .sign(key);
}
