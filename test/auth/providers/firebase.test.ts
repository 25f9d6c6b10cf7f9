import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { expectError, uniqueUser } from "../../helpers/broker";
import { ANONYMOUS_REFUSED, nowSeconds, PRESET_ONLY, ProviderKeys, refusal, withToken } from "./provider-keys";

const PROJECT = "keys-demo-7f3a";
/** Google's securetoken kids are 40 hex characters. */
const KID = "a3b762f871cdb3bae0044c649622fc1396eda3e3";
const OTHER_ALG_KID = "0d8a67399e7882acae7d7f68b2280256a796a582";

let keys: ProviderKeys;
let env: Partial<Env>;

beforeAll(async () => {
  keys = await ProviderKeys.publish({ alg: "RS256", kid: KID }, { alg: "ES256", kid: OTHER_ALG_KID });
  env = { ...PRESET_ONLY, AUTH_PROVIDER: `firebase:${PROJECT}`, AUTH_JWKS_URL: keys.jwksUrl };
});

/** A Firebase ID token as `user.getIdToken()` returns it, for an email/password user. */
function idTokenClaims(uid: string): Record<string, unknown> {
  const now = nowSeconds();
  return {
    iss: `https://securetoken.google.com/${PROJECT}`,
    aud: PROJECT,
    auth_time: now - 300,
    user_id: uid,
    sub: uid,
    iat: now - 60,
    exp: now + 3540,
    email: "alice@example.com",
    email_verified: true,
    firebase: { identities: { email: ["alice@example.com"] }, sign_in_provider: "password" },
  };
}

describe("AUTH_PROVIDER=firebase:<project id>", () => {
  it("accepts an ID token shaped like Firebase's, RS256 with Google's kid format", async () => {
    const token = await keys.sign(KID, idTokenClaims(uniqueUser("fb")));
    expect((await withToken(token, env)).status).toBe(200);
  });

  it.each([
    ["another project's audience", { aud: "someone-elses-app" }, "token has the wrong audience"],
    [
      "another project's issuer",
      { iss: "https://securetoken.google.com/someone-elses-app" },
      "token has the wrong issuer",
    ],
    ["auth_time in the future", { auth_time: nowSeconds() + 600 }, 'token claim "auth_time" must be in the past'],
    ["no auth_time", { auth_time: undefined }, 'token claim "auth_time" must be in the past'],
    ["iat in the future", { iat: nowSeconds() + 600 }, 'token claim "iat" must be in the past'],
  ])("refuses the same token with %s", async (_case, change, message) => {
    const token = await keys.sign(KID, { ...idTokenClaims(uniqueUser("fb")), ...change });
    const error = await expectError(await withToken(token, env), 401, "unauthenticated");
    expect(error.message).toBe(message);
  });

  it("refuses an empty sub even when client_ref comes from another claim", async () => {
    const token = await keys.sign(KID, { ...idTokenClaims(uniqueUser("fb")), sub: "" });
    const error = await expectError(
      await withToken(token, { ...env, CLIENT_REF_CLAIM: "user_id" }),
      401,
      "unauthenticated",
    );
    expect(error.message).toContain('"sub"');
  });

  it("refuses an ES256 token from its own key set: Firebase signs with RS256 only", async () => {
    const token = await keys.sign(OTHER_ALG_KID, idTokenClaims(uniqueUser("fb")));
    const error = await expectError(await withToken(token, env), 401, "unauthenticated");
    expect(error.message).toBe("token algorithm is not allowed");
  });
});

/** An anonymous user's ID token (`signInAnonymously()`): no email, no identities. */
function anonymousIdTokenClaims(uid: string): Record<string, unknown> {
  const { email: _email, email_verified: _verified, ...claims } = idTokenClaims(uid);
  return { ...claims, provider_id: "anonymous", firebase: { identities: {}, sign_in_provider: "anonymous" } };
}

describe("AUTH_PROVIDER=firebase:<project id> and anonymous sign-ins", () => {
  it.each([
    ["unset", undefined],
    ["false", "false"],
  ])("refuses one with 401 when AUTH_ALLOW_ANONYMOUS is %s, never logging the token", async (_case, allow) => {
    const token = await keys.sign(KID, anonymousIdTokenClaims(uniqueUser("fb")));
    expect(await refusal(token, { ...env, AUTH_ALLOW_ANONYMOUS: allow })).toEqual({
      message: ANONYMOUS_REFUSED,
      reason: "firebase anonymous sign-in",
    });
  });

  it("accepts one with AUTH_ALLOW_ANONYMOUS=true", async () => {
    const token = await keys.sign(KID, anonymousIdTokenClaims(uniqueUser("fb")));
    expect((await withToken(token, { ...env, AUTH_ALLOW_ANONYMOUS: "true" })).status).toBe(200);
  });

  it.each(["google.com", "password", "phone", "custom"])("accepts a user who signed in with %s", async (provider) => {
    const claims = idTokenClaims(uniqueUser("fb"));
    const token = await keys.sign(KID, { ...claims, firebase: { identities: {}, sign_in_provider: provider } });
    expect((await withToken(token, env)).status).toBe(200);
  });

  it("is misconfigured, naming it, when AUTH_ALLOW_ANONYMOUS is neither true nor false", async () => {
    const token = await keys.sign(KID, anonymousIdTokenClaims(uniqueUser("fb")));
    const error = await expectError(
      await withToken(token, { ...env, AUTH_ALLOW_ANONYMOUS: "yes" }),
      500,
      "misconfigured",
    );
    expect(error.message).toBe("AUTH_ALLOW_ANONYMOUS must be true or false");
  });
});
