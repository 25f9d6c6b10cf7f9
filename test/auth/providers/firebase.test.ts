import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { expectError, uniqueUser } from "../../helpers/broker";
import { nowSeconds, PRESET_ONLY, ProviderKeys, withToken } from "./provider-keys";

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
