import { describe, expect, it } from "vitest";
import type { VendorRequest } from "../../src/vendors/upstream";
import { xai } from "../../src/vendors/xai";
import { emulatorUrl, expectError, masterKeys } from "../helpers/broker";
import { mint } from "../helpers/mint";
import {
  expectAuditedWithoutSecrets,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  handshakeStatus,
  itMapsUpstreamFaults,
  listedVendor,
  mintAgainstFault,
  taggedMint,
} from "../helpers/vendor-tests";

const mintTagged = taggedMint("xai", "XAI_BASE_URL");

interface Minted {
  key: string;
  issuance_id: string;
  expires_at: string;
  connect: { endpoint: string; credential: { in: string; protocols: string[] } };
}

/** Opens the emulator's Voice Agent WebSocket from inside workerd with these headers; the handshake's status. */
async function open(headers: Record<string, string>) {
  return handshakeStatus(await fetch(`${emulatorUrl}/v1/realtime`, { headers: { Upgrade: "websocket", ...headers } }));
}

/** The subprotocols `connect` names, with the key in place of `{key}`. */
const protocolsFor = (minted: Minted) => minted.connect.credential.protocols.map((p) => p.replace("{key}", minted.key));

describe("POST /v1/keys/xai", () => {
  it("mints a client secret by default and sends xAI expires_after.seconds and nothing else", async () => {
    const { response, received, user } = await mintTagged();
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ["client_ref", "connect", "expires_at", "issuance_id", "key", "ttl_seconds", "vendor"].sort(),
    );
    expect(body).toMatchObject({ vendor: "xai", ttl_seconds: 300, client_ref: user });

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("POST");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/v1\/realtime\/client_secrets$/);
    expect(request?.headers.authorization).toBe(`Bearer ${masterKeys.xai}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({ expires_after: { seconds: 300 } });
  });

  it("answers xAI's own expires_at", async () => {
    const { response } = await mintTagged({ ttl_seconds: 1234 });
    const body = (await response.json()) as { expires_at: string };
    const expiresAt = Date.parse(body.expires_at);
    // The emulator's expires_at is whole epoch seconds: the broker answers it as it came.
    expect(expiresAt % 1000).toBe(0);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 1234_000);
  });

  it.each([60, 3600])("accepts ttl_seconds %i at the limit and sends it as expires_after.seconds", async (ttl) => {
    const { response, received } = await mintTagged({ ttl_seconds: ttl });
    expect(response.status).toBe(201);
    expect((await received())[0]?.body).toEqual({ expires_after: { seconds: ttl } });
  });

  it.each([59, 3601, 0, 1.5, "300"])("refuses ttl_seconds %j without calling xAI", async (ttl) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ ttl_seconds: ttl }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
    if (typeof ttl === "number" && Number.isInteger(ttl)) expect(error.message).toContain("from 60 to 3600");
  });

  it.each([
    ["session", { session: { type: "realtime" } }],
    ["expires_after", { expires_after: { anchor: "created_at", seconds: 60 } }],
    ["client_ref", { client_ref: "mallory" }],
  ])("refuses the field %s without calling xAI", async (field, body) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged(body), 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
  });

  it("records the secret in the audit with a fingerprint, never the secret or the API key, in logs or audit", async () => {
    await expectAuditedWithoutSecrets("xai", () => mintTagged({ ttl_seconds: 120 }), {
      ttl_seconds: 120,
      upstream_status: 200,
    });
  });

  it("maps xAI's 401 for a wrong API key to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { XAI_API_KEY: "xai-not-the-broker-key" });
  });

  it("passes on the message of xAI's error body for a 400", async () => {
    const error = await expectError(
      await mintAgainstFault("xai", "XAI_BASE_URL", "rejected"),
      502,
      "upstream_rejected",
    );
    expect(error.message).toMatch(/^xai rejected the request: .+/);
  });

  itMapsUpstreamFaults("xai", "XAI_BASE_URL", "a success with no secret");

  it("lists xAI with its TTL range", async () => {
    expect(await listedVendor("xai")).toMatchObject({ ttl_seconds: { min: 60, max: 3600, default: 300 } });
  });
});

describe("an xAI client secret at the emulator's Voice Agent WebSocket", () => {
  it("opens with the subprotocol connect names, several times", async () => {
    const minted = (await (await mintTagged()).response.json()) as Minted;
    expect(minted.connect.credential).toEqual({ in: "subprotocols", protocols: ["xai-client-secret.{key}"] });
    const protocol = protocolsFor(minted).join(", ");
    expect(await open({ "Sec-WebSocket-Protocol": protocol })).toBe(101);
    expect(await open({ "Sec-WebSocket-Protocol": protocol })).toBe(101);
  });

  it("is refused any other way: bare, as a Bearer header, or an unknown secret", async () => {
    const minted = (await (await mintTagged()).response.json()) as Minted;
    expect(await open({ "Sec-WebSocket-Protocol": minted.key })).toBe(401);
    expect(await open({ Authorization: `Bearer ${minted.key}` })).toBe(401);
    expect(await open({ "Sec-WebSocket-Protocol": "xai-client-secret.xai-cs-UNKNOWN" })).toBe(401);
  });
});

describe("the xAI adapter", () => {
  const settings = { apiKey: "xai-key-0123456789", baseUrl: "https://api.x.ai" };
  const now = new Date("2026-11-02T10:00:00.000Z");

  it("sends the key as Bearer and only expires_after.seconds, and answers xAI's expiry", async () => {
    const sent: VendorRequest[] = [];
    const expiresAt = now.getTime() / 1000 + 90;
    const minted = await xai.mint({
      settings,
      options: {},
      ttlSeconds: 90,
      clientRef: "user-1",
      callerIp: undefined,
      now,
      send: async (request) => {
        sent.push(request);
        return { status: 200, text: JSON.stringify({ value: "sec", expires_at: expiresAt }) };
      },
    });
    expect(minted).toEqual({ key: "sec", expiresAt: new Date(expiresAt * 1000), applied: {} });
    expect(sent).toEqual([
      {
        url: "https://api.x.ai/v1/realtime/client_secrets",
        headers: {
          Authorization: "Bearer xai-key-0123456789",
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: '{"expires_after":{"seconds":90}}',
      },
    ]);
  });

  it("points connect at xAI's own Voice Agent WebSocket by default", () => {
    expect(xai.connect(settings)).toEqual({
      transport: "websocket",
      endpoint: "wss://api.x.ai/v1/realtime",
      credential: { in: "subprotocols", protocols: ["xai-client-secret.{key}"] },
    });
  });

  it.each([
    ["an error object", { error: { message: "seconds too big" } }, "seconds too big"],
    ["an error string", { error: "Incorrect API key" }, "Incorrect API key"],
    ["an empty object", {}, undefined],
  ])("reads a message from %s", (_case, body, message) => {
    expect(xai.readFailure(400, JSON.stringify(body)).message).toBe(message);
  });
});

describe("the xAI emulator refuses what xAI refuses", () => {
  async function create(body: unknown, authorization = `Bearer ${masterKeys.xai}`) {
    const headers = { "content-type": "application/json", authorization };
    const response = await fetch(`${emulatorUrl}/v1/realtime/client_secrets`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("answers 401 for a wrong key", async () => {
    expect((await create({ expires_after: { seconds: 60 } }, "Bearer xai-wrong")).status).toBe(401);
  });

  it.each([
    { session: { type: "realtime" } },
    { expires_after: { anchor: "created_at", seconds: 60 } },
    { expires_after: { seconds: 9 } },
    { expires_after: { seconds: 7201 } },
    { expires_after: { seconds: "60" } },
    { model: "grok" },
  ])("answers 400 for %j", async (body) => {
    expect((await create(body)).status).toBe(400);
  });

  it("answers value and expires_at only", async () => {
    const reply = await create({ expires_after: { seconds: 60 } });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body)).toEqual(["value", "expires_at"]);
  });
});
