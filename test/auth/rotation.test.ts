import { base64url, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { JWKS_MAX_AGE_MS, JWKS_REFETCH_COOLDOWN_MS } from "../../src/constants";
import { AUDIENCE, expectError, ISSUER, uniqueUser } from "../helpers/broker";
import { ManualClock } from "./clocked-broker";
import { clockedMint, type KeyAlgorithm, type ProviderKey, providerKey } from "./clocked-mint";
import { TestIdentityProvider } from "./identity-provider";

const UNKNOWN_KEY = "token was signed by an unknown key";

/** An identity provider of the test's own publishing `keys`, and the broker minting on its clock. */
async function setup(keys: ProviderKey[], clock = new ManualClock()) {
  const provider = new TestIdentityProvider();
  await provider.set({ mode: "up", keys: keys.map((key) => key.publicJwk) });
  const mintWith = clockedMint(clock, { AUTH_JWKS_URL: provider.jwksUrl });
  return { clock, provider, mintWith };
}

/** The token is refused as docs/identity-providers.md says (401, with this message) and gets no key. */
async function refused(response: Response, message: string): Promise<void> {
  const error = await expectError(response, 401, "unauthenticated");
  expect(error.message).toBe(message);
}

describe("a key rotation at the identity provider", () => {
  it("accepts the new kid after the refetch, and refuses the removed key once the cached set is refreshed", async () => {
    const [old, next] = [await providerKey("RS256"), await providerKey("RS256")];
    const { clock, provider, mintWith } = await setup([old]);
    expect((await mintWith(await old.sign(clock))).status).toBe(201);

    // The provider publishes the next key beside the old one; a token naming it triggers a refetch.
    await provider.set({ mode: "up", keys: [old.publicJwk, next.publicJwk] });
    clock.advance(JWKS_REFETCH_COOLDOWN_MS);
    expect((await mintWith(await next.sign(clock))).status).toBe(201);
    expect(await provider.fetches()).toBe(2);

    // Then it retires the old key. The cached set still has it, for at most JWKS_MAX_AGE_MS.
    await provider.set({ mode: "up", keys: [next.publicJwk] });
    expect((await mintWith(await old.sign(clock))).status).toBe(201);
    expect(await provider.fetches()).toBe(2);

    clock.advance(JWKS_MAX_AGE_MS);
    await refused(await mintWith(await old.sign(clock)), UNKNOWN_KEY);
    expect(await provider.fetches()).toBe(3);
    expect((await mintWith(await next.sign(clock))).status).toBe(201);
    // The removed kid is not worth another fetch within the cooldown.
    await refused(await mintWith(await old.sign(clock)), UNKNOWN_KEY);
    expect(await provider.fetches()).toBe(3);
  });

  it("refuses the removed key as soon as any refetch brings a set without it", async () => {
    const [old, next] = [await providerKey("ES256"), await providerKey("ES256")];
    const { clock, provider, mintWith } = await setup([old]);
    expect((await mintWith(await old.sign(clock))).status).toBe(201);

    // A rotation that replaces the key outright: the new kid's refetch also drops the old key, long before
    // the cached set would have aged out.
    await provider.set({ mode: "up", keys: [next.publicJwk] });
    clock.advance(JWKS_REFETCH_COOLDOWN_MS);
    expect((await mintWith(await next.sign(clock))).status).toBe(201);
    await refused(await mintWith(await old.sign(clock)), UNKNOWN_KEY);
    expect(await provider.fetches()).toBe(2);
  });
});

describe("one key set with RS256, ES256 and EdDSA keys", () => {
  const algorithms: KeyAlgorithm[] = ["RS256", "ES256", "EdDSA"];

  async function mixedSet() {
    const keys = Object.fromEntries(
      await Promise.all(algorithms.map(async (alg) => [alg, await providerKey(alg)] as const)),
    ) as Record<KeyAlgorithm, ProviderKey>;
    return { keys, ...(await setup(Object.values(keys))) };
  }

  it("accepts a token of each algorithm, each with its own key", async () => {
    const { keys, clock, provider, mintWith } = await mixedSet();
    for (const alg of algorithms) expect((await mintWith(await keys[alg].sign(clock))).status).toBe(201);
    expect(await provider.fetches()).toBe(1);
  });

  it.each([
    ["an ES256 token naming the RSA key", "ES256", "RS256"],
    ["an RS256 token naming the EC key", "RS256", "ES256"],
    ["an EdDSA token naming the EC key", "EdDSA", "ES256"],
    ["an ES256 token naming the Ed25519 key", "ES256", "EdDSA"],
  ] as const)("refuses %s: a kid is only used with a key of the token's type", async (_case, signer, named) => {
    const { keys, clock, mintWith } = await mixedSet();
    await refused(await mintWith(await keys[signer].sign(clock, { kid: keys[named].kid })), UNKNOWN_KEY);
  });

  it("never verifies with a key published for encryption, or without verify in its key_ops", async () => {
    const clock = new ManualClock();
    const forEncryption = await providerKey("RS256", { use: "enc" });
    const notForVerifying = await providerKey("ES256", { key_ops: ["encrypt"] });
    const good = await providerKey("EdDSA");
    const { mintWith } = await setup([forEncryption, notForVerifying, good], clock);
    await refused(await mintWith(await forEncryption.sign(clock)), UNKNOWN_KEY);
    await refused(await mintWith(await notForVerifying.sign(clock)), UNKNOWN_KEY);
    expect((await mintWith(await good.sign(clock))).status).toBe(201);
  });

  it("refuses HS256 with a symmetric key the set publishes, and keeps verifying with the others", async () => {
    const clock = new ManualClock();
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const oct = { kty: "oct", k: base64url.encode(secret), kid: `oct-${crypto.randomUUID()}`, alg: "HS256" };
    const rsa = await providerKey("RS256");
    const provider = new TestIdentityProvider();
    await provider.set({ mode: "up", keys: [oct, rsa.publicJwk] });
    const mintWith = clockedMint(clock, { AUTH_JWKS_URL: provider.jwksUrl });
    const hs256 = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: uniqueUser(), exp: clock.seconds() + 600 })
      .setProtectedHeader({ alg: "HS256", kid: oct.kid })
      .sign(secret);
    await refused(await mintWith(hs256), "token algorithm is not allowed");
    expect((await mintWith(await rsa.sign(clock))).status).toBe(201);
  });
});

describe("a token without kid", () => {
  it("is verified with the one key of its type when the set has only one", async () => {
    const [rsa, ec] = [await providerKey("RS256"), await providerKey("ES256")];
    const { clock, mintWith } = await setup([rsa, ec]);
    expect((await mintWith(await rsa.sign(clock, { kid: null }))).status).toBe(201);
    expect((await mintWith(await ec.sign(clock, { kid: null }))).status).toBe(201);
  });

  it("is refused, without a refetch, when two keys of its type could have signed it, whichever did", async () => {
    const [first, second, ec] = [await providerKey("RS256"), await providerKey("RS256"), await providerKey("ES256")];
    const { clock, provider, mintWith } = await setup([first, second, ec]);
    expect((await mintWith(await first.sign(clock))).status).toBe(201);
    clock.advance(JWKS_REFETCH_COOLDOWN_MS);

    // The broker does not try each key in turn: an ambiguous token is refused, valid signature or not.
    await refused(await mintWith(await first.sign(clock, { kid: null })), UNKNOWN_KEY);
    await refused(await mintWith(await second.sign(clock, { kid: null })), UNKNOWN_KEY);
    // The set is not in doubt, so it is not fetched again.
    expect(await provider.fetches()).toBe(1);
    // A type with one key in the set is unambiguous.
    expect((await mintWith(await ec.sign(clock, { kid: null }))).status).toBe(201);
  });

  it("is refused when signed by a key nobody published", async () => {
    const [published, stranger] = [await providerKey("RS256"), await providerKey("RS256")];
    const { clock, mintWith } = await setup([published]);
    await refused(await mintWith(await stranger.sign(clock, { kid: null })), "token signature is invalid");
  });
});
