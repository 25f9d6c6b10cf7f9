import { describe, expect, it } from "vitest";
import { gemini } from "../../src/vendors/gemini";
import { outlivesTtl } from "../../src/vendors/expiry";
import { RefusedCredential, type VendorRequest } from "../../src/vendors/upstream";
import { call, emulatorUrl, masterKeys, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import {
  expectAuditedWithoutSecrets,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  itMapsFaultsWithMessages,
  listedVendor,
  taggedMint,
} from "../helpers/vendor-tests";
import { withPolicy } from "../policy/policy-env";

interface Minted {
  key: string;
  expires_at: string;
  ttl_seconds: number;
  issuance_id: string;
  connect: { endpoint: string; credential: { in: string; name: string } };
  [option: string]: unknown;
}

const CONSTRAINED = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained";
const PLAIN = "/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent";

const mintTagged = taggedMint("gemini", "GEMINI_BASE_URL");

interface Session {
  messages: Record<string, unknown>[];
  closeCode: number;
  closeReason: string;
}

/** Opens a Live socket as a browser would, sends the setup, then one audio chunk once the setup is complete. */
async function liveSession(pathAndQuery: string, model = "models/gemini-live-2.5-flash-preview"): Promise<Session> {
  const response = await fetch(`${emulatorUrl}${pathAndQuery}`, { headers: { Upgrade: "websocket" } });
  const socket = response.webSocket;
  if (!socket) throw new Error(`no WebSocket upgrade: ${response.status}`);
  socket.accept();
  const messages: Session["messages"] = [];
  socket.send(JSON.stringify({ setup: { model } }));
  return new Promise((resolve) => {
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as Record<string, unknown>;
      messages.push(message);
      if (message.setupComplete) {
        socket.send(JSON.stringify({ realtimeInput: { audio: { data: "AAAA", mimeType: "audio/pcm;rate=16000" } } }));
      }
    });
    socket.addEventListener("close", (event) =>
      resolve({ messages, closeCode: event.code, closeReason: event.reason }),
    );
  });
}

const transcriptOf = (session: Session) =>
  session.messages
    .map((m) => (m.serverContent as { inputTranscription?: { text: string } } | undefined)?.inputTranscription?.text)
    .filter(Boolean)
    .join(" ");

describe("POST /v1/keys/gemini", () => {
  it("mints with defaults and sends Gemini exactly the request @google/genai sends", async () => {
    const clock = new Date();
    const { response, received, user } = await mintTagged({}, {}, { now: () => clock });
    expect(response.status, await response.clone().text()).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Minted;
    // single_use tells clients never to cache or share a one-use token.
    expect(body).toMatchObject({
      vendor: "gemini",
      ttl_seconds: 1800,
      new_session_seconds: 60,
      uses: 1,
      single_use: true,
    });
    expect(body).not.toHaveProperty("model");
    expect(body.key).toMatch(/^auth_tokens\/[a-z0-9]+$/);
    expect(body.expires_at).toBe(new Date(clock.getTime() + 1_800_000).toISOString());

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("POST");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/v1alpha\/auth_tokens$/);
    expect(request?.headers["x-goog-api-key"]).toBe(masterKeys.gemini);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({
      expireTime: new Date(clock.getTime() + 1_800_000).toISOString(),
      newSessionExpireTime: new Date(clock.getTime() + 60_000).toISOString(),
      uses: 1,
    });
    expect(JSON.stringify(request)).not.toContain(user);
  });

  it("pins and locks the model, and passes uses and new_session_seconds", async () => {
    const clock = new Date();
    const { response, received } = await mintTagged(
      { ttl_seconds: 600, new_session_seconds: 120, uses: 3, model: "gemini-live-2.5-flash-preview" },
      {},
      { now: () => clock },
    );
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(body).toMatchObject({
      ttl_seconds: 600,
      new_session_seconds: 120,
      uses: 3,
      model: "gemini-live-2.5-flash-preview",
    });
    expect(body).not.toHaveProperty("single_use");
    expect((await received())[0]?.body).toEqual({
      expireTime: new Date(clock.getTime() + 600_000).toISOString(),
      newSessionExpireTime: new Date(clock.getTime() + 120_000).toISOString(),
      uses: 3,
      bidiGenerateContentSetup: { model: "models/gemini-live-2.5-flash-preview" },
      fieldMask: "model",
    });
  });

  it.each([60, 3600])("accepts ttl_seconds %i at the limit", async (ttl) => {
    const { response } = await mintTagged({ ttl_seconds: ttl });
    expect(response.status).toBe(201);
  });

  it.each([59, 3601, 0, 1.5, "1800", null])("refuses ttl_seconds %j without calling Gemini", async (ttl) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ ttl_seconds: ttl }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
    if (typeof ttl === "number" && Number.isInteger(ttl)) {
      expect(error.message).toContain("ttl_seconds must be an integer from 60 to 3600 for gemini");
    }
  });

  it.each([1, 10])("accepts uses %i at the limit", async (uses) => {
    const { response, received } = await mintTagged({ uses });
    expect(response.status).toBe(201);
    expect((await received())[0]?.body).toMatchObject({ uses });
  });

  it.each([0, 11, -1, 2.5, "1"])("refuses uses %j (0 would be unlimited) without calling Gemini", async (uses) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ uses }), 400, "invalid_request");
    expect(error.message).toContain("uses");
    if (uses === 0 || uses === 11) expect(error.message).toContain("uses must be an integer from 1 to 10");
  });

  it.each([
    [10, 60],
    [600, 600],
  ])("accepts new_session_seconds %i with ttl_seconds %i", async (seconds, ttl) => {
    const { response } = await mintTagged({ new_session_seconds: seconds, ttl_seconds: ttl });
    expect(response.status).toBe(201);
  });

  it.each([
    [9, 1800],
    [601, 600],
    [1801, undefined],
  ])("refuses new_session_seconds %i with ttl_seconds %j, naming the range", async (seconds, ttl) => {
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ new_session_seconds: seconds, ttl_seconds: ttl }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("new_session_seconds must be an integer from 10 to ttl_seconds");
  });

  it.each(["Gemini Live", "models/gemini-live", "x".repeat(65)])("refuses the model %j", async (model) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ model }), 400, "invalid_request");
    expect(error.message).toContain("model must be at most 64 characters");
  });

  it.each(["expireTime", "fieldMask", "bidiGenerateContentSetup", "client_ref"])(
    "refuses the field %s, which the broker sets itself",
    async (field) => {
      const error = await expectRefusedWithoutVendorCall(await mintTagged({ [field]: "x" }), 400, "invalid_request");
      expect(error.message).toContain(`unknown field ${field}`);
    },
  );

  it("audits the issuance with the options applied and the key's fingerprint, never the key or the secret", async () => {
    await expectAuditedWithoutSecrets(
      "gemini",
      () => mintTagged({ ttl_seconds: 120, uses: 2 }),
      {
        ttl_seconds: 120,
        options: { new_session_seconds: 60, uses: 2 },
        upstream_status: 200,
        vendor_key_id: null,
      },
      (body) => [body.key.slice("auth_tokens/".length)],
    );
  });
});

describe("POLICY for gemini", () => {
  it("forces the model", async () => {
    const { response, received } = await mintTagged(
      {},
      withPolicy({ gemini: { options: { model: { force: "gemini-live-2.5-flash-preview" } } } }),
    );
    expect(response.status).toBe(201);
    expect((await received())[0]?.body).toMatchObject({
      bidiGenerateContentSetup: { model: "models/gemini-live-2.5-flash-preview" },
      fieldMask: "model",
    });
  });

  it("restricts the model to an allowed set, refusing others before calling Gemini", async () => {
    const policy = { gemini: { options: { model: { in: ["gemini-live-2.5-flash-preview"] } } } };
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ model: "gemini-2.0-flash-live-001" }, withPolicy(policy)),
      403,
      "forbidden",
    );
    expect(error.message).toContain('model must be one of "gemini-live-2.5-flash-preview"');
  });

  it("lists gemini with its TTL range, credential, options and connect", async () => {
    expect(await listedVendor("gemini")).toMatchObject({
      ttl_seconds: { min: 60, max: 3600, default: 1800 },
      credential: gemini.credential,
      options: {
        uses: { type: "integer", minimum: 1, maximum: 10, default: 1 },
        new_session_seconds: { type: "integer", minimum: 10, default: 60 },
        model: { type: "string", maxLength: 64 },
      },
    });
  });
});

describe("Gemini failures", () => {
  itMapsFaultsWithMessages("gemini", "GEMINI_BASE_URL", [
    ["forbidden", 502, "upstream_auth_failed", "gemini rejected the broker's credentials"],
    ["rate-limited", 429, "upstream_rate_limited", "rate limiting"],
    ["server-error", 502, "upstream_error", "gemini failed to create a key (status 500)"],
    ["malformed", 502, "upstream_error", "unexpected response"],
  ]);

  it("maps Google's 400 API_KEY_INVALID for a wrong key to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { GEMINI_API_KEY: "not-the-key" }, { upstreamStatus: 400 });
  });

  it("reads Google's error body for the message and API_KEY_INVALID, and nothing else", () => {
    const body = (reason?: string) =>
      JSON.stringify({
        error: {
          code: 400,
          message: "API key not valid. Please pass a valid API key.",
          status: "INVALID_ARGUMENT",
          ...(reason && { details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason }] }),
        },
      });
    expect(gemini.readFailure(400, body("API_KEY_INVALID"))).toEqual({
      message: "API key not valid. Please pass a valid API key.",
      credentialsRejected: true,
    });
    expect(gemini.readFailure(400, body())).toEqual({ message: "API key not valid. Please pass a valid API key." });
    expect(gemini.readFailure(400, "<html>bad gateway</html>")).toEqual({});
    expect(gemini.readFailure(400, JSON.stringify({ message: "not Google's shape" }))).toEqual({});
  });
});

describe("gemini.mint", () => {
  const now = new Date("2026-11-23T10:00:00.000Z");
  const settings = { apiKey: "AIza-test", baseUrl: "https://generativelanguage.example" };

  async function mintWith(text: string) {
    const sent: VendorRequest[] = [];
    const minted = await gemini.mint({
      settings,
      options: { new_session_seconds: 60, uses: 1, model: undefined },
      ttlSeconds: 300,
      clientRef: "u",
      callerIp: undefined,
      now,
      send: async (request) => {
        sent.push(request);
        return { status: 200, text };
      },
    });
    return { minted, sent };
  }

  it("computes the expiry from the expireTime it sent, counted from just before the call", async () => {
    const { minted, sent } = await mintWith(JSON.stringify({ name: "auth_tokens/abc" }));
    expect(minted.key).toBe("auth_tokens/abc");
    expect(minted.expiresAt?.toISOString()).toBe("2026-11-23T10:05:00.000Z");
    expect(outlivesTtl(minted.expiresAt, now, 300)).toBe(false);
    expect(sent).toEqual([
      {
        url: "https://generativelanguage.example/v1alpha/auth_tokens",
        headers: { "x-goog-api-key": "AIza-test", "Content-Type": "application/json" },
        body: JSON.stringify({
          expireTime: "2026-11-23T10:05:00.000Z",
          newSessionExpireTime: "2026-11-23T10:01:00.000Z",
          uses: 1,
        }),
      },
    ]);
  });

  it.each([
    ["no name", { uses: 1 }],
    ["an empty name", { name: "" }],
  ])("treats a success with %s as malformed", async (_case, body) => {
    await expect(mintWith(JSON.stringify(body))).rejects.toMatchObject({ code: "upstream_error" });
  });

  it("refuses a name that is not a string as malformed, not as a held credential", async () => {
    const error = await mintWith(JSON.stringify({ name: 42 })).catch((thrown: unknown) => thrown);
    expect(error).not.toBeInstanceOf(RefusedCredential);
  });
});

describe("a Gemini token at the Live API", () => {
  it("opens the Constrained method with access_token, streams, and is spent after its uses", async () => {
    const body = (await (await mint("gemini", uniqueUser())).json()) as Minted;
    expect(body.connect.credential).toEqual({ in: "query", name: "access_token" });
    const query = `?access_token=${encodeURIComponent(body.key)}`;

    const first = await liveSession(CONSTRAINED + query);
    expect(first.messages[0]).toEqual({ setupComplete: {} });
    expect(transcriptOf(first)).toBe("Hello from the speech emulator.");
    expect(first.closeCode).toBe(1000);

    const second = await liveSession(CONSTRAINED + query);
    expect(second.messages).toEqual([]);
    expect(second.closeCode).toBe(1008);
  });

  it("refuses the token as key=, and on the plain BidiGenerateContent method", async () => {
    const body = (await (await mint("gemini", uniqueUser(), { body: { uses: 3 } })).json()) as Minted;
    const key = encodeURIComponent(body.key);
    for (const path of [`${CONSTRAINED}?key=${key}`, `${PLAIN}?access_token=${key}`, `${PLAIN}?key=${key}`]) {
      const session = await liveSession(path);
      expect(session.messages, path).toEqual([]);
      expect(session.closeCode, path).toBe(1008);
    }
    // None of those spent a use.
    expect((await liveSession(`${CONSTRAINED}?access_token=${key}`)).closeCode).toBe(1000);
  });

  it("holds a session to the locked model", async () => {
    const minted = await mint("gemini", uniqueUser(), { body: { model: "gemini-live-2.5-flash-preview", uses: 2 } });
    const query = `?access_token=${encodeURIComponent(((await minted.json()) as Minted).key)}`;
    const other = await liveSession(CONSTRAINED + query, "models/gemini-2.0-flash-live-001");
    expect(other.closeCode).toBe(1008);
    expect((await liveSession(CONSTRAINED + query, "models/gemini-live-2.5-flash-preview")).closeCode).toBe(1000);
  });

  it("refuses a token it never issued", async () => {
    const session = await liveSession(`${CONSTRAINED}?access_token=auth_tokens/notissuedhere`);
    expect(session.closeCode).toBe(1008);
  });
});
