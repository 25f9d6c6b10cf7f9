import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { auditRecordsFor } from "../helpers/audit";
import { call, emulatorUrl, expectError, livekitProject, uniqueUser } from "../helpers/broker";
import type { Env } from "../../src/env";
import { bearer } from "../helpers/tokens";

/**
 * POST /v1/livekit/token: LiveKit's standard token endpoint in front of the
 * `livekit` mint, with its sign-in, POLICY, quota and audit.
 */

const secret = new TextEncoder().encode(livekitProject.apiSecret);

async function tokenRequest(body: unknown, user = uniqueUser("lkt"), env: Partial<Env> = {}, headers = {}) {
  return call("/v1/livekit/token", { method: "POST", headers: { ...(await bearer(user)), ...headers }, body, env });
}

describe("POST /v1/livekit/token", () => {
  it("answers 201 with exactly LiveKit's server_url and participant_token", async () => {
    const user = uniqueUser("shape");
    const response = await tokenRequest(
      { room_name: "support-7", participant_name: "Alice", participant_metadata: "m" },
      user,
    );
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { server_url: string; participant_token: string };
    expect(Object.keys(body).sort()).toEqual(["participant_token", "server_url"]);
    expect(body.server_url).toBe(emulatorUrl.replace(/^http/, "ws"));
    const { payload } = await jwtVerify(body.participant_token, secret, { algorithms: ["HS256"] });
    expect(payload).toMatchObject({
      iss: livekitProject.apiKey,
      sub: user,
      name: "Alice",
      metadata: "m",
      video: { room: "support-7", roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true },
    });
    expect((payload.exp ?? 0) - (payload.nbf ?? 0)).toBe(600);
  });

  it("takes an empty body, as the SDK sends when the app names nothing", async () => {
    const response = await call("/v1/livekit/token", { method: "POST", headers: await bearer(uniqueUser()) });
    expect(response.status).toBe(201);
  });

  it.each([
    ["participant_identity", "mallory"],
    ["room_config", { agents: [{ agent_name: "a" }] }],
    ["participant_attributes", { role: "admin" }],
  ])("refuses %s with 400 in the broker's error shape", async (field, value) => {
    const user = uniqueUser("refused");
    const response = await tokenRequest({ room_name: "r", [field]: value }, user);
    const error = await expectError(response, 400, "invalid_request");
    expect(error.message).toContain(field);
    expect(await auditRecordsFor(user)).toEqual([]);
  });

  it("takes an empty participant_attributes or room_config as absent", async () => {
    const response = await tokenRequest({ room_name: "r", participant_attributes: {}, room_config: {} });
    expect(response.status).toBe(201);
  });

  it("refuses an unknown field and a room outside the set", async () => {
    await expectError(await tokenRequest({ room_name: "r", ttl_seconds: 60 }), 400, "invalid_request");
    const error = await expectError(await tokenRequest({ room_name: "a b" }), 400, "invalid_request");
    expect(error.message).toContain("room must be");
  });

  it("needs the signed-in user", async () => {
    const response = await call("/v1/livekit/token", { method: "POST", body: { room_name: "r" } });
    await expectError(response, 401, "unauthenticated");
  });

  it("writes the audit record and counts against the daily quota like POST /v1/keys/livekit", async () => {
    const user = uniqueUser("quota");
    const env = { DAILY_MINT_QUOTA: "2" };
    expect((await tokenRequest({ room_name: "r" }, user, env)).status).toBe(201);
    expect(
      (await call("/v1/keys/livekit", { method: "POST", headers: await bearer(user), body: {}, env })).status,
    ).toBe(201);
    await expectError(await tokenRequest({ room_name: "r" }, user, env), 429, "quota_exceeded");
    const records = await auditRecordsFor(user);
    expect(records.map((record) => [record.vendor, record.outcome])).toEqual([
      ["livekit", "issued"],
      ["livekit", "issued"],
    ]);
  });

  it("follows POLICY: a disabled vendor is 403, a forced room is applied", async () => {
    const disabled = JSON.stringify({ livekit: { enabled: false } });
    await expectError(await tokenRequest({}, uniqueUser(), { POLICY: disabled }), 403, "forbidden");
    const forced = JSON.stringify({ livekit: { options: { room: { force: "lobby" } } } });
    const response = await tokenRequest({}, uniqueUser(), { POLICY: forced });
    const { participant_token } = (await response.json()) as { participant_token: string };
    const { payload } = await jwtVerify(participant_token, secret);
    expect(payload.video).toMatchObject({ room: "lobby" });
    await expectError(await tokenRequest({ room_name: "other" }, uniqueUser(), { POLICY: forced }), 403, "forbidden");
  });

  it("answers a browser's preflight and other methods like every route", async () => {
    const preflight = await call("/v1/livekit/token", {
      method: "OPTIONS",
      headers: { Origin: "https://app.example.com", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const get = await call("/v1/livekit/token");
    await expectError(get, 405, "method_not_allowed");
    expect(get.headers.get("allow")).toBe("POST");
    const refusedOrigin = await tokenRequest({}, uniqueUser(), {}, { Origin: "https://evil.example" });
    await expectError(refusedOrigin, 403, "forbidden");
  });
});
