import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import { sha256Hex } from "../../src/ids";
import { elevenlabs } from "../../src/vendors/elevenlabs";
import { RefusedCredential, type VendorReply, type VendorRequest } from "../../src/vendors/upstream";
import { auditRecord } from "../helpers/audit";
import { call, captureLogs, emulatorUrl, expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import {
  expectAuditedWithoutSecrets,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  listedVendor,
  taggedMint,
} from "../helpers/vendor-tests";
import { withPolicy } from "../policy/policy-env";

interface Minted {
  vendor: string;
  key: string;
  url?: string;
  expires_at: string;
  ttl_seconds: number;
  issuance_id: string;
  [option: string]: unknown;
}

const FIXED_LIFE_MS = 900_000;
const AGENT = "agent_3701k3ttaq12ewp8b7qv5rfyszkz";

const mintTagged = taggedMint("elevenlabs", "ELEVENLABS_BASE_URL");

async function minted(body: unknown = {}): Promise<Minted> {
  const { response } = await mintTagged(body);
  expect(response.status).toBe(201);
  return (await response.json()) as Minted;
}

describe("POST /v1/keys/elevenlabs: single-use tokens", () => {
  it("mints a realtime_scribe token by default, sending ElevenLabs exactly the documented request", async () => {
    const before = Date.now();
    const { response, received } = await mintTagged();
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Minted;
    // single_use tells clients never to cache or share the token: ElevenLabs consumes it on first use.
    expect(body).toMatchObject({ vendor: "elevenlabs", kind: "realtime_scribe", ttl_seconds: 900, single_use: true });
    expect(body.key).toMatch(/^sutkn_[a-z0-9]{40}$/);
    expect(body).not.toHaveProperty("url");
    expect(body).not.toHaveProperty("agent_id");
    const expires = Date.parse(body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + FIXED_LIFE_MS - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + FIXED_LIFE_MS);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request).toMatchObject({
      vendor: "elevenlabs",
      method: "POST",
      path: expect.stringMatching(/^\/t\/[\w-]+\/v1\/single-use-token\/realtime_scribe$/),
      query: {},
      body: "",
    });
    expect(request?.headers["xi-api-key"]).toBe(masterKeys.elevenlabs);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers["content-type"]).toBeUndefined();
  });

  it("mints a tts_websocket token at its own path", async () => {
    const { response, received } = await mintTagged({ kind: "tts_websocket" });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ kind: "tts_websocket", ttl_seconds: 900 });
    const [request] = await received();
    expect(request).toMatchObject({
      method: "POST",
      path: expect.stringMatching(/^\/t\/[\w-]+\/v1\/single-use-token\/tts_websocket$/),
      query: {},
    });
  });

  it("counts expires_at from the broker's clock just before the call: the fixed 15 minutes", async () => {
    const now = new Date(Date.now() - 1234);
    const { response } = await mintTagged({}, {}, { now: () => now });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(body.expires_at).toBe(new Date(now.getTime() + FIXED_LIFE_MS).toISOString());
  });
});

describe("POST /v1/keys/elevenlabs: agent signed URLs", () => {
  it("gets a signed URL with a GET carrying agent_id, and answers it as url with its signature as key", async () => {
    const before = Date.now();
    const { response, received } = await mintTagged({ kind: "agent", agent_id: AGENT });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(body).toMatchObject({ vendor: "elevenlabs", kind: "agent", agent_id: AGENT, ttl_seconds: 900 });
    expect(body).not.toHaveProperty("single_use"); // a signed URL starts any number of conversations
    const url = new URL(body.url ?? "");
    expect(url.pathname).toBe("/v1/convai/conversation");
    expect(url.searchParams.get("agent_id")).toBe(AGENT);
    expect(body.key).toMatch(/^cvtkn_[a-z0-9]{40}$/);
    expect(url.searchParams.get("conversation_signature")).toBe(body.key);
    expect(Date.parse(body.expires_at)).toBeGreaterThanOrEqual(before + FIXED_LIFE_MS - 1000);
    expect(Date.parse(body.expires_at)).toBeLessThanOrEqual(Date.now() + FIXED_LIFE_MS);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request).toMatchObject({
      vendor: "elevenlabs",
      method: "GET",
      path: expect.stringMatching(/^\/t\/[\w-]+\/v1\/convai\/conversation\/get-signed-url$/),
      query: { agent_id: AGENT },
      body: "",
    });
    expect(request?.headers["xi-api-key"]).toBe(masterKeys.elevenlabs);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers["content-type"]).toBeUndefined();
  });

  it.each(["a", "A-z_0-9", "x".repeat(64)])("accepts agent_id %j", async (agentId) => {
    const { response, received } = await mintTagged({ kind: "agent", agent_id: agentId });
    expect(response.status).toBe(201);
    expect((await received())[0]?.query).toEqual({ agent_id: agentId });
  });

  it.each(["", "x".repeat(65), "agent 1", "agent/../x", "agent&x=1", "ägent", 42])(
    "refuses agent_id %j with 400 naming the rule, without calling ElevenLabs",
    async (agentId) => {
      const error = await expectRefusedWithoutVendorCall(
        await mintTagged({ kind: "agent", agent_id: agentId }),
        400,
        "invalid_request",
      );
      expect(error.message).toContain(
        typeof agentId === "string" ? "agent_id must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -" : "agent_id",
      );
    },
  );

  it("requires agent_id for kind agent", async () => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ kind: "agent" }), 400, "invalid_request");
    expect(error.message).toBe("invalid elevenlabs request: agent_id is required when kind is agent");
  });

  it.each([
    { agent_id: AGENT },
    { kind: "realtime_scribe", agent_id: AGENT },
    { kind: "tts_websocket", agent_id: AGENT },
  ])("refuses agent_id for a token kind (%j)", async (body) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged(body), 400, "invalid_request");
    expect(error.message).toMatch(/^invalid elevenlabs request: agent_id is only for kind agent, not \w+$/);
  });
});

describe("POST /v1/keys/elevenlabs: the request body", () => {
  it.each([{}, { kind: "agent", agent_id: AGENT }])("accepts ttl_seconds 900, the fixed life (%j)", async (body) => {
    const { response } = await mintTagged({ ...body, ttl_seconds: 900 });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ttl_seconds: 900 });
  });

  it.each([899, 901, 1, 60, 3600])(
    "refuses ttl_seconds %i: ElevenLabs credentials live a fixed 900 seconds",
    async (ttl) => {
      const error = await expectRefusedWithoutVendorCall(
        await mintTagged({ ttl_seconds: ttl }),
        400,
        "invalid_request",
      );
      expect(error.message).toContain(
        "ttl_seconds must be 900 or left out: elevenlabs credentials live a fixed 900 seconds",
      );
    },
  );

  it.each(["batch_scribe", "scribe", "", 1])("refuses kind %j and names the kinds it takes", async (kind) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ kind }), 400, "invalid_request");
    expect(error.message).toContain('kind must be one of "realtime_scribe", "tts_websocket", "agent"');
  });

  it.each([["client_ref"], ["token_type"], ["include_conversation_id"]])(
    "refuses the field %s, which this broker does not take",
    async (name) => {
      const error = await expectRefusedWithoutVendorCall(await mintTagged({ [name]: "x" }), 400, "invalid_request");
      expect(error.message).toContain(`unknown field ${name}`);
    },
  );
});

describe("GET /v1/vendors for elevenlabs", () => {
  it("shows the fixed life as a TTL range of one value, and what the credential allows", async () => {
    const listed = await listedVendor("elevenlabs");
    expect(listed?.ttl_seconds).toEqual({ min: 900, max: 900, default: 900 });
    expect(listed?.credential).toContain("consumed by its first connection");
    expect(listed?.credential).toContain("within a fixed 15 minutes");
  });
});

describe("POLICY on elevenlabs agent_id", () => {
  const policy = { elevenlabs: { options: { agent_id: { in: ["agent_sales"] } } } };

  it("refuses an agent outside the operator's allowed set with 403, before calling ElevenLabs", async () => {
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ kind: "agent", agent_id: "agent_support" }, withPolicy(policy)),
      403,
      "forbidden",
    );
    expect(error.message).toBe(
      `forbidden by policy: agent_id must be one of "agent_sales" under this broker's policy for elevenlabs`,
    );
  });

  it("signs a URL for an agent in the allowed set", async () => {
    const { response, received } = await mintTagged({ kind: "agent", agent_id: "agent_sales" }, withPolicy(policy));
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ kind: "agent", agent_id: "agent_sales" });
    expect((await received())[0]?.query).toEqual({ agent_id: "agent_sales" });
  });

  it.each([{}, { kind: "tts_websocket" }])(
    "still issues a single-use token for %j, where agent_id means nothing",
    async (body) => {
      const { response } = await mintTagged(body, withPolicy(policy));
      expect(response.status).toBe(201);
      expect(await response.json()).not.toHaveProperty("agent_id");
    },
  );

  it("lets an operator allow agents only, from a set: kind forced to agent", async () => {
    const agentsOnly = { elevenlabs: { options: { kind: { force: "agent" }, agent_id: { in: ["agent_sales"] } } } };
    const env = withPolicy(agentsOnly);
    expect((await call("/healthz", { env })).status).toBe(200);
    const { response } = await mintTagged({ agent_id: "agent_sales" }, env);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ kind: "agent", agent_id: "agent_sales" });
    const missing = await mintTagged({}, env);
    const error = await expectError(missing.response, 400, "invalid_request");
    expect(error.message).toContain("agent_id must be sent");
  });

  it("still requires an agent_id for kind agent", async () => {
    const { response } = await mintTagged({ kind: "agent" }, withPolicy(policy));
    await expectError(response, 400, "invalid_request");
  });
});

describe("what the broker keeps of an ElevenLabs credential", () => {
  it("audits a signed URL with the key's fingerprint and the options, never the key or the URL", async () => {
    await expectAuditedWithoutSecrets(
      "elevenlabs",
      () => mintTagged({ kind: "agent", agent_id: AGENT }),
      {
        ttl_seconds: 900,
        options: { kind: "agent", agent_id: AGENT },
        upstream_status: 200,
        error_code: null,
        vendor_key_id: null,
      },
      (body) => [String(body.url), "conversation_signature"],
    );
  });

  it("audits a token with its kind and fingerprint, never the token", async () => {
    const body = await minted({ kind: "tts_websocket" });
    const record = await auditRecord(body.issuance_id);
    expect(record).toMatchObject({ outcome: "issued", options: { kind: "tts_websocket" } });
    expect(record.key_fingerprint).toBe((await sha256Hex(body.key)).slice(0, 16));
    expect(JSON.stringify(record)).not.toContain(body.key);
  });

  it("writes no log line holding the signed URL, its signature or a token", async () => {
    const { result, lines } = await captureLogs(async () => [
      (await (await mint("elevenlabs", uniqueUser(), { body: { kind: "agent", agent_id: AGENT } })).json()) as Minted,
      (await (await mint("elevenlabs", uniqueUser())).json()) as Minted,
    ]);
    expect(lines.length).toBeGreaterThan(0);
    const logged = lines.join("\n");
    for (const body of result) {
      expect(logged).not.toContain(body.key);
      if (body.url) expect(logged).not.toContain(body.url);
    }
    expect(logged).not.toContain(masterKeys.elevenlabs as string);
  });
});

describe("ElevenLabs failures", () => {
  const agent = { kind: "agent", agent_id: AGENT };

  it("maps a wrong master key on the agent call to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { ELEVENLABS_API_KEY: "wrong" }, { body: agent });
  });

  it.each([
    ["rejected", 502, "upstream_rejected"],
    ["unprocessable", 502, "upstream_rejected"],
    ["rate-limited", 429, "upstream_rate_limited"],
    ["server-error", 502, "upstream_error"],
    ["forbidden", 502, "upstream_auth_failed"],
  ])("maps the agent call's %s to %i %s", async (fault, status, code) => {
    const response = await mint("elevenlabs", uniqueUser(), {
      body: agent,
      env: { ELEVENLABS_BASE_URL: faultUrl(fault) },
    });
    const error = await expectError(response, status, code);
    if (code === "upstream_rejected") expect(error.message).toContain("Input should be less than or equal to 3600");
  });

  it("refuses an answer without a signed URL as 502 upstream_error, and hands nothing out", async () => {
    const user = uniqueUser();
    const response = await mint("elevenlabs", user, {
      body: agent,
      env: { ELEVENLABS_BASE_URL: faultUrl("malformed") },
    });
    const error = await expectError(response, 502, "upstream_error");
    expect(error.message).toBe("elevenlabs sent an unexpected response");
  });

  it("the emulator refuses, as ElevenLabs does, a key in Authorization instead of xi-api-key", async () => {
    const refused = await fetch(`${emulatorUrl}/v1/single-use-token/realtime_scribe`, {
      method: "POST",
      headers: { Authorization: `Bearer ${masterKeys.elevenlabs}` },
    });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      detail: {
        status: "needs_authorization",
        message: "Neither authorization header nor xi-api-key received, please provide one.",
      },
    });
    const wrong = await fetch(`${emulatorUrl}/v1/single-use-token/realtime_scribe`, {
      method: "POST",
      headers: { "xi-api-key": "wrong" },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ detail: { status: "invalid_api_key", message: "Invalid API key" } });
  });

  it("the emulator answers an unknown token type and a missing agent_id with FastAPI's 422", async () => {
    const headers = { "xi-api-key": masterKeys.elevenlabs as string };
    const kind = await fetch(`${emulatorUrl}/v1/single-use-token/agent`, { method: "POST", headers });
    expect(kind.status).toBe(422);
    expect(await kind.json()).toMatchObject({
      detail: [{ type: "enum", loc: ["path", "token_type"], input: "agent" }],
    });
    const missing = await fetch(`${emulatorUrl}/v1/convai/conversation/get-signed-url`, { headers });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({ detail: [{ type: "missing", loc: ["query", "agent_id"] }] });
    // Each endpoint answers its own method only.
    const wrongMethod = await fetch(`${emulatorUrl}/v1/convai/conversation/get-signed-url?agent_id=a`, {
      method: "POST",
      headers,
    });
    expect(wrongMethod.status).toBe(404);
  });

  it("reads ElevenLabs' error bodies for the message, and nothing else", () => {
    const read = (value: unknown) => elevenlabs.readFailure(400, JSON.stringify(value)).message;
    expect(read({ detail: { status: "invalid_uid", message: "An invalid ID has been received" } })).toBe(
      "An invalid ID has been received",
    );
    expect(read({ detail: { status: "voice_limit_reached" } })).toBe("voice_limit_reached");
    expect(
      read({
        detail: [
          { type: "missing", loc: ["query", "agent_id"], msg: "Field required", input: null },
          { type: "enum", loc: ["path", "token_type"], msg: "Input should be 'realtime_scribe'", input: "x" },
        ],
      }),
    ).toBe("agent_id: Field required; token_type: Input should be 'realtime_scribe'");
    expect(read({ detail: "Not Found" })).toBe("Not Found");
    expect(elevenlabs.readFailure(400, "<html>oops</html>")).toEqual({});
    expect(read({ error: "something" })).toBeUndefined();
  });
});

describe("elevenlabs.mint", () => {
  const settings = { apiKey: "master-key-for-this-test", baseUrl: "https://api.elevenlabs.io" };
  const now = new Date("2026-11-23T10:00:00.000Z");

  async function mintWith(
    reply: VendorReply,
    options: Parameters<typeof elevenlabs.mint>[0]["options"],
    baseUrl?: string,
  ) {
    const sent: VendorRequest[] = [];
    const result = elevenlabs.mint({
      settings: { ...settings, baseUrl: baseUrl ?? settings.baseUrl },
      options,
      ttlSeconds: 900,
      clientRef: "alice",
      callerIp: undefined,
      now,
      send: async (request) => {
        sent.push(request);
        return reply;
      },
    });
    return { result, sent };
  }

  const signed = (url: string) => ({ status: 200, text: JSON.stringify({ signed_url: url }) });

  it("takes the key from conversation_signature and keeps the URL as given", async () => {
    const url = `wss://api.elevenlabs.io/v1/convai/conversation?agent_id=${AGENT}&conversation_signature=cvtkn_abc`;
    const { result, sent } = await mintWith(signed(url), { kind: "agent", agent_id: AGENT });
    expect(await result).toEqual({
      key: "cvtkn_abc",
      url,
      expiresAt: new Date(now.getTime() + FIXED_LIFE_MS),
      applied: { kind: "agent", agent_id: AGENT },
    });
    expect(sent).toEqual([
      {
        method: "GET",
        url: `https://api.elevenlabs.io/v1/convai/conversation/get-signed-url?agent_id=${AGENT}`,
        headers: { "xi-api-key": settings.apiKey },
      },
    ]);
  });

  it.each([
    ["a URL without a signature", `wss://api.elevenlabs.io/v1/convai/conversation?agent_id=${AGENT}`],
    ["an empty signature", `wss://api.elevenlabs.io/v1/convai/conversation?agent_id=${AGENT}&conversation_signature=`],
    ["something that is not a URL", "cvtkn_abc"],
  ])("refuses %s as vendor_credential_refused, fingerprinting the whole signed_url", async (_case, url) => {
    const { result } = await mintWith(signed(url), { kind: "agent", agent_id: AGENT });
    const refusal = await result.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(RefusedCredential);
    expect(refusal).toMatchObject({ code: "vendor_credential_refused" });
    expect(await (refusal as RefusedCredential).fingerprint()).toBe(await keyFingerprint(url));
  });

  /** A signed URL for agent `a` as ElevenLabs answers it, with `change` made to it. */
  const signedUrlWith = (change: (url: URL) => void) => {
    const url = new URL("wss://api.elevenlabs.io/v1/convai/conversation?agent_id=a&conversation_signature=cvtkn_abc");
    change(url);
    return url.toString();
  };

  it.each([
    ["an https URL", "https://api.elevenlabs.io/v1/convai/conversation?agent_id=a&conversation_signature=cvtkn_abc"],
    ["a javascript: URL", "javascript:alert(1)//?agent_id=a&conversation_signature=cvtkn_abc"],
    [
      "a plain ws URL from an https API, even on port 443",
      signedUrlWith((url) => {
        url.protocol = "ws:";
        url.port = "443";
      }),
    ],
    ["a user name", signedUrlWith((url) => (url.username = "mallory"))],
    ["a password", signedUrlWith((url) => (url.password = "pw"))],
    ["another host", signedUrlWith((url) => (url.hostname = "elevenlabs.evil.example"))],
    ["a host that only starts alike", signedUrlWith((url) => (url.hostname = "api.elevenlabs.io.evil.example"))],
    ["another port", signedUrlWith((url) => (url.port = "8443"))],
    ["another path", signedUrlWith((url) => (url.pathname = "/v1/convai/other"))],
    ["a longer path", signedUrlWith((url) => (url.pathname = "/v1/convai/conversation/x"))],
    ["another agent", signedUrlWith((url) => url.searchParams.set("agent_id", "b"))],
    ["no agent_id", signedUrlWith((url) => url.searchParams.delete("agent_id"))],
    ["a second agent_id", signedUrlWith((url) => url.searchParams.append("agent_id", "b"))],
    ["a second signature", signedUrlWith((url) => url.searchParams.append("conversation_signature", "x"))],
  ])("refuses a signed URL with %s as vendor_credential_refused, fingerprinting its signature", async (_case, url) => {
    const { result } = await mintWith(signed(url), { kind: "agent", agent_id: "a" });
    const error = await result.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RefusedCredential);
    expect(error).toMatchObject({ code: "vendor_credential_refused" });
    expect(await (error as RefusedCredential).fingerprint()).toBe(await keyFingerprint("cvtkn_abc"));
  });

  it.each([
    ["with the wss default port written out", "wss://api.elevenlabs.io:443/v1/convai/conversation"],
    ["with more query parameters", "wss://api.elevenlabs.io/v1/convai/conversation?conversation_id=conv_1"],
  ])("takes a signed URL %s", async (_case, start) => {
    const url = `${start}${start.includes("?") ? "&" : "?"}agent_id=a&conversation_signature=cvtkn_abc`;
    const { result } = await mintWith(signed(url), { kind: "agent", agent_id: "a" });
    expect((await result).key).toBe("cvtkn_abc");
  });

  it("takes a plain ws URL when the broker talks to ElevenLabs over plain http (the emulator)", async () => {
    const url = "ws://127.0.0.1:9999/v1/convai/conversation?agent_id=a&conversation_signature=cvtkn_abc";
    const { result } = await mintWith(signed(url), { kind: "agent", agent_id: "a" }, "http://127.0.0.1:9999");
    expect((await result).key).toBe("cvtkn_abc");
  });

  it.each([
    ["on another port", "ws://127.0.0.1:9998/v1/convai/conversation?agent_id=a&conversation_signature=cvtkn_abc"],
    [
      "as wss, which is another port",
      "wss://127.0.0.1/v1/convai/conversation?agent_id=a&conversation_signature=cvtkn_abc",
    ],
  ])("refuses a signed URL %s than the plain http base URL's", async (_case, url) => {
    const { result } = await mintWith(signed(url), { kind: "agent", agent_id: "a" }, "http://127.0.0.1");
    await expect(result).rejects.toMatchObject({ code: "vendor_credential_refused" });
  });

  it.each([
    ["no token", { status: 200, text: "{}" }],
    ["an empty token", { status: 200, text: '{"token":""}' }],
    ["a body that is not JSON", { status: 200, text: "sutkn_abc" }],
  ])("refuses a token reply with %s", async (_case, reply) => {
    const { result } = await mintWith(reply, { kind: "realtime_scribe" });
    await expect(result).rejects.toMatchObject({ code: "upstream_error" });
  });

  it("posts with no body and no content type for a token", async () => {
    const { result, sent } = await mintWith({ status: 200, text: '{"token":"sutkn_abc"}' }, { kind: "tts_websocket" });
    expect(await result).toEqual({
      key: "sutkn_abc",
      expiresAt: new Date(now.getTime() + FIXED_LIFE_MS),
      applied: { kind: "tts_websocket", single_use: true },
    });
    expect(sent).toEqual([
      {
        url: "https://api.elevenlabs.io/v1/single-use-token/tts_websocket",
        headers: { "xi-api-key": settings.apiKey },
      },
    ]);
  });
});

interface Session {
  frames: Record<string, unknown>[];
  closeCode: number;
  closeReason: string;
}

/** Opens one of the emulator's ElevenLabs sockets as a client would, sending `first` once it may. */
async function session(url: string, first: (frame: Record<string, unknown> | undefined) => string | undefined) {
  const response = await fetch(url.replace(/^ws/, "http"), { headers: { Upgrade: "websocket" } });
  const socket = response.webSocket;
  if (!socket) throw new Error(`no WebSocket upgrade: ${response.status}`);
  socket.accept();
  const frames: Session["frames"] = [];
  const opening = first(undefined);
  if (opening) socket.send(opening);
  return new Promise<Session>((resolve) => {
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data)) as Record<string, unknown>;
      frames.push(frame);
      const reply = first(frame);
      if (reply) socket.send(reply);
    });
    socket.addEventListener("close", (event) => resolve({ frames, closeCode: event.code, closeReason: event.reason }));
  });
}

const wsUrl = emulatorUrl.replace(/^http/, "ws");

/** Speech to text in real time: one audio chunk with commit, sent once the session has started. */
const scribe = (token: string) =>
  session(`${wsUrl}/v1/speech-to-text/realtime?model_id=scribe_v2_realtime&token=${encodeURIComponent(token)}`, (f) =>
    f?.message_type === "session_started"
      ? JSON.stringify({ message_type: "input_audio_chunk", audio_base_64: "AAAA", commit: true, sample_rate: 16000 })
      : undefined,
  );

/** Text to speech: the initialising message first, as the API requires. */
const textToSpeech = (token: string) =>
  session(
    `${wsUrl}/v1/text-to-speech/JBFqnCBsd6RMkjVDRZzb/stream-input?model_id=eleven_flash_v2_5&single_use_token=${encodeURIComponent(token)}`,
    (f) => (f === undefined ? JSON.stringify({ text: " " }) : undefined),
  );

/** An agent conversation at the signed URL: conversation_initiation_client_data first. */
const conversation = (url: string) =>
  session(url, (f) => (f === undefined ? JSON.stringify({ type: "conversation_initiation_client_data" }) : undefined));

describe("ElevenLabs credentials at the emulator's sockets", () => {
  it("lets a realtime_scribe token in once, then refuses it", async () => {
    const { key } = await minted();
    const first = await scribe(key);
    expect(first.frames[0]).toMatchObject({ message_type: "session_started" });
    expect(first.frames.at(-1)).toEqual({
      message_type: "committed_transcript",
      text: "Hello from the speech emulator.",
    });
    expect(first.closeCode).toBe(1000);

    const second = await scribe(key);
    expect(second.frames).toEqual([{ message_type: "auth_error", error: "Token has already been used" }]);
    expect(second.closeCode).toBe(1008);
  });

  it("binds a token to its kind: a realtime_scribe token opens no TTS socket, and a TTS token no scribe", async () => {
    const scribeToken = (await minted()).key;
    const ttsToken = (await minted({ kind: "tts_websocket" })).key;
    const crossed = await textToSpeech(scribeToken);
    expect(crossed.frames).toEqual([{ error: "auth_error", message: "Invalid token" }]);
    expect(crossed.closeCode).toBe(1008);
    expect((await scribe(ttsToken)).frames).toEqual([{ message_type: "auth_error", error: "Invalid token" }]);

    // Neither refusal used the token up.
    const speech = await textToSpeech(ttsToken);
    expect(speech.frames.at(-1)).toEqual({ isFinal: true });
    expect(speech.frames.filter((f) => typeof f.audio === "string")).toHaveLength(5);
    expect((await scribe(scribeToken)).closeCode).toBe(1000);
    expect((await textToSpeech(ttsToken)).frames).toEqual([
      { error: "auth_error", message: "Token has already been used" },
    ]);
  });

  it("refuses a token it never issued", async () => {
    expect((await scribe("sutkn_notissuedhere")).frames).toEqual([
      { message_type: "auth_error", error: "Invalid token" },
    ]);
  });

  it("starts conversations with the agent at the signed URL, within its 15 minutes", async () => {
    const { url } = await minted({ kind: "agent", agent_id: AGENT });
    const first = await conversation(url as string);
    expect(first.frames[0]).toMatchObject({ type: "conversation_initiation_metadata" });
    expect(
      first.frames.slice(1).map((f) => (f.agent_response_event as { agent_response: string }).agent_response),
    ).toEqual(["Hello", "from", "the", "speech", "emulator."]);
    expect(first.closeCode).toBe(1000);
    // A signed URL is not single-use: it starts conversations until it expires.
    expect((await conversation(url as string)).closeCode).toBe(1000);
  });

  it("checks the signature: a forged one, or one signed for another agent, is refused", async () => {
    const { url } = await minted({ kind: "agent", agent_id: AGENT });
    const forged = new URL(url as string);
    forged.searchParams.set("conversation_signature", "cvtkn_forged");
    const refusedForged = await conversation(forged.toString());
    expect(refusedForged).toMatchObject({ frames: [], closeCode: 1008, closeReason: "Invalid conversation signature" });

    const otherAgent = new URL(url as string);
    otherAgent.searchParams.set("agent_id", "agent_other");
    expect(await conversation(otherAgent.toString())).toMatchObject({ frames: [], closeCode: 1008 });

    const unsigned = new URL(url as string);
    unsigned.searchParams.delete("conversation_signature");
    expect(await conversation(unsigned.toString())).toMatchObject({ frames: [], closeCode: 1008 });
  });
});
