import { decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import type { Env } from "../../src/env";
import { createApp } from "../../src/index";
import { livekit } from "../../src/vendors/livekit";
import { auditRecord } from "../helpers/audit";
import {
  brokerEnv,
  call,
  captureLogs,
  emulatorUrl,
  expectError,
  livekitProject,
  masterKeys,
  uniqueUser,
} from "../helpers/broker";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";

/** The broker's clock in these tests: a whole second, so nbf and exp are exact. */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
const NOW_SECONDS = NOW.getTime() / 1000;
const secret = new TextEncoder().encode(livekitProject.apiSecret);

interface Minted {
  vendor: string;
  key: string;
  expires_at: string;
  ttl_seconds: number;
  client_ref: string;
  issuance_id: string;
  room: string;
  connect: { transport: string; endpoint: string; credential: { in: string } };
  [option: string]: unknown;
}

/**
 * POST /v1/keys/livekit through the Worker at `NOW`, with a `fetch` that records every URL
 * the broker asks for: the identity provider's keys are the only thing it may fetch.
 */
async function mintAt(body: unknown, user = uniqueUser("lk"), env: Partial<Env> = {}) {
  const fetched: string[] = [];
  const app = createApp({
    now: () => NOW,
    fetch: (input, init) => {
      fetched.push(new Request(input).url);
      return fetch(input, init);
    },
  });
  const request = new Request("https://broker.test/v1/keys/livekit", {
    method: "POST",
    headers: { ...(await bearer(user)), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const ctx = createExecutionContext();
  const response = await app.fetch(request, brokerEnv(env), ctx);
  await waitOnExecutionContext(ctx);
  return { response, user, fetched };
}

async function minted(body: unknown, user?: string): Promise<Minted> {
  const { response } = await mintAt(body, user);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Minted;
}

async function claimsOf(key: string) {
  return (await jwtVerify(key, secret, { algorithms: ["HS256"], currentDate: NOW })).payload;
}

/** Opens the emulator's signal WebSocket from inside workerd with the token; the handshake's status and body. */
async function join(token: string, path = "/rtc/v1") {
  const response = await fetch(`${emulatorUrl}${path}?access_token=${encodeURIComponent(token)}`, {
    headers: { Upgrade: "websocket" },
  });
  const socket = response.webSocket;
  if (!socket) return { status: response.status, text: await response.text() };
  socket.accept();
  const first = await new Promise<string>((resolve) =>
    socket.addEventListener("message", (event) => resolve(String(event.data))),
  );
  socket.close(1000);
  return { status: response.status, text: first };
}

describe("POST /v1/keys/livekit", () => {
  it("signs an HS256 token with the documented claims, and calls nobody", async () => {
    const user = uniqueUser("claims");
    const { response, fetched } = await mintAt({ room: "support-1", name: "Alice", metadata: '{"plan":"pro"}' }, user);
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(decodeProtectedHeader(body.key)).toEqual({ alg: "HS256" });
    const claims = await claimsOf(body.key);
    expect(claims).toEqual({
      iss: livekitProject.apiKey,
      sub: user,
      nbf: NOW_SECONDS,
      exp: NOW_SECONDS + 600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "Alice",
      metadata: '{"plan":"pro"}',
      video: { room: "support-1", roomJoin: true, canPublish: true, canSubscribe: true, canPublishData: true },
    });
    expect(body).toMatchObject({
      vendor: "livekit",
      ttl_seconds: 600,
      client_ref: user,
      expires_at: new Date((NOW_SECONDS + 600) * 1000).toISOString(),
      room: "support-1",
      can_publish: true,
      can_subscribe: true,
      can_publish_data: true,
      name: "Alice",
      metadata: '{"plan":"pro"}',
    });
    expect(fetched.filter((url) => !url.endsWith("/jwks.json"))).toEqual([]);
  });

  it("names the user only by client_ref: a body naming an identity is refused", async () => {
    for (const field of ["identity", "sub", "client_ref", "video", "roomAdmin"]) {
      const { response } = await mintAt({ room: "r", [field]: "mallory" });
      const error = await expectError(response, 400, "invalid_request");
      expect(error.message).toContain(field);
    }
  });

  it("never grants anything administrative, whatever the options", async () => {
    for (const body of [{}, { can_publish: false, can_subscribe: false, can_publish_data: false }]) {
      const claims = await claimsOf((await minted(body)).key);
      expect(Object.keys(claims.video as object).sort()).toEqual(
        ["canPublish", "canPublishData", "canSubscribe", "room", "roomJoin"].sort(),
      );
      expect(Object.keys(claims).sort()).toEqual(["exp", "iss", "jti", "nbf", "sub", "video"]);
    }
  });

  it("puts the rights asked for in the grant", async () => {
    const body = { room: "r", can_publish: false, can_subscribe: true, can_publish_data: false };
    const claims = await claimsOf((await minted(body)).key);
    expect(claims.video).toEqual({
      room: "r",
      roomJoin: true,
      canPublish: false,
      canSubscribe: true,
      canPublishData: false,
    });
  });

  it("joins a new room of the user's own when none is named", async () => {
    const first = await minted({});
    const second = await minted({});
    expect(first.room).toMatch(/^room-[0-9a-f-]{36}$/);
    expect(second.room).not.toBe(first.room);
    expect(((await claimsOf(first.key)).video as { room: string }).room).toBe(first.room);
  });

  it.each([60, 86_400])("takes ttl_seconds %i as exp - nbf", async (ttl) => {
    const claims = await claimsOf((await minted({ ttl_seconds: ttl })).key);
    expect(claims.exp).toBe(NOW_SECONDS + ttl);
  });

  it.each([59, 86_401, 1.5, "600"])("refuses ttl_seconds %j", async (ttl) => {
    const { response } = await mintAt({ ttl_seconds: ttl });
    const error = await expectError(response, 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
  });

  it.each([
    ["a".repeat(129), "too long"],
    ["", "empty"],
    ["room with spaces", "spaces"],
    ["räum", "non-ASCII"],
    ["a/b", "a slash"],
    ["{client_ref}", "braces"],
  ])("refuses the room %j (%s), naming the rule", async (room) => {
    const { response } = await mintAt({ room });
    const error = await expectError(response, 400, "invalid_request");
    expect(error.message).toContain("room must be 1 to 128 characters of A-Z, a-z, 0-9, _ - . : @ |");
  });

  it("takes a room of 128 characters of the whole set", async () => {
    const room = `${"Az09_-.:@|".repeat(12)}abcdefgh`;
    expect(room).toHaveLength(128);
    expect((await minted({ room })).room).toBe(room);
  });

  it("gives each user a room of their own when POLICY derives it from client_ref", async () => {
    const policy = { POLICY: JSON.stringify({ livekit: { options: { room: { force: "user-{client_ref}" } } } }) };
    const { response, user } = await mintAt({}, uniqueUser("lk"), policy);
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(body.room).toBe(`user-${user}`);
    expect(await claimsOf(body.key)).toMatchObject({ sub: user, video: { room: `user-${user}` } });
    const other = await mintAt({ room: "user-someone-else" }, uniqueUser("lk"), policy);
    await expectError(other.response, 403, "forbidden");
  });

  it("refuses with 403 a user whose client_ref makes no valid room under that POLICY", async () => {
    const policy = { POLICY: JSON.stringify({ livekit: { options: { room: { force: "user-{client_ref}" } } } }) };
    const { response } = await mintAt({}, uniqueUser("alice smith"), policy);
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain("the room this broker's policy for livekit derives from your client_ref");
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "n".repeat(129) }, "name"],
    [{ metadata: "m".repeat(1025) }, "metadata"],
    [{ can_publish: "yes" }, "can_publish"],
  ])("refuses %j", async (body, field) => {
    const { response } = await mintAt(body);
    expect((await expectError(response, 400, "invalid_request")).message).toContain(field);
  });

  it("signs with the configured secret only: another secret does not verify the key", async () => {
    const { key } = await minted({ room: "r" });
    await expect(claimsOf(key)).resolves.toBeDefined();
    const other = new TextEncoder().encode(`${livekitProject.apiSecret}x`);
    await expect(jwtVerify(key, other, { currentDate: NOW })).rejects.toThrow(/signature/);
  });

  it("records the key's fingerprint and jti in the audit, and no secret", async () => {
    const user = uniqueUser("audit");
    const body = await minted({ room: "audited" }, user);
    const claims = await claimsOf(body.key);
    const record = await auditRecord(body.issuance_id);
    expect(record).toMatchObject({
      outcome: "issued",
      vendor: "livekit",
      client_ref: user,
      key_fingerprint: await keyFingerprint(body.key),
      vendor_key_id: claims.jti,
      upstream_status: null,
      options: { room: "audited", can_publish: true, can_subscribe: true, can_publish_data: true },
    });
    const text = JSON.stringify(record);
    expect(text).not.toContain(livekitProject.apiSecret);
    expect(text).not.toContain(body.key);
  });

  it("answers connect: the server URL, for the SDK with the token", async () => {
    const body = await minted({ room: "r" });
    expect(body.connect).toEqual({
      transport: "webrtc",
      endpoint: emulatorUrl.replace(/^http/, "ws"),
      credential: { in: "sdk" },
    });
  });

  it("never shows the secret in a log line or an answer", async () => {
    const { result, lines } = await captureLogs(async () => {
      const ok = await (await mint("livekit", uniqueUser("logs"), { body: { room: "r" } })).text();
      const bad = await (await mint("livekit", uniqueUser("logs"), { body: { room: "bad room" } })).text();
      return [ok, bad];
    });
    for (const text of [...lines, ...result]) expect(text).not.toContain(livekitProject.apiSecret);
    expect(masterKeys.livekit).toBe(livekitProject.apiSecret);
  });
});

describe("GET /v1/vendors", () => {
  it("lists LiveKit with its TTL range, options and the connect of its server URL", async () => {
    const response = await call("/v1/vendors", { headers: await bearer(uniqueUser("list")) });
    const { vendors } = (await response.json()) as { vendors: { id: string }[] };
    expect(vendors.find((vendor) => vendor.id === "livekit")).toMatchObject({
      ttl_seconds: { min: 60, max: 86_400, default: 600 },
      options: {
        room: { type: "string" },
        can_publish: { type: "boolean", default: true },
        can_subscribe: { type: "boolean", default: true },
        can_publish_data: { type: "boolean", default: true },
        name: { type: "string", minLength: 1, maxLength: 128 },
        metadata: { type: "string", minLength: 1, maxLength: 1024 },
      },
      connect: { transport: "webrtc", endpoint: emulatorUrl.replace(/^http/, "ws"), credential: { in: "sdk" } },
    });
  });
});

describe("the LiveKit settings", () => {
  const mintWith = (env: Partial<Env>) => mint("livekit", uniqueUser("settings"), { body: {}, env });

  it("leaves the vendor off when neither the key nor the secret is set", async () => {
    const response = await mintWith({ LIVEKIT_API_KEY: "", LIVEKIT_API_SECRET: "" });
    await expectError(response, 404, "vendor_not_configured");
  });

  it.each([
    [{ LIVEKIT_API_KEY: "" }, "LIVEKIT_API_KEY"],
    [{ LIVEKIT_API_SECRET: "" }, "LIVEKIT_API_SECRET"],
    [{ LIVEKIT_API_SECRET: "too-short-secret" }, "LIVEKIT_API_SECRET"],
    [{ LIVEKIT_URL: "" }, "LIVEKIT_URL"],
    [{ LIVEKIT_URL: "https://my.livekit.cloud" }, "LIVEKIT_URL"],
    [{ LIVEKIT_URL: "ws://my.livekit.cloud" }, "LIVEKIT_URL"],
    [{ LIVEKIT_URL: "wss://my.livekit.cloud?x=1" }, "LIVEKIT_URL"],
    [{ LIVEKIT_URL: "wss://user:pass@my.livekit.cloud" }, "LIVEKIT_URL"],
  ])("is misconfigured with %j, naming the setting and no value", async (env, variable) => {
    const response = await mintWith(env);
    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain(variable);
    expect(error.message).not.toContain(livekitProject.apiSecret);
    expect(error.message).not.toContain("too-short-secret");
  });

  it("takes a wss:// server URL as it is, without a trailing slash", async () => {
    const response = await mintWith({ LIVEKIT_URL: "wss://my-project.livekit.cloud/" });
    const body = (await response.json()) as Minted;
    expect(body.connect.endpoint).toBe("wss://my-project.livekit.cloud");
  });
});

describe("the emulator's LiveKit join", () => {
  it("lets the broker's token join its room as the user, on /rtc/v1 and /rtc", async () => {
    const user = uniqueUser("join");
    const { key } = (await (await mint("livekit", user, { body: { room: "joined", name: "Al" } })).json()) as Minted;
    for (const path of ["/rtc/v1", "/rtc"]) {
      const { status, text } = await join(key, path);
      expect(status).toBe(101);
      expect(JSON.parse(text)).toMatchObject({
        join: { room: { name: "joined" }, participant: { identity: user, name: "Al" } },
      });
    }
  });

  it("refuses with 401 a token it cannot verify, an expired one, or one without a join grant", async () => {
    const { SignJWT } = await import("jose");
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>, key = secret) =>
      new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(key);
    const good = {
      iss: livekitProject.apiKey,
      sub: "u",
      nbf: now,
      exp: now + 600,
      video: { room: "r", roomJoin: true },
    };
    expect((await join(await sign(good))).status).toBe(101);
    const refusals: [Record<string, unknown>, Uint8Array | undefined, string][] = [
      [good, new TextEncoder().encode(`${livekitProject.apiSecret}x`), "signature"],
      [{ ...good, iss: "APIother" }, undefined, "invalid API key"],
      [{ ...good, exp: now - 120 }, undefined, "expired"],
      [{ ...good, nbf: now + 600, exp: now + 1200 }, undefined, "not valid yet"],
      [{ ...good, video: { room: "r" } }, undefined, "roomJoin"],
      [{ ...good, video: { roomJoin: true } }, undefined, "room"],
      [{ ...good, sub: undefined }, undefined, "identity"],
    ];
    for (const [claims, key, reason] of refusals) {
      const { status, text } = await join(await sign(claims, key));
      expect(status, reason).toBe(401);
      expect(text).toContain(reason);
    }
    expect((await join("")).status).toBe(401);
  });
});
