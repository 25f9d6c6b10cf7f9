import { base64url, exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { AUDIENCE, call, emulatorUrl, expectError, HS256_SECRET, ISSUER, uniqueUser } from "../helpers/broker";
import { auditRecord } from "../helpers/audit";
import { jwksFetches } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { publicJwks, signToken, type TestAlgorithm, type TokenOptions } from "../helpers/tokens";

/** GET /v1/vendors is the cheapest route that needs an end-user token. */
async function withToken(token: string, env = {}) {
  return call("/v1/vendors", { headers: { Authorization: `Bearer ${token}` }, env });
}

async function withUser(user: string, options: TokenOptions = {}, env = {}) {
  return withToken(await signToken(user, options), env);
}

const HS256_MODE = { AUTH_JWKS_URL: undefined, AUTH_HS256_SECRET: HS256_SECRET };

/** Builds an unsigned token by hand: jose refuses to create one, attackers do not. */
function unsignedToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}

/** A well-formed token signed with a fresh key pair that the identity provider never published. */
async function signWithAttackerKey(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "mallory", exp: now + 600 })
    .setProtectedHeader({ alg: "RS256", kid })
    .sign(privateKey);
}

describe("end-user JWT in JWKS mode", () => {
  it.each<TestAlgorithm>(["RS256", "ES256", "EdDSA"])("accepts a valid %s token", async (alg) => {
    const response = await withUser(uniqueUser(), { alg });
    expect(response.status).toBe(200);
  });

  it("rejects alg none", async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = unsignedToken({ iss: ISSUER, aud: AUDIENCE, sub: "mallory", exp: now + 600 });
    await expectError(await withToken(token), 401, "unauthenticated");
  });

  it("rejects HS256 signed with the provider's public key", async () => {
    const publicRsaJwk = publicJwks.keys.find((key) => key.kty === "RSA");
    const secret = new TextEncoder().encode(JSON.stringify(publicRsaJwk));
    const error = await expectError(await withUser("mallory", { alg: "HS256", secret }), 401, "unauthenticated");
    expect(error.message).toBe("token algorithm is not allowed");
  });

  it.each([
    ["a kid the provider does not publish", "attacker-key", "token was signed by an unknown key"],
    ["a known kid", "rs-1", "token signature is invalid"],
  ])("rejects an attacker's RS256 signature under %s", async (_case, kid, message) => {
    const error = await expectError(await withToken(await signWithAttackerKey(kid)), 401, "unauthenticated");
    expect(error.message).toBe(message);
  });

  it("rejects a tampered payload", async () => {
    const [header, , signature] = (await signToken("alice")).split(".");
    const now = Math.floor(Date.now() / 1000);
    const forged = base64url.encode(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: "admin", exp: now + 600 }));
    const error = await expectError(await withToken(`${header}.${forged}.${signature}`), 401, "unauthenticated");
    expect(error.message).toBe("token signature is invalid");
  });

  it("allows 60 seconds of clock skew on exp, and no more", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await withUser(uniqueUser(), { claims: { exp: now - 30 } })).status).toBe(200);
    const error = await expectError(await withUser("late", { claims: { exp: now - 90 } }), 401, "unauthenticated");
    expect(error.message).toBe("token has expired");
  });

  it("rejects a token without exp", async () => {
    const error = await expectError(await withUser("forever", { omit: ["exp"] }), 401, "unauthenticated");
    expect(error.message).toContain("exp");
  });

  it("honours nbf with the same tolerance", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await withUser(uniqueUser(), { claims: { nbf: now + 30 } })).status).toBe(200);
    const error = await expectError(await withUser("early", { claims: { nbf: now + 600 } }), 401, "unauthenticated");
    expect(error.message).toBe("token is not valid yet");
  });

  it("rejects the wrong issuer", async () => {
    const error = await expectError(
      await withUser("x", { claims: { iss: "https://evil.example" } }),
      401,
      "unauthenticated",
    );
    expect(error.message).toBe("token has the wrong issuer");
  });

  it.each([
    ["a wrong audience", { claims: { aud: "some-other-app" } }],
    ["no audience", { omit: ["aud"] }],
  ])("rejects %s", async (_case, options) => {
    const error = await expectError(await withUser("x", options), 401, "unauthenticated");
    expect(error.message).toBe("token has the wrong audience");
  });

  it("rejects a token without the client-ref claim", async () => {
    const error = await expectError(await withUser("x", { omit: ["sub"] }), 401, "unauthenticated");
    expect(error.message).toContain('"sub"');
  });

  it.each([
    ["empty", ""],
    ["over 256 characters", "u".repeat(257)],
    ["not a string", 42],
  ])("rejects a client-ref claim that is %s", async (_case, value) => {
    await expectError(await withUser("x", { claims: { sub: value as string } }), 401, "unauthenticated");
  });

  it("reads client_ref from CLIENT_REF_CLAIM", async () => {
    const token = await signToken("ignored-sub", { claims: { uid: "user-42" } });
    const response = await call("/v1/keys/soniox", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      env: { CLIENT_REF_CLAIM: "uid" },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ client_ref: "user-42" });
  });

  it.each<[string, unknown, string | null]>([
    ["a string of 256 characters", "s".repeat(256), "s".repeat(256)],
    ["a number", 42, null],
    ["a 10 KB string", "s".repeat(10_000), null],
    ["an object", { id: "x" }, null],
  ])("records a sub that is %s in the audit record only when it is a short string", async (_case, sub, recorded) => {
    const user = uniqueUser();
    const response = await mint("soniox", user, {
      token: { claims: { uid: user, sub: sub as string } },
      env: { CLIENT_REF_CLAIM: "uid" },
    });
    expect(response.status).toBe(201);
    const { issuance_id } = (await response.json()) as { issuance_id: string };
    expect(await auditRecord(issuance_id)).toMatchObject({ client_ref: user, issuer: ISSUER, subject: recorded });
  });

  it.each([
    ["no header", {}, "missing Authorization header"],
    ["the Basic scheme", { Authorization: "Basic YWxpY2U6c2VjcmV0" }, 'must use the "Bearer" scheme'],
    ["a bare token", { Authorization: "eyJhbGciOi.e30.sig" }, 'must use the "Bearer" scheme'],
    ["garbage", { Authorization: "Bearer not-a-jwt" }, "malformed"],
  ])("rejects %s", async (_case, headers, message) => {
    const error = await expectError(await call("/v1/vendors", { headers }), 401, "unauthenticated");
    expect(error.message).toContain(message);
  });

  it("never echoes the token in the error", async () => {
    const token = await signToken("x", { claims: { iss: "https://evil.example" } });
    const response = await withToken(token);
    const text = await response.text();
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split(".")[1] as string);
  });

  it("fetches the key set once per isolate and does not refetch for unknown kids during the cooldown", async () => {
    // A query string of its own gives this test a key-set cache entry of its own.
    const query = `isolate=${crypto.randomUUID()}`;
    const env = { AUTH_JWKS_URL: `${emulatorUrl}/jwks.json?${query}` };
    for (let i = 0; i < 3; i++) expect((await withUser(uniqueUser(), {}, env)).status).toBe(200);
    expect(await jwksFetches(query)).toBe(1);
    for (let i = 0; i < 3; i++) {
      await expectError(await withUser("x", { kid: `rotated-${i}` }, env), 401, "unauthenticated");
    }
    expect(await jwksFetches(query)).toBe(1);
  });

  it("answers 503 auth_unavailable when the key set cannot be fetched and none is cached", async () => {
    const error = await expectError(
      await withUser("x", {}, { AUTH_JWKS_URL: `${emulatorUrl}/jwks-unavailable` }),
      503,
      "auth_unavailable",
    );
    expect(error.message).toContain("identity provider");
  });

  it("answers 503 auth_unavailable when the key set host is unreachable", async () => {
    await expectError(
      await withUser("x", {}, { AUTH_JWKS_URL: "http://127.0.0.1:9/jwks.json" }),
      503,
      "auth_unavailable",
    );
  });

  it("rejects a JWKS-mode setup without issuer or audience as misconfigured", async () => {
    const error = await expectError(await withUser("x", {}, { AUTH_AUDIENCE: undefined }), 500, "misconfigured");
    expect(error.message).toContain("AUTH_AUDIENCE");
  });
});

describe("end-user JWT in shared-secret (HS256) mode", () => {
  it("accepts an HS256 token signed with the secret", async () => {
    expect((await withUser(uniqueUser(), { alg: "HS256" }, HS256_MODE)).status).toBe(200);
  });

  it("rejects HS256 signed with another secret", async () => {
    const secret = new TextEncoder().encode("another-secret-that-is-also-32-bytes-long");
    const error = await expectError(await withUser("x", { alg: "HS256", secret }, HS256_MODE), 401, "unauthenticated");
    expect(error.message).toBe("token signature is invalid");
  });

  it("rejects asymmetric tokens", async () => {
    await expectError(await withUser("x", { alg: "RS256" }, HS256_MODE), 401, "unauthenticated");
  });

  it("rejects alg none", async () => {
    const token = unsignedToken({ sub: "mallory", exp: Math.floor(Date.now() / 1000) + 600 });
    await expectError(await withToken(token, HS256_MODE), 401, "unauthenticated");
  });

  it.each<[string, unknown, string | null]>([
    ["a short string", "https://other.example", "https://other.example"],
    ["a number", 42, null],
    ["a 10 KB string", `https://${"i".repeat(10_000)}.example`, null],
  ])(
    "records an unchecked iss that is %s in the audit record only when it is a short string",
    async (_case, iss, recorded) => {
      const user = uniqueUser();
      const response = await mint("soniox", user, {
        token: { alg: "HS256", claims: { iss: iss as string } },
        env: { ...HS256_MODE, AUTH_ISSUER: undefined },
      });
      expect(response.status).toBe(201);
      const { issuance_id } = (await response.json()) as { issuance_id: string };
      expect(await auditRecord(issuance_id)).toMatchObject({ client_ref: user, issuer: recorded, subject: user });
    },
  );

  it("checks issuer and audience only when they are set", async () => {
    const looseMode = { ...HS256_MODE, AUTH_ISSUER: undefined, AUTH_AUDIENCE: undefined };
    const foreign = { alg: "HS256" as const, claims: { iss: "https://other.example", aud: "other" } };
    expect((await withUser(uniqueUser(), foreign, looseMode)).status).toBe(200);
    await expectError(await withUser("x", foreign, HS256_MODE), 401, "unauthenticated");
  });

  it("rejects a secret shorter than 32 bytes as misconfigured, without printing it", async () => {
    const response = await withUser("x", { alg: "HS256" }, { ...HS256_MODE, AUTH_HS256_SECRET: "short-secret" });
    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain("AUTH_HS256_SECRET");
    expect(error.message).not.toContain("short-secret");
  });
});

describe("auth configuration", () => {
  it("refuses to run with both modes configured", async () => {
    const error = await expectError(await withUser("x", {}, { AUTH_HS256_SECRET: HS256_SECRET }), 500, "misconfigured");
    expect(error.message).toContain("AUTH_JWKS_URL and AUTH_HS256_SECRET");
    expect(error.message).not.toContain(HS256_SECRET);
  });

  it("refuses to run with no mode configured", async () => {
    const error = await expectError(await withUser("x", {}, { AUTH_JWKS_URL: undefined }), 500, "misconfigured");
    expect(error.message).toContain("AUTH_JWKS_URL or AUTH_HS256_SECRET");
  });

  it("exports the test signing keys it claims to", async () => {
    // Guards the matrix above: a public JWKS without RSA keys would make the HS256 case vacuous.
    expect(publicJwks.keys.map((key) => key.kty).sort()).toEqual(["EC", "OKP", "RSA"]);
    const { publicKey } = await generateKeyPair("ES256");
    expect(publicJwks.keys).not.toContainEqual(await exportJWK(publicKey));
  });
});
