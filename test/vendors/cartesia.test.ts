import { describe, expect, it } from "vitest";
import { cartesia, CARTESIA_DEFAULT_VERSION } from "../../src/vendors/cartesia";
import type { VendorRequest } from "../../src/vendors/upstream";
import { call, emulatorUrl, expectError, masterKeys } from "../helpers/broker";
import { mint } from "../helpers/mint";
import {
  expectAuditedWithoutSecrets,
  expectExpiresCountedFromBeforeTheCall,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  handshakeStatus,
  itMapsUpstreamFaults,
  listedVendor,
  mintAgainstFault,
  taggedMint,
} from "../helpers/vendor-tests";

const mintTagged = taggedMint("cartesia", "CARTESIA_BASE_URL");

interface Minted {
  key: string;
  issuance_id: string;
  expires_at: string;
  connect: { endpoint: string | null; credential: { name: string }; params: Record<string, string> };
}

/**
 * Opens a Cartesia WebSocket on the emulator from inside workerd exactly as `connect`
 * says: `credential.name` and every `params` entry in the endpoint's query.
 */
async function openAsConnectSays(minted: Minted, path?: string, drop?: string) {
  const endpoint = path ? `${emulatorUrl}${path}` : String(minted.connect.endpoint).replace(/^ws/, "http");
  const url = new URL(endpoint);
  url.searchParams.set(minted.connect.credential.name, minted.key);
  for (const [name, value] of Object.entries(minted.connect.params)) url.searchParams.set(name, value);
  if (drop) url.searchParams.delete(drop);
  return handshakeStatus(await fetch(url, { headers: { Upgrade: "websocket" } }));
}

describe("POST /v1/keys/cartesia", () => {
  it("mints an stt token by default and sends Cartesia exactly the documented request", async () => {
    const { response, received, user } = await mintTagged();
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ["client_ref", "connect", "expires_at", "grants", "issuance_id", "key", "ttl_seconds", "vendor"].sort(),
    );
    expect(body).toMatchObject({ vendor: "cartesia", ttl_seconds: 600, client_ref: user, grants: ["stt"] });

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("POST");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/access-token$/);
    expect(request?.headers.authorization).toBe(`Bearer ${masterKeys.cartesia}`);
    expect(request?.headers["cartesia-version"]).toBe(CARTESIA_DEFAULT_VERSION);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({ grants: { tts: false, stt: true, agent: false }, expires_in: 600 });
  });

  it.each([
    [["tts"], { tts: true, stt: false, agent: false }],
    [["agent"], { tts: false, stt: false, agent: true }],
    [["tts", "stt", "agent"], { tts: true, stt: true, agent: true }],
    [["agent", "stt"], { tts: false, stt: true, agent: true }],
  ])("sends grants %j as Cartesia's booleans", async (grants, sent) => {
    const { response, received } = await mintTagged({ grants });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ grants });
    expect((await received())[0]?.body).toMatchObject({ grants: sent });
  });

  // Each case is wrapped in an array, so that it.each passes a list as one argument.
  it.each([[[]], [["stt", "stt"]], [["all"]], ["stt"], [["STT"]], [[1]], [null]])(
    "refuses grants %j without calling Cartesia",
    async (grants) => {
      const error = await expectRefusedWithoutVendorCall(await mintTagged({ grants }), 400, "invalid_request");
      expect(error.message).toContain("grants");
    },
  );

  it("sends CARTESIA_VERSION when the operator sets one, and names it in connect", async () => {
    const { response, received } = await mintTagged({}, { CARTESIA_VERSION: "2026-03-01" });
    const body = (await response.json()) as Minted;
    expect(body.connect.params).toEqual({ cartesia_version: "2026-03-01" });
    expect((await received())[0]?.headers["cartesia-version"]).toBe("2026-03-01");
  });

  it.each(["yesterday", "2026-3-1", "2026-13-45"])("is misconfigured by CARTESIA_VERSION %j", async (version) => {
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({}, { CARTESIA_VERSION: version }),
      500,
      "misconfigured",
    );
    expect(error.message).not.toContain(masterKeys.cartesia);
  });

  it("computes expires_at from the expires_in it sent, counted from just before the call", async () => {
    await expectExpiresCountedFromBeforeTheCall(mintTagged, { ttl_seconds: 1234 }, 1234);
  });

  it.each([60, 3600])("accepts ttl_seconds %i at the limit and sends it as expires_in", async (ttl) => {
    const { response, received } = await mintTagged({ ttl_seconds: ttl });
    expect(response.status).toBe(201);
    expect((await received())[0]?.body).toMatchObject({ expires_in: ttl });
  });

  it.each([59, 3601, 0, 1.5, "600"])("refuses ttl_seconds %j without calling Cartesia", async (ttl) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ ttl_seconds: ttl }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
    if (typeof ttl === "number" && Number.isInteger(ttl)) expect(error.message).toContain("from 60 to 3600");
  });

  it.each([
    ["expires_in", { expires_in: 60 }],
    ["client_ref", { client_ref: "mallory" }],
  ])("refuses the field %s", async (field, body) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged(body), 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
  });

  it("records the token in the audit with a fingerprint, never the token or the API key, in logs or audit", async () => {
    await expectAuditedWithoutSecrets("cartesia", () => mintTagged({ ttl_seconds: 120, grants: ["tts"] }), {
      ttl_seconds: 120,
      options: { grants: ["tts"] },
      upstream_status: 200,
    });
  });

  it("maps Cartesia's 401 for a wrong API key to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { CARTESIA_API_KEY: "not-the-cartesia-key" });
  });

  it("passes on the message of Cartesia's error body for a 400", async () => {
    const error = await expectError(
      await mintAgainstFault("cartesia", "CARTESIA_BASE_URL", "rejected"),
      502,
      "upstream_rejected",
    );
    expect(error.message).toBe("cartesia rejected the request: Input should be less than or equal to 3600");
  });

  itMapsUpstreamFaults("cartesia", "CARTESIA_BASE_URL", "a success with no token");

  it("lists Cartesia with its TTL range and its default connect", async () => {
    expect(await listedVendor("cartesia")).toMatchObject({
      ttl_seconds: { min: 60, max: 3600, default: 600 },
    });
  });
});

describe("POLICY on cartesia grants", () => {
  const POLICY = JSON.stringify({ cartesia: { options: { grants: { in: ["stt", "tts"] } } } });

  it("refuses a grant outside the policy's set with 403, before the vendor call", async () => {
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ grants: ["tts", "stt", "agent"] }, { POLICY }),
      403,
      "forbidden",
    );
    expect(error.message).toBe(
      'forbidden by policy: grants must be a list of "stt", "tts" only under this broker\'s policy for cartesia',
    );
  });

  it.each([[["tts"]], [["stt", "tts"]], [["tts", "stt"]]])(
    "allows %j, a subset of the policy's set",
    async (grants) => {
      const { response } = await mintTagged({ grants }, { POLICY });
      expect(response.status).toBe(201);
    },
  );

  it("refuses the default when the policy leaves it out, and says what to send", async () => {
    const ttsOnly = JSON.stringify({ cartesia: { options: { grants: { in: ["tts"] } } } });
    const error = await expectError((await mintTagged({}, { POLICY: ttsOnly })).response, 403, "forbidden");
    expect(error.message).toContain('grants defaults to ["stt"], which is not allowed');
  });

  it("forces a set of grants, and takes the same set in any order from the client", async () => {
    const forced = JSON.stringify({ cartesia: { options: { grants: { force: ["tts", "stt"] } } } });
    const { response, received } = await mintTagged({}, { POLICY: forced });
    expect(await response.json()).toMatchObject({ grants: ["tts", "stt"] });
    expect((await received())[0]?.body).toMatchObject({ grants: { tts: true, stt: true, agent: false } });
    expect((await mintTagged({ grants: ["stt", "tts"] }, { POLICY: forced })).response.status).toBe(201);
  });

  it.each([[["tts"]], [["tts", "stt", "agent"]]])("refuses %j against a forced set with 403", async (grants) => {
    const forced = JSON.stringify({ cartesia: { options: { grants: { force: ["tts", "stt"] } } } });
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ grants }, { POLICY: forced }),
      403,
      "forbidden",
    );
    expect(error.message).toContain('grants is fixed to ["tts","stt"]');
  });

  it("lists the narrowed set of grants and the connect of an allowed default in GET /v1/vendors", async () => {
    const ttsOnly = JSON.stringify({ cartesia: { options: { grants: { in: ["tts"] } } } });
    const listed = (await listedVendor("cartesia", { POLICY: ttsOnly })) as {
      options: object;
      connect: Minted["connect"];
    };
    expect(listed.options).toEqual({
      grants: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", enum: ["tts"] } },
    });
    expect(listed.connect.endpoint).toMatch(/\/tts\/websocket$/);
  });
});

describe("a Cartesia token at the emulator's WebSockets, presented as connect says", () => {
  it("opens the stt WebSocket with access_token and cartesia_version in the query", async () => {
    const minted = (await (await mintTagged()).response.json()) as Minted;
    expect(await openAsConnectSays(minted)).toBe(101);
    // Several times: the token is not single-use.
    expect(await openAsConnectSays(minted)).toBe(101);
  });

  it("is refused without cartesia_version, and without the access_token", async () => {
    const minted = (await (await mintTagged()).response.json()) as Minted;
    expect(await openAsConnectSays(minted, undefined, "cartesia_version")).toBe(400);
    expect(await openAsConnectSays(minted, undefined, "access_token")).toBe(401);
  });

  it("is refused at an endpoint the token has no grant for", async () => {
    const minted = (await (await mintTagged()).response.json()) as Minted;
    expect(await openAsConnectSays(minted, "/tts/websocket")).toBe(403);
  });

  it("connects a tts token to the tts WebSocket, which connect names", async () => {
    const minted = (await (await mintTagged({ grants: ["tts"] })).response.json()) as Minted;
    expect(minted.connect.endpoint).toMatch(/\/tts\/websocket$/);
    expect(await openAsConnectSays(minted)).toBe(101);
  });

  it("gives an agent-only token no fixed endpoint", async () => {
    const minted = (await (await mintTagged({ grants: ["agent"] })).response.json()) as Minted;
    expect(minted.connect.endpoint).toBeNull();
  });
});

describe("the Cartesia adapter", () => {
  const settings = { apiKey: "car-key-0123456789", baseUrl: "https://api.cartesia.ai", version: "2026-08-14" };
  const now = new Date("2026-11-02T10:00:00.000Z");

  it("sends the key as Bearer with the version header to the configured base URL", async () => {
    const sent: VendorRequest[] = [];
    const minted = await cartesia.mint({
      settings,
      options: { grants: ["tts", "stt"] },
      ttlSeconds: 90,
      clientRef: "user-1",
      callerIp: undefined,
      now,
      send: async (request) => {
        sent.push(request);
        return { status: 200, text: JSON.stringify({ token: "tok" }) };
      },
    });
    expect(minted).toEqual({
      key: "tok",
      expiresAt: new Date(now.getTime() + 90_000),
      applied: { grants: ["tts", "stt"] },
    });
    expect(sent).toEqual([
      {
        url: "https://api.cartesia.ai/access-token",
        headers: {
          Authorization: "Bearer car-key-0123456789",
          "Cartesia-Version": "2026-08-14",
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: '{"grants":{"tts":true,"stt":true,"agent":false},"expires_in":90}',
      },
    ]);
  });

  it("points connect at Cartesia's own host by default", () => {
    expect(cartesia.connect(settings, { grants: ["stt"] })).toEqual({
      transport: "websocket",
      endpoint: "wss://api.cartesia.ai/stt/websocket",
      credential: { in: "query", name: "access_token" },
      params: { cartesia_version: "2026-08-14" },
    });
  });

  it.each([
    [
      "Cartesia's error object",
      { error_code: "x", title: "Bad", message: "expires_in too big", request_id: "r" },
      "expires_in too big",
    ],
    ["a title only", { title: "Bad request" }, "Bad request"],
    ["an empty object", {}, undefined],
  ])("reads a message from %s", (_case, body, message) => {
    expect(cartesia.readFailure(400, JSON.stringify(body)).message).toBe(message);
  });
});

describe("the Cartesia emulator refuses what Cartesia refuses", () => {
  async function create(body: unknown, headers: Record<string, string | null> = {}) {
    const all: Record<string, string | null> = {
      authorization: `Bearer ${masterKeys.cartesia}`,
      "cartesia-version": "2026-08-14",
      "content-type": "application/json",
      ...headers,
    };
    const response = await fetch(`${emulatorUrl}/access-token`, {
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
    expect(await create({ grants: { stt: true }, expires_in: 60 }, headers)).toMatchObject({
      status: 401,
      body: { error_code: "unauthorized", title: "Unauthorized" },
    });
  });

  it("answers 400 without Cartesia-Version", async () => {
    const reply = await create({ grants: { stt: true } }, { "cartesia-version": null });
    expect(reply.status).toBe(400);
    expect(String(reply.body.message)).toContain("Cartesia-Version");
  });

  it.each([0, 3601, 1.5, "60"])("answers 400 for expires_in %j", async (expiresIn) => {
    expect((await create({ grants: { stt: true }, expires_in: expiresIn })).status).toBe(400);
  });

  it.each([{ grants: { voices: true } }, { grants: { stt: "yes" } }, { grants: ["stt"] }, { scope: "x" }])(
    "answers 400 for %j",
    async (body) => {
      expect((await create(body)).status).toBe(400);
    },
  );

  it("answers the token only", async () => {
    const reply = await create({ grants: { stt: true }, expires_in: 60 });
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body)).toEqual(["token"]);
  });
});
