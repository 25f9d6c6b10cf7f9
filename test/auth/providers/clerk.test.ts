import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { expectError, uniqueUser } from "../../helpers/broker";
import { nowSeconds, PRESET_ONLY, ProviderKeys, refusal, withToken } from "./provider-keys";

const FRONTEND_API = "clerk.keys-demo.example";
/** Clerk's kid is the instance id. */
const KID = "ins_2mQ8wC3o0F1pXbJtR7nLk5Vd9Ze";
/** One of brokerEnv's ALLOWED_ORIGINS. */
const APP_ORIGIN = "https://app.example.com";

let keys: ProviderKeys;
let env: Partial<Env>;

beforeAll(async () => {
  keys = await ProviderKeys.publish({ alg: "RS256", kid: KID });
  env = { ...PRESET_ONLY, AUTH_PROVIDER: `clerk:${FRONTEND_API}`, AUTH_JWKS_URL: keys.jwksUrl };
});

/** A version 2 session token, as `session.getToken()` returns it on the app's page. */
function sessionTokenClaims(user: string): Record<string, unknown> {
  const now = nowSeconds();
  return {
    azp: APP_ORIGIN,
    exp: now + 60,
    fva: [0, -1],
    iat: now,
    iss: `https://${FRONTEND_API}`,
    nbf: now - 10,
    sid: "sess_2mQ8xD4p1G2qYcKuS8oMl6We0Af",
    sub: user,
    v: 2,
  };
}

describe("AUTH_PROVIDER=clerk:<frontend API host>", () => {
  it("accepts a session token shaped like Clerk's, with no aud and azp an allowed origin", async () => {
    const token = await keys.sign(KID, sessionTokenClaims(uniqueUser("user_")));
    expect((await withToken(token, env)).status).toBe(200);
  });

  it.each([
    ["azp another origin", { azp: "https://evil.example" }, "token was made for an origin that is not allowed (azp)"],
    ["no azp", { azp: undefined }, "token was made for an origin that is not allowed (azp)"],
    [
      "azp an allowed origin's look-alike",
      { azp: `${APP_ORIGIN}/` },
      "token was made for an origin that is not allowed (azp)",
    ],
    ["another instance's issuer", { iss: "https://clerk.other.example" }, "token has the wrong issuer"],
  ])("refuses the same token with %s", async (_case, change, message) => {
    const token = await keys.sign(KID, { ...sessionTokenClaims(uniqueUser("user_")), ...change });
    const error = await expectError(await withToken(token, env), 401, "unauthenticated");
    expect(error.message).toBe(message);
  });

  it('accepts a session token whose status (sts) is "active"', async () => {
    const token = await keys.sign(KID, { ...sessionTokenClaims(uniqueUser("user_")), sts: "active" });
    expect((await withToken(token, env)).status).toBe(200);
  });

  it.each([["pending"], ["ended"], [""], [["active"]]])(
    "refuses a session token whose sts is %j, as Clerk's SDKs treat it as signed out, never logging the token",
    async (sts) => {
      const token = await keys.sign(KID, { ...sessionTokenClaims(uniqueUser("user_")), sts });
      expect(await refusal(token, env)).toEqual({
        message: 'token is from a session that is not active (claim "sts"): Clerk treats it as signed out',
        reason: "clerk sts",
      });
    },
  );

  it("is misconfigured, not open, when ALLOWED_ORIGINS is empty and AUTH_AUDIENCE unset", async () => {
    const token = await keys.sign(KID, sessionTokenClaims(uniqueUser("user_")));
    const error = await expectError(await withToken(token, { ...env, ALLOWED_ORIGINS: "" }), 500, "misconfigured");
    expect(error.message).toContain("ALLOWED_ORIGINS");
  });

  describe("with AUTH_AUDIENCE, for a JWT template that sets aud", () => {
    const AUDIENCE = "keys-broker";
    const withAudience = (extra: Partial<Env> = {}) => ({ ...env, AUTH_AUDIENCE: AUDIENCE, ...extra });

    it("checks aud as well as azp", async () => {
      const user = uniqueUser("user_");
      expect(
        (await withToken(await keys.sign(KID, { ...sessionTokenClaims(user), aud: AUDIENCE }), withAudience())).status,
      ).toBe(200);
      const wrongAud = await keys.sign(KID, { ...sessionTokenClaims(user), aud: "another-app" });
      expect((await expectError(await withToken(wrongAud, withAudience()), 401, "unauthenticated")).message).toBe(
        "token has the wrong audience",
      );
      const wrongAzp = await keys.sign(KID, {
        ...sessionTokenClaims(user),
        aud: AUDIENCE,
        azp: "https://evil.example",
      });
      expect((await expectError(await withToken(wrongAzp, withAudience()), 401, "unauthenticated")).message).toContain(
        "azp",
      );
    });

    it("still refuses a pending session's token", async () => {
      const token = await keys.sign(KID, { ...sessionTokenClaims(uniqueUser("user_")), aud: AUDIENCE, sts: "pending" });
      expect((await refusal(token, withAudience())).reason).toBe("clerk sts");
    });

    it("accepts a token without azp (a native app) on aud alone, even with ALLOWED_ORIGINS empty", async () => {
      const token = await keys.sign(KID, { ...sessionTokenClaims(uniqueUser("user_")), azp: undefined, aud: AUDIENCE });
      expect((await withToken(token, withAudience({ ALLOWED_ORIGINS: "" }))).status).toBe(200);
      const noAud = await keys.sign(KID, { ...sessionTokenClaims(uniqueUser("user_")), azp: undefined });
      await expectError(await withToken(noAud, withAudience({ ALLOWED_ORIGINS: "" })), 401, "unauthenticated");
    });
  });
});
