import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { expectError, uniqueUser } from "../../helpers/broker";
import { ANONYMOUS_REFUSED, nowSeconds, PRESET_ONLY, ProviderKeys, refusal, withToken } from "./provider-keys";

const REF = "qwertyuiopasdfghjklz";
/** Supabase signing keys have UUID kids; new projects default to ES256. */
const ES256_KID = "3a18cfe2-7226-43b0-bbb4-7c5242f2406e";
const RS256_KID = "9b2c7e41-5d0f-4a8e-b3c6-1f7d2e8a9c05";
/** A legacy JWT secret, like the one `supabase start` uses. */
const LEGACY_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

let keys: ProviderKeys;
let env: Partial<Env>;

beforeAll(async () => {
  keys = await ProviderKeys.publish({ alg: "ES256", kid: ES256_KID }, { alg: "RS256", kid: RS256_KID });
  env = { ...PRESET_ONLY, AUTH_PROVIDER: `supabase:${REF}`, AUTH_JWKS_URL: keys.jwksUrl };
});

/** A signed-in user's access token, as `supabase.auth.getSession()` holds it. */
function accessTokenClaims(user: string): Record<string, unknown> {
  const now = nowSeconds();
  return {
    iss: `https://${REF}.supabase.co/auth/v1`,
    sub: user,
    aud: "authenticated",
    exp: now + 3600,
    iat: now,
    email: "alice@example.com",
    phone: "",
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: { email_verified: true },
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: now }],
    session_id: crypto.randomUUID(),
    is_anonymous: false,
  };
}

/** The project's anon API key: also a JWT, signed with the legacy secret, but no user's. */
function anonKeyClaims(): Record<string, unknown> {
  return { iss: "supabase", ref: REF, role: "anon", iat: nowSeconds() - 86_400, exp: nowSeconds() + 10 * 365 * 86_400 };
}

function signLegacy(claims: Record<string, unknown>, secret = LEGACY_SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
}

describe("AUTH_PROVIDER=supabase:<project ref> with JWT signing keys", () => {
  it.each([
    ["ES256", ES256_KID],
    ["RS256", RS256_KID],
  ])("accepts a user's access token signed with an %s signing key", async (_alg, kid) => {
    const token = await keys.sign(kid, accessTokenClaims(crypto.randomUUID()));
    expect((await withToken(token, env)).status).toBe(200);
  });

  it.each([
    ["role service_role", { role: "service_role" }, 'token claim "role" must be "authenticated"'],
    ["role anon", { role: "anon" }, 'token claim "role" must be "authenticated"'],
    ["aud anon", { aud: "anon" }, "token has the wrong audience"],
    [
      "another project's issuer",
      { iss: "https://zyxwvutsrqponmlkjihg.supabase.co/auth/v1" },
      "token has the wrong issuer",
    ],
  ])("refuses the same token with %s", async (_case, change, message) => {
    const token = await keys.sign(ES256_KID, { ...accessTokenClaims(crypto.randomUUID()), ...change });
    const error = await expectError(await withToken(token, env), 401, "unauthenticated");
    expect(error.message).toBe(message);
  });

  // An allowlist, not a denylist of the two API keys' roles: any other role a JWT may carry is refused too.
  it.each([
    ["no role", { role: undefined }],
    ["role supabase_admin", { role: "supabase_admin" }],
    ["role postgres", { role: "postgres" }],
    ["role Authenticated (another case)", { role: "Authenticated" }],
    ["role an array holding authenticated", { role: ["authenticated"] }],
  ])("refuses the same token with %s: only authenticated is a user", async (_case, change) => {
    const token = await keys.sign(ES256_KID, { ...accessTokenClaims(crypto.randomUUID()), ...change });
    expect(await refusal(token, env)).toEqual({
      message: 'token claim "role" must be "authenticated"',
      reason: "supabase role",
    });
  });

  it("refuses an HS256 token: the JWKS is asymmetric", async () => {
    const token = await signLegacy(accessTokenClaims(crypto.randomUUID()));
    await expectError(await withToken(token, env), 401, "unauthenticated");
  });
});

describe("AUTH_PROVIDER=supabase:<project ref> with the legacy JWT secret (AUTH_HS256_SECRET)", () => {
  const legacy = (): Partial<Env> => ({
    ...PRESET_ONLY,
    AUTH_PROVIDER: `supabase:${REF}`,
    AUTH_JWKS_URL: undefined,
    AUTH_HS256_SECRET: LEGACY_SECRET,
  });

  it("accepts a user's HS256 access token", async () => {
    expect((await withToken(await signLegacy(accessTokenClaims(uniqueUser())), legacy())).status).toBe(200);
  });

  it.each([
    ["role service_role", { role: "service_role" }, 'token claim "role" must be "authenticated"'],
    ["aud anon", { aud: "anon" }, "token has the wrong audience"],
    [
      "another project's issuer",
      { iss: "https://zyxwvutsrqponmlkjihg.supabase.co/auth/v1" },
      "token has the wrong issuer",
    ],
  ])("still refuses the same token with %s", async (_case, change, message) => {
    const token = await signLegacy({ ...accessTokenClaims(uniqueUser()), ...change });
    const error = await expectError(await withToken(token, legacy()), 401, "unauthenticated");
    expect(error.message).toBe(message);
  });

  it("refuses an anonymous sign-in's token too", async () => {
    const token = await signLegacy({ ...accessTokenClaims(uniqueUser()), is_anonymous: true });
    expect((await refusal(token, legacy())).message).toBe(ANONYMOUS_REFUSED);
  });

  it("refuses the project's anon key, which the same secret signs", async () => {
    await expectError(await withToken(await signLegacy(anonKeyClaims()), legacy()), 401, "unauthenticated");
  });

  it("refuses a token signed with another secret", async () => {
    const token = await signLegacy(accessTokenClaims(uniqueUser()), "another-projects-jwt-secret-0123456789abcdef");
    const error = await expectError(await withToken(token, legacy()), 401, "unauthenticated");
    expect(error.message).toBe("token signature is invalid");
  });
});

describe("AUTH_PROVIDER=supabase:<project ref> and anonymous sign-ins", () => {
  /** `signInAnonymously()`'s access token: role authenticated like any user's, with is_anonymous true. */
  function anonymousClaims(user: string): Record<string, unknown> {
    return {
      ...accessTokenClaims(user),
      email: "",
      app_metadata: {},
      user_metadata: {},
      amr: [{ method: "anonymous", timestamp: nowSeconds() }],
      is_anonymous: true,
    };
  }

  it.each([
    ["unset", undefined],
    ["false", "false"],
  ])("refuses one with 401 when AUTH_ALLOW_ANONYMOUS is %s, never logging the token", async (_case, allow) => {
    const token = await keys.sign(ES256_KID, anonymousClaims(uniqueUser()));
    expect(await refusal(token, { ...env, AUTH_ALLOW_ANONYMOUS: allow })).toEqual({
      message: ANONYMOUS_REFUSED,
      reason: "supabase anonymous sign-in",
    });
  });

  it("accepts one with AUTH_ALLOW_ANONYMOUS=true, still checking its role", async () => {
    const allowed = { ...env, AUTH_ALLOW_ANONYMOUS: "true" };
    expect((await withToken(await keys.sign(ES256_KID, anonymousClaims(uniqueUser())), allowed)).status).toBe(200);
    const anonRole = await keys.sign(ES256_KID, { ...anonymousClaims(uniqueUser()), role: "anon" });
    expect((await refusal(anonRole, allowed)).reason).toBe("supabase role");
  });
});
