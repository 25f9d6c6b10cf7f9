import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { JWKS_MAX_AGE_MS, JWKS_REFETCH_COOLDOWN_MS, MAX_JWKS_BODY_BYTES } from "../../src/constants";
import { AUDIENCE, captureLogs, expectError, ISSUER, uniqueUser } from "../helpers/broker";
import { publicJwks, signToken, type TokenOptions } from "../helpers/tokens";
import { clockedBroker, ManualClock } from "./clocked-broker";
import { TestIdentityProvider } from "./identity-provider";

/** Each test gets its own identity provider (so its own key-set cache entry) and its own clock. */
async function setup() {
  const clock = new ManualClock();
  const provider = new TestIdentityProvider();
  const broker = clockedBroker(clock, { AUTH_JWKS_URL: provider.jwksUrl });
  /** A token from the emulator's usual keys, valid at the clock's time. */
  const token = (options: TokenOptions = {}) =>
    signToken(uniqueUser(), { ...options, claims: { iat: clock.seconds(), exp: clock.seconds() + 600 } });
  return { clock, provider, broker, token };
}

/** A key pair the provider rotates in, and tokens signed with it. */
async function rotatedKey(clock: ManualClock) {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = `rotated-${crypto.randomUUID()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  const sign = () => signWith(privateKey, kid, clock);
  return { publicJwk, sign };
}

function signWith(key: CryptoKey, kid: string, clock: ManualClock): Promise<string> {
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: uniqueUser(), exp: clock.seconds() + 600 })
    .setProtectedHeader({ alg: "ES256", kid })
    .sign(key);
}

const CONCURRENT_REQUESTS = 100;

describe("the identity provider's key set", () => {
  it("serves the last good keys when a refetch fails, and backs off before trying again", async () => {
    const { clock, provider, broker, token } = await setup();
    expect((await broker(await token())).status).toBe(200);
    expect(await provider.fetches()).toBe(1);

    await provider.set({ mode: "down" });
    clock.advance(JWKS_MAX_AGE_MS + 1_000);
    expect((await broker(await token())).status).toBe(200);
    expect(await provider.fetches()).toBe(2);

    // Within the backoff, requests are answered from the old keys without waiting on the provider.
    clock.advance(JWKS_REFETCH_COOLDOWN_MS - 2_000);
    for (let i = 0; i < 3; i++) expect((await broker(await token())).status).toBe(200);
    expect(await provider.fetches()).toBe(2);

    clock.advance(2_000);
    expect((await broker(await token())).status).toBe(200);
    expect(await provider.fetches()).toBe(3);
  });

  it("answers 401 for an unknown kid while the provider is failing and keys are cached, then accepts it once published", async () => {
    const { clock, provider, broker, token } = await setup();
    expect((await broker(await token())).status).toBe(200);
    await provider.set({ mode: "down" });
    clock.advance(JWKS_MAX_AGE_MS + 1_000);
    expect((await broker(await token())).status).toBe(200);
    expect(await provider.fetches()).toBe(2);
    const rotated = await rotatedKey(clock);

    // Within the backoff no refetch is tried: the kid is simply unknown.
    const withinBackoff = await expectError(await broker(await rotated.sign()), 401, "unauthenticated");
    expect(withinBackoff.message).toBe("token was signed by an unknown key");
    expect(await provider.fetches()).toBe(2);

    // After the backoff the refetch is tried, fails again, and the answer is still 401.
    clock.advance(JWKS_REFETCH_COOLDOWN_MS);
    const afterFailedRefetch = await expectError(await broker(await rotated.sign()), 401, "unauthenticated");
    expect(afterFailedRefetch.message).toBe("token was signed by an unknown key");
    expect(await provider.fetches()).toBe(3);
    expect((await broker(await token())).status).toBe(200);

    // Once the provider is back and publishes the key, the next refetch picks it up.
    await provider.set({ mode: "up", keys: [...publicJwks.keys, rotated.publicJwk] });
    clock.advance(JWKS_REFETCH_COOLDOWN_MS);
    expect((await broker(await rotated.sign())).status).toBe(200);
    expect(await provider.fetches()).toBe(4);
  });

  it("answers 503 auth_unavailable while no key set was ever fetched, backing off between attempts", async () => {
    const { clock, provider, broker, token } = await setup();
    await provider.set({ mode: "down" });
    const error = await expectError(await broker(await token()), 503, "auth_unavailable");
    expect(error.message).toContain("identity provider");
    await expectError(await broker(await token()), 503, "auth_unavailable");
    expect(await provider.fetches()).toBe(1);

    await provider.set({ mode: "up" });
    clock.advance(JWKS_REFETCH_COOLDOWN_MS);
    expect((await broker(await token())).status).toBe(200);
    expect(await provider.fetches()).toBe(2);
  });

  it(`refetches once for ${CONCURRENT_REQUESTS} concurrent requests with a rotated-in kid, and accepts it`, async () => {
    const { clock, provider, broker, token } = await setup();
    expect((await broker(await token())).status).toBe(200);
    const rotated = await rotatedKey(clock);
    await provider.set({ mode: "up", keys: [...publicJwks.keys, rotated.publicJwk] });
    clock.advance(JWKS_REFETCH_COOLDOWN_MS);

    const storm = await rotated.sign();
    const responses = await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, () => broker(storm)));
    expect(await provider.fetches()).toBe(2);
    // The requests that did not fetch waited for the one that did.
    expect(responses.map((response) => response.status)).toEqual(Array(CONCURRENT_REQUESTS).fill(200));

    expect((await broker(await rotated.sign())).status).toBe(200);
    expect(await provider.fetches()).toBe(2);
  });

  it(`refetches at most once for ${CONCURRENT_REQUESTS} concurrent requests with a kid nobody publishes`, async () => {
    const { clock, provider, broker, token } = await setup();
    expect((await broker(await token())).status).toBe(200);
    clock.advance(JWKS_REFETCH_COOLDOWN_MS);

    const forged = await token({ kid: "nobody-publishes-this" });
    const responses = await Promise.all(Array.from({ length: CONCURRENT_REQUESTS }, () => broker(forged)));
    for (const response of responses) await expectError(response, 401, "unauthenticated");
    expect(await provider.fetches()).toBe(2);
  });

  it("answers 503 auth_unavailable once an oversized key set passes the cap, not at the timeout", async () => {
    const { provider, broker, token } = await setup();
    // A valid key set's start, then padding without end: a broker that buffered it whole could only end at
    // the 30 s timeout, long after this test's own timeout.
    await provider.set({ mode: "oversized" });
    const { result, lines } = await captureLogs(async () => broker(await token(), { UPSTREAM_TIMEOUT_MS: "30000" }));
    await expectError(result, 503, "auth_unavailable");
    expect(lines.join("\n")).toContain(`JWKS body over ${MAX_JWKS_BODY_BYTES} bytes`);
  });
});
