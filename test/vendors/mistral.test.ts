import { describe, expect, it } from "vitest";
import { mistral } from "../../src/vendors/mistral";
import type { VendorRequest } from "../../src/vendors/upstream";
import { auditRecord, auditRecordsFor } from "../helpers/audit";
import { call, captureLogs, emulatorUrl, expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import {
  expectAuditedWithoutSecrets,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  handshakeStatus,
  itMapsUpstreamFaults,
  listedVendor,
  taggedMint,
} from "../helpers/vendor-tests";

const MODEL = "voxtral-mini-transcribe-realtime-2602";

const mintTagged = taggedMint("mistral", "MISTRAL_BASE_URL");

interface Minted {
  key: string;
  issuance_id: string;
  expires_at: string;
  connect: { endpoint: string | null; credential: { protocols: string[] }; params: Record<string, string> };
}

/**
 * Opens the realtime WebSocket on the emulator from inside workerd exactly as `connect`
 * says: `params` in the query and the subprotocols with `{key}` replaced by the key.
 */
async function openAsConnectSays(minted: Minted, change: { protocols?: string[]; model?: string | null } = {}) {
  const url = new URL(String(minted.connect.endpoint).replace(/^ws/, "http"));
  for (const [name, value] of Object.entries(minted.connect.params)) url.searchParams.set(name, value);
  if (change.model === null) url.searchParams.delete("model");
  else if (change.model !== undefined) url.searchParams.set("model", change.model);
  const protocols =
    change.protocols ?? minted.connect.credential.protocols.map((p) => (p === "{key}" ? minted.key : p));
  return handshakeStatus(
    await fetch(url, { headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": protocols.join(", ") } }),
  );
}

describe("POST /v1/keys/mistral", () => {
  it("mints a realtime token by default and sends Mistral exactly the documented request", async () => {
    const { response, received, user } = await mintTagged();
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ["client_ref", "connect", "expires_at", "issuance_id", "key", "model", "ttl_seconds", "vendor"].sort(),
    );
    expect(body).toMatchObject({ vendor: "mistral", ttl_seconds: 300, client_ref: user, model: MODEL });
    expect(String(body.key)).toMatch(/^rt_/);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("POST");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/v1\/client\/sessions$/);
    expect(request?.headers.authorization).toBe(`Bearer ${masterKeys.mistral}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({ purpose: "realtime", model: MODEL, ttl_seconds: 300 });
  });

  it("returns client_secret.expires_at, Mistral's own expiry, when it is within the TTL", async () => {
    const { response } = await mintTagged({ ttl_seconds: 120 });
    expect(response.status).toBe(201);
    const { expires_at, issuance_id } = (await response.json()) as Minted;
    // The emulator answers a whole-millisecond ISO time; the broker passes it on and audits the same.
    expect(expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect((await auditRecord(issuance_id)).expires_at).toBe(expires_at);
  });

  it("refuses a token whose client_secret.expires_at outlives the TTL, and records it for revocation", async () => {
    // The broker's clock an hour behind the vendor's: the token Mistral answers outlives ttl_seconds.
    const now = new Date(Date.now() - 3_600_000);
    const user = uniqueUser();
    const { result: response, lines } = await captureLogs(async () =>
      call("/v1/keys/mistral", {
        method: "POST",
        headers: await bearer(user),
        body: { ttl_seconds: 60 },
        now: () => now,
      }),
    );
    const text = await response.clone().text();
    const error = await expectError(response, 502, "vendor_credential_refused");
    expect(error.message).toContain("outlive");
    expect(text).not.toMatch(/"key"/);
    const [record] = await auditRecordsFor(user);
    expect(record).toMatchObject({ vendor: "mistral", upstream_status: 201 });
    for (const line of lines) expect(line).not.toMatch(/rt_[A-Z0-9]{40}/);
  });

  it.each([60, 3600])("accepts ttl_seconds %i at the limit and sends it as ttl_seconds", async (ttl) => {
    const { response, received } = await mintTagged({ ttl_seconds: ttl });
    expect(response.status).toBe(201);
    expect((await received())[0]?.body).toMatchObject({ ttl_seconds: ttl });
  });

  it.each([59, 3601, 0, 1.5, "300"])("refuses ttl_seconds %j without calling Mistral", async (ttl) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ ttl_seconds: ttl }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
    if (typeof ttl === "number" && Number.isInteger(ttl)) expect(error.message).toContain("from 60 to 3600");
  });

  it.each(["voxtral-mini-latest", "", 42])("refuses model %j without calling Mistral", async (model) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ model }), 400, "invalid_request");
    expect(error.message).toContain("model");
  });

  it.each([
    ["purpose", { purpose: "realtime" }],
    ["client_ref", { client_ref: "mallory" }],
  ])("refuses the field %s", async (field, body) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged(body), 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
  });

  it("records the token in the audit with a fingerprint, never the token or the API key, in logs or audit", async () => {
    await expectAuditedWithoutSecrets("mistral", () => mintTagged({ ttl_seconds: 120 }), {
      ttl_seconds: 120,
      options: { model: MODEL },
      upstream_status: 201,
    });
  });

  it("maps Mistral's 401 for a wrong API key to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { MISTRAL_API_KEY: "not-the-mistral-key" });
  });

  itMapsUpstreamFaults("mistral", "MISTRAL_BASE_URL", "a success with no client_secret", [
    ["a 400", "rejected", 502, "upstream_rejected"],
  ]);

  it("lists Mistral with its TTL range, its model option and its default connect", async () => {
    expect(await listedVendor("mistral")).toMatchObject({
      ttl_seconds: { min: 60, max: 3600, default: 300 },
    });
  });
});

describe("POLICY on the mistral model", () => {
  it("refuses a POLICY naming a model Mistral does not document, before the vendor call", async () => {
    const POLICY = JSON.stringify({ mistral: { options: { model: { in: ["voxtral-mini-latest"] } } } });
    const error = await expectRefusedWithoutVendorCall(await mintTagged({}, { POLICY }), 500, "misconfigured");
    expect(error.message).toContain("not a valid model for mistral");
  });

  it("allows the model the policy lists", async () => {
    const POLICY = JSON.stringify({ mistral: { options: { model: { in: [MODEL] } } } });
    const { response } = await mintTagged({ model: MODEL }, { POLICY });
    expect(response.status).toBe(201);
  });

  it("forces the model", async () => {
    const POLICY = JSON.stringify({ mistral: { options: { model: { force: MODEL } } } });
    const { response, received } = await mintTagged({}, { POLICY });
    expect(await response.json()).toMatchObject({ model: MODEL });
    expect((await received())[0]?.body).toMatchObject({ model: MODEL });
  });
});

describe("a Mistral token at the emulator's realtime WebSocket, presented as connect says", () => {
  it("opens it with the subprotocols realtime and the key, and ?model=, several times", async () => {
    const minted = (await (await mintTagged()).response.json()) as Minted;
    expect(minted.connect.endpoint).toMatch(/^ws:\/\/[^/]+\/v1\/audio\/transcriptions\/realtime$/);
    expect(await openAsConnectSays(minted)).toBe(101);
    expect(await openAsConnectSays(minted)).toBe(101);
  });

  it("is refused with the key in another subprotocol form, without the key, or for another model", async () => {
    const minted = (await (await mintTagged()).response.json()) as Minted;
    expect(await openAsConnectSays(minted, { protocols: ["bearer", minted.key] })).toBe(401);
    expect(await openAsConnectSays(minted, { protocols: ["realtime"] })).toBe(401);
    expect(await openAsConnectSays(minted, { model: "voxtral-other-realtime" })).toBe(403);
    expect(await openAsConnectSays(minted, { model: null })).toBe(422);
  });
});

describe("the Mistral adapter", () => {
  const settings = { apiKey: "mis-key-0123456789", baseUrl: "https://api.mistral.ai" };
  const now = new Date("2026-11-02T10:00:00.000Z");

  it("sends the key as Bearer with purpose, model and ttl_seconds, and reads client_secret", async () => {
    const sent: VendorRequest[] = [];
    const expiresAt = "2026-11-02T10:01:30Z";
    const minted = await mistral.mint({
      settings,
      options: { model: MODEL },
      ttlSeconds: 90,
      clientRef: "user-1",
      callerIp: undefined,
      now,
      send: async (request) => {
        sent.push(request);
        const answer = {
          object: "client.session",
          purpose: "realtime",
          expires_at: expiresAt,
          client_secret: { value: "rt_abc", expires_at: expiresAt },
        };
        return { status: 201, text: JSON.stringify(answer) };
      },
    });
    expect(minted).toEqual({ key: "rt_abc", expiresAt: new Date(expiresAt), applied: { model: MODEL } });
    expect(sent).toEqual([
      {
        url: "https://api.mistral.ai/v1/client/sessions",
        headers: {
          Authorization: "Bearer mis-key-0123456789",
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: `{"purpose":"realtime","model":"${MODEL}","ttl_seconds":90}`,
      },
    ]);
  });

  it.each([
    ["no expires_at", {}],
    ["a null expires_at", { expires_at: null }],
    ["an unreadable expires_at", { expires_at: "soon" }],
  ])("reads a token with %s as having no expiry, which the mint refuses", async (_case, expiry) => {
    const minted = await mistral.mint({
      settings,
      options: { model: MODEL },
      ttlSeconds: 90,
      clientRef: "user-1",
      callerIp: undefined,
      now,
      send: async () => ({ status: 201, text: JSON.stringify({ client_secret: { value: "rt_abc", ...expiry } }) }),
    });
    expect(minted.key).toBe("rt_abc");
    expect(minted.expiresAt === null || Number.isNaN(minted.expiresAt.getTime())).toBe(true);
  });

  it("points connect at Mistral's own host by default", () => {
    expect(mistral.connect(settings, { model: MODEL })).toEqual({
      transport: "websocket",
      endpoint: "wss://api.mistral.ai/v1/audio/transcriptions/realtime",
      credential: { in: "subprotocols", protocols: ["realtime", "{key}"] },
      params: { model: MODEL },
    });
  });

  it.each([
    ["a message", { message: "Unauthorized", request_id: "r" }, "Unauthorized"],
    [
      "a 422 detail list",
      { detail: [{ loc: ["body", "model"], msg: "Field required", type: "missing" }] },
      "Field required",
    ],
    ["a detail string", { detail: "Not found" }, "Not found"],
    ["an empty object", {}, undefined],
  ])("reads a message from %s", (_case, body, message) => {
    expect(mistral.readFailure(400, JSON.stringify(body)).message).toBe(message);
  });
});

describe("the Mistral emulator refuses what Mistral refuses", () => {
  async function create(body: unknown, headers: Record<string, string | null> = {}) {
    const all: Record<string, string | null> = {
      authorization: `Bearer ${masterKeys.mistral}`,
      "content-type": "application/json",
      ...headers,
    };
    const response = await fetch(`${emulatorUrl}/v1/client/sessions`, {
      method: "POST",
      headers: Object.fromEntries(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== null)),
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it.each([
    ["a wrong key", { authorization: "Bearer wrong" }],
    ["no Authorization", { authorization: null }],
  ])("answers 401 for %s", async (_case, headers) => {
    expect(await create({ purpose: "realtime", model: MODEL }, headers)).toMatchObject({
      status: 401,
      body: { message: "Unauthorized" },
    });
  });

  it.each([
    { model: MODEL },
    { purpose: "chat", model: MODEL },
    { purpose: "realtime" },
    { purpose: "realtime", model: MODEL, ttl_seconds: 1.5 },
    { purpose: "realtime", model: MODEL, session: {} },
  ])("answers 422 for %j", async (body) => {
    const reply = await create(body);
    expect(reply.status).toBe(422);
    expect(reply.body.detail).toEqual([expect.objectContaining({ msg: expect.any(String) })]);
  });

  it("answers 201 with the documented client.session shape", async () => {
    const reply = await create({ purpose: "realtime", model: MODEL });
    expect(reply.status).toBe(201);
    expect(Object.keys(reply.body).sort()).toEqual(["client_secret", "expires_at", "object", "purpose"]);
    expect(reply.body).toMatchObject({ object: "client.session", purpose: "realtime" });
  });
});
