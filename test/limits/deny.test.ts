import { describe, expect, it } from "vitest";
import { auditRecordsFor } from "../helpers/audit";
import { ADMIN_TOKEN, call, expectError, kvWithFailingWrites, uniqueUser } from "../helpers/broker";
import { taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

function denyUser(body: Record<string, unknown>, now?: () => Date) {
  return call("/v1/admin/deny", { method: "POST", headers: admin, body, now });
}

async function denyState(clientRef: string, now?: () => Date) {
  const response = await call(`/v1/admin/deny/${encodeURIComponent(clientRef)}`, { headers: admin, now });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe("denying a user", () => {
  it("refuses every mint with 403 and no vendor call until lifted, and audits both actions", async () => {
    const user = uniqueUser();
    const denied = await denyUser({ client_ref: user, reason: "chargeback #4411" });
    expect(denied.status).toBe(200);
    expect(await denied.json()).toMatchObject({
      client_ref: user,
      denied: true,
      reason: "chargeback #4411",
      until: null,
    });

    const { baseUrl, received } = taggedBaseUrl();
    const refused = await mint("speechmatics", user, { env: { SPEECHMATICS_BASE_URL: baseUrl } });
    const error = await expectError(refused, 403, "forbidden");
    // The operator's reason is not the user's business.
    expect(error.message).not.toContain("chargeback");
    expect(await received()).toHaveLength(0);
    expect(await denyState(user)).toMatchObject({ denied: true, reason: "chargeback #4411" });

    const lifted = await call(`/v1/admin/deny/${encodeURIComponent(user)}`, { method: "DELETE", headers: admin });
    expect(await lifted.json()).toMatchObject({ client_ref: user, denied: false });
    expect((await mint("speechmatics", user)).status).toBe(201);

    const outcomes = (await auditRecordsFor(user)).map((r) => [r.outcome, r.reason]);
    expect(outcomes).toEqual([
      ["issued", null],
      ["deny_lifted", "chargeback #4411"],
      ["denied", "chargeback #4411"],
    ]);
  });

  it("denies nothing when until has already passed", async () => {
    const user = uniqueUser();
    const response = await denyUser({ client_ref: user, reason: "late", until: "2020-01-01T00:00:00Z" });
    expect(await response.json()).toMatchObject({ denied: false });
    expect(await denyState(user)).toMatchObject({ denied: false });
    expect((await mint("soniox", user)).status).toBe(201);
  });

  it("ends by itself when until passes", async () => {
    let ms = Date.parse("2026-11-23T12:00:00.000Z");
    const now = () => new Date(ms);
    const token = () => ({ claims: { iat: Math.floor(ms / 1000), exp: Math.floor(ms / 1000) + 600 } });
    const user = uniqueUser();
    await denyUser({ client_ref: user, reason: "cool-off", until: "2026-11-23T12:10:00Z" }, now);
    await expectError(await mint("speechmatics", user, { now, token: token() }), 403, "forbidden");
    ms += 10 * 60 * 1000;
    expect((await denyState(user, now)).denied).toBe(false);
    expect((await mint("speechmatics", user, { now, token: token() })).status).toBe(201);
  });

  it("keeps a deny in force when a later one has already run out", async () => {
    const user = uniqueUser();
    await denyUser({ client_ref: user, reason: "fraud" });
    const late = await denyUser({ client_ref: user, reason: "typo", until: "2020-01-01T00:00:00Z" });
    expect(await late.json()).toMatchObject({ denied: true, reason: "fraud" });
    await expectError(await mint("soniox", user), 403, "forbidden");
  });

  it("does not lift a deny it cannot record, and lifts it with its record on retry", async () => {
    const user = uniqueUser();
    await denyUser({ client_ref: user, reason: "abuse" });
    const path = `/v1/admin/deny/${encodeURIComponent(user)}`;
    const failed = await call(path, { method: "DELETE", headers: admin, env: { AUDIT: kvWithFailingWrites() } });
    await expectError(failed, 503, "audit_unavailable");
    expect(await denyState(user)).toMatchObject({ denied: true });
    await expectError(await mint("soniox", user), 403, "forbidden");

    expect((await call(path, { method: "DELETE", headers: admin })).status).toBe(200);
    expect((await auditRecordsFor(user)).map((r) => r.outcome)).toEqual(["deny_lifted", "denied"]);
  });

  it("puts a deny in force even when it cannot be recorded, and says so", async () => {
    const user = uniqueUser();
    const response = await call("/v1/admin/deny", {
      method: "POST",
      headers: admin,
      body: { client_ref: user, reason: "abuse" },
      env: { AUDIT: kvWithFailingWrites() },
    });
    const error = await expectError(response, 503, "audit_unavailable");
    expect(error.message).toContain("took effect");
    await expectError(await mint("soniox", user), 403, "forbidden");
  });

  it("takes only pseudonyms when CLIENT_REF_SECRET is set, so an app's own user id cannot silently deny nobody", async () => {
    const env = { CLIENT_REF_SECRET: "client-ref-secret-for-tests-0123456789abcdef" };
    const user = uniqueUser();
    const minted = await mint("soniox", user, { env });
    const { client_ref: pseudonym } = (await minted.json()) as { client_ref: string };
    expect(pseudonym).toMatch(/^u_/);

    const byUserId = await call("/v1/admin/deny", {
      method: "POST",
      headers: admin,
      body: { client_ref: user, reason: "r" },
      env,
    });
    const error = await expectError(byUserId, 400, "invalid_request");
    expect(error.message).toContain("pseudonym");
    const byPseudonym = await call("/v1/admin/deny", {
      method: "POST",
      headers: admin,
      body: { client_ref: pseudonym, reason: "r" },
      env,
    });
    expect(byPseudonym.status).toBe(200);
    await expectError(await mint("soniox", user, { env }), 403, "forbidden");
  });

  it("lifting a user who is not denied changes nothing and writes no record", async () => {
    const user = uniqueUser();
    const response = await call(`/v1/admin/deny/${encodeURIComponent(user)}`, { method: "DELETE", headers: admin });
    expect(await response.json()).toMatchObject({ client_ref: user, denied: false });
    expect(await auditRecordsFor(user)).toEqual([]);
  });

  it.each([
    [{ reason: "no user" }, "client_ref"],
    [{ client_ref: "x" }, "reason"],
    [{ client_ref: "x", reason: "r", until: "tomorrow" }, "until"],
    [{ client_ref: "x", reason: "r", extra: 1 }, "extra"],
  ])("refuses %j with 400 naming %s", async (body, field) => {
    const error = await expectError(await denyUser(body), 400, "invalid_request");
    expect(error.message).toContain(field);
  });

  it("needs the admin token", async () => {
    await expectError(
      await call("/v1/admin/deny", { method: "POST", body: { client_ref: "x", reason: "r" } }),
      401,
      "unauthenticated",
    );
    await expectError(await call("/v1/admin/deny/x"), 401, "unauthenticated");
  });
});
