import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../../src/env";
import { expectError } from "../../helpers/broker";
import { nowSeconds, PRESET_ONLY, ProviderKeys, withToken } from "./provider-keys";

const REGION = "eu-west-1";
const POOL = "eu-west-1_Ab12Cd34E";
const CLIENT_ID = "5r8q1v2k3m4n5b6c7d8e9f0g1h";
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL}`;
/** Cognito's kids are base64 digests; access and ID tokens are signed with different keys. */
const ACCESS_KID = "Xk2Q9mN1b7RzT4vW8yA3cE5gH6jK0lP2sU4wY6zB8dF=";
const ID_KID = "pL3nM5bV7cX9zA1sD3fG5hJ7kL9qW1eR3tY5uI7oP9a=";
/** Cognito headers carry kid and alg only. */
const HEADER = { typ: undefined };

let keys: ProviderKeys;
let env: Partial<Env>;

beforeAll(async () => {
  keys = await ProviderKeys.publish({ alg: "RS256", kid: ACCESS_KID }, { alg: "RS256", kid: ID_KID });
  env = {
    ...PRESET_ONLY,
    AUTH_PROVIDER: `cognito:${REGION}/${POOL}`,
    AUTH_AUDIENCE: CLIENT_ID,
    AUTH_JWKS_URL: keys.jwksUrl,
  };
});

function common(sub: string) {
  const now = nowSeconds();
  return {
    sub,
    iss: ISSUER,
    origin_jti: crypto.randomUUID(),
    event_id: crypto.randomUUID(),
    auth_time: now - 60,
    iat: now,
    exp: now + 3600,
    jti: crypto.randomUUID(),
  };
}

/** `(await fetchAuthSession()).tokens.accessToken`: client_id, no aud. */
function accessTokenClaims(sub: string): Record<string, unknown> {
  return {
    ...common(sub),
    "cognito:groups": ["pro"],
    version: 2,
    client_id: CLIENT_ID,
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    username: "alice",
  };
}

/** `(await fetchAuthSession()).tokens.idToken`: aud is the app client. */
function idTokenClaims(sub: string): Record<string, unknown> {
  return {
    ...common(sub),
    email_verified: true,
    "cognito:username": "alice",
    aud: CLIENT_ID,
    token_use: "id",
    email: "alice@example.com",
  };
}

describe("AUTH_PROVIDER=cognito:<region>/<user pool id>", () => {
  it("accepts an access token, checking client_id in aud's place", async () => {
    const token = await keys.sign(ACCESS_KID, accessTokenClaims(crypto.randomUUID()), HEADER);
    expect((await withToken(token, env)).status).toBe(200);
  });

  it("accepts an ID token, checking aud", async () => {
    const token = await keys.sign(ID_KID, idTokenClaims(crypto.randomUUID()), HEADER);
    expect((await withToken(token, env)).status).toBe(200);
  });

  it.each([
    [
      "an access token for another app client",
      ACCESS_KID,
      accessTokenClaims,
      { client_id: "another0client0id0000000000" },
      "client_id",
    ],
    ["an access token without client_id", ACCESS_KID, accessTokenClaims, { client_id: undefined }, "client_id"],
    [
      "an ID token for another app client",
      ID_KID,
      idTokenClaims,
      { aud: "another0client0id0000000000" },
      "wrong audience",
    ],
    [
      "an ID token that says it is an access token (no client_id)",
      ID_KID,
      idTokenClaims,
      { token_use: "access" },
      "client_id",
    ],
    [
      "an access token that says it is an ID token (no aud)",
      ACCESS_KID,
      accessTokenClaims,
      { token_use: "id" },
      "wrong audience",
    ],
    [
      "no token_use, though aud and client_id match",
      ACCESS_KID,
      accessTokenClaims,
      { token_use: undefined, aud: CLIENT_ID },
      "token_use",
    ],
    ["token_use refresh", ACCESS_KID, accessTokenClaims, { token_use: "refresh" }, "token_use"],
    [
      "another pool's issuer",
      ACCESS_KID,
      accessTokenClaims,
      { iss: `https://cognito-idp.${REGION}.amazonaws.com/eu-west-1_Zz98Yy76X` },
      "wrong issuer",
    ],
  ])("refuses %s", async (_case, kid, claims, change, message) => {
    const token = await keys.sign(kid, { ...claims(crypto.randomUUID()), ...change }, HEADER);
    const error = await expectError(await withToken(token, env), 401, "unauthenticated");
    expect(error.message).toContain(message);
  });

  it("is misconfigured without AUTH_AUDIENCE, naming it", async () => {
    const token = await keys.sign(ACCESS_KID, accessTokenClaims(crypto.randomUUID()), HEADER);
    const error = await expectError(await withToken(token, { ...env, AUTH_AUDIENCE: undefined }), 500, "misconfigured");
    expect(error.message).toContain("AUTH_AUDIENCE");
  });
});
