import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import { createApp } from "../../src/index";
import { deepgram } from "../../src/vendors/deepgram";
import type { VendorReply, VendorRequest } from "../../src/vendors/upstream";
import { auditRecordsFor } from "../helpers/audit";
import { brokerEnv, call, emulatorUrl, expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import {
  expectAuditedWithoutSecrets,
  expectExpiresCountedFromBeforeTheCall,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  itMapsUpstreamFaults,
  listedVendor,
  mintAgainstFault,
  taggedMint,
} from "../helpers/vendor-tests";

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

const mintTagged = taggedMint("deepgram", "DEEPGRAM_BASE_URL");

/** Opens Deepgram's live endpoint on the emulator from inside workerd, with the given handshake headers. */
async function openListen(headers: Record<string, string>): Promise<{ status: number; messages?: string[] }> {
  const response = await fetch(`${emulatorUrl}/v1/listen?model=nova-3`, {
    headers: { Upgrade: "websocket", ...headers },
  });
  const socket = response.webSocket;
  if (response.status !== 101 || !socket) {
    await response.body?.cancel();
    return { status: response.status };
  }
  socket.accept();
  const messages: string[] = [];
  const closed = new Promise<void>((resolve) => socket.addEventListener("close", () => resolve()));
  socket.addEventListener("message", (event) => {
    messages.push(String(event.data));
  });
  socket.send(new ArrayBuffer(3200));
  await closed;
  return { status: 101, messages };
}

/** The broker with Deepgram's reply replaced, to see how the mint flow treats what Deepgram could send. */
async function mintAgainst(reply: { status: number; body: unknown }, ttlSeconds: number, now: Date) {
  const user = uniqueUser();
  const fetchStub = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith("/v1/auth/grant")) {
      return new Response(JSON.stringify(reply.body), {
        status: reply.status,
        headers: { "content-type": "application/json" },
      });
    }
    return fetch(input, init);
  };
  const request = new Request("https://broker.test/v1/keys/deepgram", {
    method: "POST",
    headers: { ...(await bearer(user)), "content-type": "application/json" },
    body: JSON.stringify({ ttl_seconds: ttlSeconds }),
  });
  const ctx = createExecutionContext();
  const response = await createApp({ now: () => now, fetch: fetchStub }).fetch(request, brokerEnv(), ctx);
  await waitOnExecutionContext(ctx);
  return { response, user };
}

describe("POST /v1/keys/deepgram", () => {
  it("grants a token with the default TTL and sends Deepgram exactly the documented request", async () => {
    const { response, received, user } = await mintTagged();
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ["client_ref", "connect", "expires_at", "issuance_id", "key", "ttl_seconds", "vendor"].sort(),
    );
    expect(body).toMatchObject({ vendor: "deepgram", ttl_seconds: 60, client_ref: user });
    expect(body.key).toMatch(JWT);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("POST");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/v1\/auth\/grant$/);
    expect(request?.query).toEqual({});
    // Deepgram's API keys go in the Token scheme, never Bearer.
    expect(request?.headers.authorization).toBe(`Token ${masterKeys.deepgram}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({ ttl_seconds: 60 });
  });

  it("computes expires_at from Deepgram's expires_in, counted from just before the call", async () => {
    await expectExpiresCountedFromBeforeTheCall(mintTagged, { ttl_seconds: 1234 }, 1234);
  });

  it.each([1, 3600])("accepts ttl_seconds %i at the limit and sends it", async (ttl) => {
    const { response, received } = await mintTagged({ ttl_seconds: ttl });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ttl_seconds: ttl });
    expect((await received())[0]?.body).toEqual({ ttl_seconds: ttl });
  });

  it.each([0, 3601, -1, 1.5, "60", null])("refuses ttl_seconds %j without calling Deepgram", async (ttl) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ ttl_seconds: ttl }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
    if (typeof ttl === "number" && Number.isInteger(ttl))
      expect(error.message).toContain("from 1 to 3600 for deepgram");
  });

  it.each([
    ["client_ref", { client_ref: "mallory" }],
    ["scopes", { scopes: ["manage"] }],
    ["expires_in", { expires_in: 60 }],
  ])("refuses the field %s: a Deepgram token's scope is fixed", async (field, body) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged(body), 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
  });

  it("records the grant in the audit trail with a fingerprint and never the token", async () => {
    await expectAuditedWithoutSecrets("deepgram", () => mintTagged({ ttl_seconds: 120 }), {
      ttl_seconds: 120,
      options: {},
      upstream_status: 200,
      error_code: null,
    });
  });

  it("maps Deepgram's 401 for a wrong API key to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { DEEPGRAM_API_KEY: "not-the-deepgram-key" });
  });

  it("passes on Deepgram's err_msg for a 400", async () => {
    const error = await expectError(
      await mintAgainstFault("deepgram", "DEEPGRAM_BASE_URL", "rejected"),
      502,
      "upstream_rejected",
    );
    expect(error.message).toBe("deepgram rejected the request: Input should be less than or equal to 3600");
  });

  itMapsUpstreamFaults("deepgram", "DEEPGRAM_BASE_URL", "a success with no access_token");

  it("refuses a token Deepgram says outlives ttl_seconds, and records its fingerprint for revocation", async () => {
    const now = new Date();
    const { response, user } = await mintAgainst(
      { status: 200, body: { access_token: "a.b.c", expires_in: 3600 } },
      60,
      now,
    );
    const error = await expectError(response, 502, "vendor_credential_refused");
    expect(error.message).toContain("outlive");
    const [record] = await auditRecordsFor(user);
    expect(record).toMatchObject({
      outcome: "upstream_error",
      error_code: "vendor_credential_refused",
      upstream_status: 200,
      key_fingerprint: await keyFingerprint("a.b.c"),
    });
  });

  it("takes a shorter expires_in as the token's life", async () => {
    const now = new Date();
    const { response } = await mintAgainst({ status: 200, body: { access_token: "a.b.c", expires_in: 30 } }, 60, now);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({
      ttl_seconds: 60,
      expires_at: new Date(now.getTime() + 30_000).toISOString(),
    });
  });

  it("takes an expires_in of null, as Deepgram documents it, as the ttl_seconds asked for", async () => {
    const now = new Date();
    const { response, user } = await mintAgainst(
      { status: 200, body: { access_token: "a.b.c", expires_in: null } },
      60,
      now,
    );
    expect(response.status).toBe(201);
    const body = (await response.json()) as { expires_at: string; issuance_id: string };
    expect(body.expires_at).toBe(new Date(now.getTime() + 60_000).toISOString());
    expect(await auditRecordsFor(user)).toMatchObject([{ outcome: "issued", expires_at: body.expires_at }]);
  });

  it("takes the emulator's expires_in of null (the expiry-null fault) as the ttl_seconds asked for", async () => {
    const response = await mint("deepgram", uniqueUser(), {
      body: { ttl_seconds: 120 },
      env: { DEEPGRAM_BASE_URL: faultUrl("expiry-null") },
    });
    expect(response.status).toBe(201);
    const { expires_at } = (await response.json()) as { expires_at: string };
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(100_000);
    expect(Date.parse(expires_at) - Date.now()).toBeLessThanOrEqual(120_000);
  });

  it.each([0, -5, "30"])(
    "refuses the token of an answer with expires_in %j, as one Deepgram issued",
    async (expiresIn) => {
      const { response, user } = await mintAgainst(
        { status: 200, body: { access_token: "a.b.c", expires_in: expiresIn } },
        60,
        new Date(),
      );
      await expectError(response, 502, "vendor_credential_refused");
      expect(await auditRecordsFor(user)).toMatchObject([{ key_fingerprint: await keyFingerprint("a.b.c") }]);
    },
  );

  it("lists Deepgram with its TTL range and what its credential allows", async () => {
    const listing = await listedVendor("deepgram");
    expect(listing).toMatchObject({ ttl_seconds: { min: 1, max: 3600, default: 60 } });
    expect(String(listing?.credential)).toContain("until it expires");
  });
});

describe("the Deepgram adapter", () => {
  const settings = { apiKey: "dg-key-0123456789", baseUrl: "https://dg.example" };
  const now = new Date("2026-11-02T10:00:00.000Z");

  async function mintWith(reply: VendorReply, ttlSeconds = 60) {
    const sent: VendorRequest[] = [];
    const minted = await deepgram.mint({
      settings,
      options: {},
      ttlSeconds,
      clientRef: "user-1",
      callerIp: undefined,
      now,
      send: async (request) => {
        sent.push(request);
        return reply;
      },
    });
    return { minted, sent };
  }

  it.each([{ access_token: "a.b.c" }, { access_token: "a.b.c", expires_in: null }])(
    "falls back to the requested TTL when Deepgram gives no expires_in: %j",
    async (answer) => {
      const { minted } = await mintWith({ status: 200, text: JSON.stringify(answer) }, 90);
      expect(minted).toEqual({ key: "a.b.c", expiresAt: new Date(now.getTime() + 90_000), applied: {} });
    },
  );

  it("counts a fractional expires_in to the millisecond", async () => {
    const { minted } = await mintWith({ status: 200, text: JSON.stringify({ access_token: "t", expires_in: 29.5 }) });
    expect(minted.expiresAt).toEqual(new Date(now.getTime() + 29_500));
  });

  it("sends the API key in the Token scheme to the configured base URL", async () => {
    const { sent } = await mintWith({ status: 200, text: JSON.stringify({ access_token: "t", expires_in: 60 }) });
    expect(sent).toEqual([
      {
        url: "https://dg.example/v1/auth/grant",
        headers: { Authorization: "Token dg-key-0123456789", "Content-Type": "application/json" },
        body: '{"ttl_seconds":60}',
      },
    ]);
  });

  it.each([
    ["the legacy shape", { err_code: "Bad Request", err_msg: "ttl out of range", request_id: "r" }, "ttl out of range"],
    [
      "the category shape",
      { category: "INVALID_JSON", message: "Invalid JSON submitted.", details: "expected `:`", request_id: "r" },
      "Invalid JSON submitted.: expected `:`",
    ],
    ["an empty object", {}, undefined],
  ])("reads a validation message from %s", (_case, body, message) => {
    expect(deepgram.readFailure(400, JSON.stringify(body)).message || undefined).toBe(message);
  });

  it("reads nothing from a body that is not JSON", () => {
    expect(deepgram.readFailure(400, "<html>Bad Request</html>")).toEqual({});
  });
});

describe("a granted token at Deepgram's live endpoint", () => {
  it("opens the live transcription socket as a Bearer token, and again, until it expires", async () => {
    const { response } = await mintTagged({ ttl_seconds: 60 });
    const { key } = (await response.json()) as { key: string };
    for (let i = 0; i < 2; i++) {
      const session = await openListen({ Authorization: `Bearer ${key}` });
      expect(session.status).toBe(101);
      const results = session.messages
        ?.map((m) => JSON.parse(m) as { type: string })
        .filter((m) => m.type === "Results");
      expect(results).toHaveLength(5);
    }
  });

  it("opens it with the token as a browser sends it, in the subprotocols", async () => {
    const { response } = await mintTagged();
    const { key } = (await response.json()) as { key: string };
    expect((await openListen({ "Sec-WebSocket-Protocol": `bearer, ${key}` })).status).toBe(101);
  });

  it("is refused in the Token scheme, which is for API keys", async () => {
    const { response } = await mintTagged();
    const { key } = (await response.json()) as { key: string };
    expect((await openListen({ Authorization: `Token ${key}` })).status).toBe(401);
  });

  it("is refused once expired", async () => {
    const { response } = await mintTagged({ ttl_seconds: 1 });
    const { key } = (await response.json()) as { key: string };
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await openListen({ Authorization: `Bearer ${key}` })).status).toBe(401);
  });
});

describe("the Deepgram emulator refuses what Deepgram refuses", () => {
  async function grant(body: string | undefined, authorization: string | null = `Token ${masterKeys.deepgram}`) {
    const response = await fetch(`${emulatorUrl}/v1/auth/grant`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it.each([
    ["the API key as a Bearer", `Bearer ${masterKeys.deepgram}`],
    ["a wrong key", "Token wrong-key"],
    ["no Authorization", null],
  ])("answers 401 INVALID_AUTH for %s", async (_case, authorization) => {
    expect(await grant('{"ttl_seconds":60}', authorization)).toMatchObject({
      status: 401,
      body: { err_code: "INVALID_AUTH", err_msg: "Invalid credentials." },
    });
  });

  it.each([0, 3601, 0.5])("answers 400 for ttl_seconds %j", async (ttl) => {
    const reply = await grant(JSON.stringify({ ttl_seconds: ttl }));
    expect(reply).toMatchObject({ status: 400, body: { err_code: "Bad Request" } });
    expect(reply.body.err_msg).toContain("between 1 and 3600");
  });

  it.each([
    ["JSON that is not", "{ttl_seconds: 60}"],
    ["a string ttl_seconds", '{"ttl_seconds":"60"}'],
    ["an unknown field", '{"ttl_seconds":60,"scope":"manage"}'],
  ])("answers 400 INVALID_JSON for %s", async (_case, body) => {
    expect(await grant(body)).toMatchObject({
      status: 400,
      body: { category: "INVALID_JSON", message: "Invalid JSON submitted." },
    });
  });

  it("grants Deepgram's default 30 seconds when the body names no TTL", async () => {
    expect(await grant("{}")).toMatchObject({ status: 200, body: { expires_in: 30 } });
    expect(await grant(undefined)).toMatchObject({ status: 200, body: { expires_in: 30 } });
  });
});
