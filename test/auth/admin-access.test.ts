import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/audit/record";
import { AuditStore } from "../../src/audit/store";
import type { Env } from "../../src/env";
import { issuanceIdSource } from "../../src/ids";
import { ACCESS_AUD, ACCESS_ENV, ACCESS_TEAM_DOMAIN, signAccessToken } from "../helpers/access";
import { issuedRecord } from "../helpers/audit-records";
import { ADMIN_TOKEN, auditKv, call, captureLogs, emulatorUrl, expectError, uniqueUser } from "../helpers/broker";
import { signToken } from "../helpers/tokens";

/*
 * Cloudflare Access in front of the admin API: the `Cf-Access-Jwt-Assertion` header
 * Access adds, verified against the team's key set (the emulator's, through
 * ACCESS_JWKS_URL), and ADMIN_TOKEN beside it.
 */

const OPS = "ops@example.com";
const tokenHeader = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const accessHeader = (assertion: string) => ({ "Cf-Access-Jwt-Assertion": assertion });
/** Access on and ADMIN_TOKEN unset: only an assertion can admit. */
const ACCESS_ONLY: Partial<Env> = { ...ACCESS_ENV, ADMIN_TOKEN: undefined };

/** Denies a fresh user through the admin API with `headers`, and answers the user and the deny's answer. */
async function denyWith(headers: Record<string, string>, envOverrides: Partial<Env>) {
  const user = uniqueUser();
  const response = await call("/v1/admin/deny", {
    method: "POST",
    headers,
    body: { client_ref: user, reason: "abuse report 7" },
    env: envOverrides,
  });
  return { user, response };
}

/** The user's audit records, newest first, read with the admin token. */
async function recordsOf(user: string): Promise<AuditRecord[]> {
  const response = await call(`/v1/audit?client_ref=${user}`, { headers: tokenHeader });
  expect(response.status).toBe(200);
  return ((await response.json()) as { records: AuditRecord[] }).records;
}

/** An unsigned token (`alg: none`) with the claims of a valid one. */
async function unsignedToken(): Promise<string> {
  const payload = (await signAccessToken(OPS)).split(".")[1];
  const header = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
  return `${header}.${payload}.`;
}

describe("a Cloudflare Access assertion", () => {
  it("admits and names the actor by its email", async () => {
    const { user, response } = await denyWith(accessHeader(await signAccessToken(OPS)), ACCESS_ONLY);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ client_ref: user, denied: true, actor: OPS });
  });

  it("names the actor by its sub when it has no email", async () => {
    const assertion = await signAccessToken(OPS, { omit: ["email"] });
    const { response } = await denyWith(accessHeader(assertion), ACCESS_ONLY);
    expect(await response.json()).toMatchObject({ actor: "7335d417-61da-459d-899c-0a01c76a2f94" });
  });

  it("admits the audit routes too, and the request log names who read", async () => {
    const assertion = await signAccessToken(OPS);
    const { result: response, lines } = await captureLogs(() =>
      call("/v1/audit?limit=1", { headers: accessHeader(assertion), env: ACCESS_ONLY }),
    );
    expect(response.status).toBe(200);
    const line = lines.map((text) => JSON.parse(text) as Record<string, unknown>).find((l) => l.msg === "request");
    expect(line).toMatchObject({ path: "/v1/audit", actor: OPS });
  });

  it.each([
    ["a wrong audience", () => signAccessToken(OPS, { claims: { aud: ["0".repeat(64)] } }), "audience"],
    [
      "another team's token",
      () => signAccessToken(OPS, { claims: { iss: "https://other-team.cloudflareaccess.com" } }),
      "issuer",
    ],
    [
      "an expired token",
      () => signAccessToken(OPS, { claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }),
      "expired",
    ],
    ["a token without exp", () => signAccessToken(OPS, { omit: ["exp"] }), "exp"],
    ["a token signed by the end users' identity provider", () => signToken("alice"), "unknown key"],
    ["a token signed by another key under the team's kid", () => signedByAnotherKey(), "signature"],
    ["an unsigned token (alg none)", () => unsignedToken(), "algorithm"],
    ["an HS256 token", () => hs256Token(), "algorithm"],
    ["RS512 from the team's own key", () => signAccessToken(OPS, { alg: "RS512" }), "algorithm"],
    ["a token naming no one", () => signAccessToken(OPS, { omit: ["email", "sub"] }), "email"],
  ])("refuses %s with 401", async (_case, assertion, message) => {
    const { response } = await denyWith(accessHeader(await assertion()), ACCESS_ONLY);
    const error = await expectError(response, 401, "unauthenticated");
    expect(error.message).toContain(message);
  });

  it("refuses a request without the header with 401, naming it", async () => {
    const { response } = await denyWith({}, ACCESS_ONLY);
    const error = await expectError(response, 401, "unauthenticated");
    expect(error.message).toContain("Cf-Access-Jwt-Assertion");
  });

  it("refuses ADMIN_TOKEN while it is unset, even with Access on", async () => {
    const { response } = await denyWith(tokenHeader, ACCESS_ONLY);
    await expectError(response, 401, "unauthenticated");
  });

  it("is ignored while Access is not set up", async () => {
    const { response } = await denyWith(accessHeader(await signAccessToken(OPS)), {});
    await expectError(response, 401, "unauthenticated");
  });

  it("answers 503 auth_unavailable when the team's key set cannot be fetched", async () => {
    const { response } = await denyWith(accessHeader(await signAccessToken(OPS)), {
      ...ACCESS_ONLY,
      ACCESS_JWKS_URL: `${emulatorUrl}/jwks-unavailable`,
    });
    await expectError(response, 503, "auth_unavailable");
  });
});

describe("ADMIN_TOKEN beside Access", () => {
  it("still admits, with actor admin-token", async () => {
    const { response } = await denyWith(tokenHeader, ACCESS_ENV);
    expect(await response.json()).toMatchObject({ denied: true, actor: "admin-token" });
  });

  it("admits without Access, with actor admin-token", async () => {
    const { response } = await denyWith(tokenHeader, {});
    expect(await response.json()).toMatchObject({ denied: true, actor: "admin-token" });
  });

  it("names the Access identity when a request carries both", async () => {
    const { response } = await denyWith({ ...tokenHeader, ...accessHeader(await signAccessToken(OPS)) }, ACCESS_ENV);
    expect(await response.json()).toMatchObject({ actor: OPS });
  });

  it("admits by the token when the assertion beside it is refused", async () => {
    const expired = await signAccessToken(OPS, { claims: { exp: Math.floor(Date.now() / 1000) - 3600 } });
    const { response } = await denyWith({ ...tokenHeader, ...accessHeader(expired) }, ACCESS_ENV);
    expect(await response.json()).toMatchObject({ actor: "admin-token" });
  });

  it("refuses a wrong token beside a refused assertion", async () => {
    const expired = await signAccessToken(OPS, { claims: { exp: Math.floor(Date.now() / 1000) - 3600 } });
    const headers = { Authorization: `Bearer ${ADMIN_TOKEN}0`, ...accessHeader(expired) };
    await expectError((await denyWith(headers, ACCESS_ENV)).response, 401, "unauthenticated");
  });

  it("leaves the admin API disabled (403) while neither is set", async () => {
    const { response } = await denyWith(accessHeader(await signAccessToken(OPS)), { ADMIN_TOKEN: undefined });
    await expectError(response, 403, "forbidden");
  });
});

describe("the actor of admin actions", () => {
  it("is in the deny's and the lift's audit records, and in the deny list", async () => {
    const { user } = await denyWith(accessHeader(await signAccessToken(OPS)), ACCESS_ENV);
    const shown = await call(`/v1/admin/deny/${user}`, { headers: tokenHeader });
    expect(await shown.json()).toMatchObject({ client_ref: user, denied: true, reason: "abuse report 7", actor: OPS });

    const lifted = await call(`/v1/admin/deny/${user}`, { method: "DELETE", headers: tokenHeader, env: ACCESS_ENV });
    expect(await lifted.json()).toEqual({
      client_ref: user,
      denied: false,
      reason: null,
      until: null,
      since: null,
      actor: null,
    });

    const [lift, deny] = await recordsOf(user);
    expect(deny).toMatchObject({ outcome: "denied", actor: OPS });
    expect(lift).toMatchObject({ outcome: "deny_lifted", actor: "admin-token" });
  });

  it("is null in a mint's record", async () => {
    const { mint } = await import("../helpers/mint");
    const user = uniqueUser();
    expect((await mint("soniox", user)).status).toBe(201);
    const [record] = await recordsOf(user);
    expect(record).toMatchObject({ outcome: "issued", actor: null });
  });

  it("reads as null in records written before it was recorded", async () => {
    const user = uniqueUser();
    const at = Date.now() - 60_000;
    const { actor: _, ...old } = issuedRecord(issuanceIdSource()(new Date(at)), at, user, "curl/8.7.1");
    await new AuditStore(auditKv, 3600).write(old as AuditRecord);
    const [listed] = await recordsOf(user);
    expect(listed).toHaveProperty("actor", null);
    const single = await call(`/v1/audit/${old.id}`, { headers: tokenHeader });
    expect(await single.json()).toHaveProperty("actor", null);
  });
});

describe("Access settings", () => {
  it.each([
    ["ACCESS_TEAM_DOMAIN without ACCESS_AUD", { ACCESS_TEAM_DOMAIN }, "ACCESS_AUD"],
    ["ACCESS_AUD without ACCESS_TEAM_DOMAIN", { ACCESS_AUD }, "ACCESS_TEAM_DOMAIN"],
    ["ACCESS_JWKS_URL alone", { ACCESS_JWKS_URL: ACCESS_ENV.ACCESS_JWKS_URL }, "ACCESS_JWKS_URL"],
    [
      "a team domain with a scheme",
      { ...ACCESS_ENV, ACCESS_TEAM_DOMAIN: `https://${ACCESS_TEAM_DOMAIN}` },
      "ACCESS_TEAM_DOMAIN",
    ],
    [
      "a team domain with a path",
      { ...ACCESS_ENV, ACCESS_TEAM_DOMAIN: `${ACCESS_TEAM_DOMAIN}/x` },
      "ACCESS_TEAM_DOMAIN",
    ],
    ["a plain-http key set URL", { ...ACCESS_ENV, ACCESS_JWKS_URL: "http://certs.example.com/" }, "ACCESS_JWKS_URL"],
    // Whoever serves the key set could sign admin tokens.
    ["a key set on another host", { ...ACCESS_ENV, ACCESS_JWKS_URL: "https://certs.example.com/" }, "ACCESS_JWKS_URL"],
  ])("reports %s as misconfigured, on admin routes and in /healthz", async (_case, settings, variable) => {
    const { response } = await denyWith(tokenHeader, settings as Partial<Env>);
    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain(variable);
    const health = await call("/healthz", { env: settings as Partial<Env> });
    expect(health.status).toBe(503);
    const { problems } = (await health.json()) as { problems: { variable: string }[] };
    expect(problems.map((problem) => problem.variable)).toContain(variable);
  });

  it("reports nothing when both are set", async () => {
    const health = await call("/healthz", { env: ACCESS_ENV });
    expect(await health.json()).toEqual({ status: "ok" });
  });
});

describe("secrets in admin auth", () => {
  it("never puts the assertion or ADMIN_TOKEN in a log line or an answer", async () => {
    const assertions = [
      await signAccessToken(OPS),
      await signAccessToken(OPS, { claims: { aud: ["0".repeat(64)] } }),
      await signAccessToken(OPS, { claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }),
    ];
    const { lines, result: bodies } = await captureLogs(async () => {
      const answers: string[] = [];
      for (const assertion of assertions) {
        for (const envOverrides of [ACCESS_ONLY, ACCESS_ENV, { ...ACCESS_ENV, ACCESS_AUD: undefined }]) {
          const headers = { ...accessHeader(assertion), Authorization: `Bearer ${ADMIN_TOKEN}0` };
          answers.push(await (await denyWith(headers, envOverrides)).response.text());
        }
      }
      answers.push(await (await denyWith(tokenHeader, ACCESS_ENV)).response.text());
      return answers;
    });
    expect(lines.length).toBeGreaterThan(0);
    const secrets = [ADMIN_TOKEN, ...assertions.flatMap((assertion) => [assertion, assertion.split(".")[2] as string])];
    for (const text of [...lines, ...bodies]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});

/** A token with the team's kid, signed by a key that is not the team's. */
async function signedByAnotherKey(): Promise<string> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = await exportJWK(privateKey);
  return signAccessToken(OPS, { key: { jwk, kid: "access-1" } });
}

/** An HS256 token keyed by the team key's public modulus, the classic algorithm-confusion attempt. */
async function hs256Token(): Promise<string> {
  const keySet = (await (await fetch(ACCESS_ENV.ACCESS_JWKS_URL as string)).json()) as { keys: { n: string }[] };
  const secret = new TextEncoder().encode(keySet.keys[0]?.n);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ aud: [ACCESS_AUD], email: OPS, iss: `https://${ACCESS_TEAM_DOMAIN}`, exp: now + 600 })
    .setProtectedHeader({ alg: "HS256", kid: "access-1" })
    .sign(secret);
}
