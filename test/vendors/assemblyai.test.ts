import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import { outlivesTtl } from "../../src/vendors/expiry";
import { assemblyai } from "../../src/vendors/assemblyai";
import { RefusedCredential, type VendorRequest } from "../../src/vendors/upstream";
import { auditRecord } from "../helpers/audit";
import { emulatorUrl, masterKeys, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import {
  expectAuditedWithoutSecrets,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  itMapsFaultsWithMessages,
  taggedMint,
} from "../helpers/vendor-tests";

interface Minted {
  key: string;
  expires_at: string;
  ttl_seconds: number;
  issuance_id: string;
  [option: string]: unknown;
}

const mintTagged = taggedMint("assemblyai", "ASSEMBLYAI_BASE_URL");

interface Session {
  /** Server frames, parsed. */
  frames: { type?: string; error?: string; error_code?: number; transcript?: string; end_of_turn?: boolean }[];
  closeCode: number;
  closeReason: string;
}

/**
 * Opens AssemblyAI's streaming socket with the token as a browser would, sends
 * 100 ms of silence after Begin, and ends with Terminate after the final Turn.
 */
async function streamWith(token: string): Promise<Session> {
  const url = `${emulatorUrl}/v3/ws?sample_rate=16000&token=${encodeURIComponent(token)}`;
  const response = await fetch(url, { headers: { Upgrade: "websocket" } });
  const socket = response.webSocket;
  if (!socket) throw new Error(`no WebSocket upgrade: ${response.status}`);
  socket.accept();
  const frames: Session["frames"] = [];
  return new Promise((resolve) => {
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data)) as Session["frames"][number];
      frames.push(frame);
      if (frame.type === "Begin") socket.send(new ArrayBuffer(3200));
      if (frame.type === "Turn" && frame.end_of_turn) socket.send(JSON.stringify({ type: "Terminate" }));
    });
    socket.addEventListener("close", (event) => resolve({ frames, closeCode: event.code, closeReason: event.reason }));
  });
}

describe("POST /v1/keys/assemblyai", () => {
  it("mints with defaults and sends AssemblyAI exactly the documented request", async () => {
    const { response, received, user } = await mintTagged();
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Minted;
    // single_use tells clients never to cache or share the token: it opens one session.
    expect(body).toMatchObject({ vendor: "assemblyai", ttl_seconds: 60, client_ref: user, single_use: true });
    expect(body).not.toHaveProperty("max_session_duration_seconds");
    expect(body).not.toHaveProperty("url");
    expect(body.key).toMatch(/^eyJ[\w-]+\.[\w-]+\.[A-Z0-9]+$/);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("GET");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/v3\/token$/);
    expect(request?.query).toEqual({ expires_in_seconds: "60" });
    // The bare key, no scheme.
    expect(request?.headers.authorization).toBe(masterKeys.assemblyai);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toBe("");
    expect(JSON.stringify(request)).not.toContain(user);
  });

  it("computes expires_at from the returned expires_in_seconds, counted from just before the call", async () => {
    const clock = new Date();
    const { response } = await mintTagged({ ttl_seconds: 321 }, {}, { now: () => clock });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(body.expires_at).toBe(new Date(clock.getTime() + 321_000).toISOString());
  });

  it("passes max_session_duration_seconds in the query and reports it as applied", async () => {
    const { response, received } = await mintTagged({ ttl_seconds: 600, max_session_duration_seconds: 900 });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ttl_seconds: 600, max_session_duration_seconds: 900 });
    const [request] = await received();
    expect(request?.query).toEqual({ expires_in_seconds: "600", max_session_duration_seconds: "900" });
  });

  it.each([1, 600])("accepts ttl_seconds %i at the limit", async (ttl) => {
    const { response, received } = await mintTagged({ ttl_seconds: ttl });
    expect(response.status).toBe(201);
    expect((await received())[0]?.query).toEqual({ expires_in_seconds: String(ttl) });
  });

  it.each([0, 601, -5, 1.5, "60", null])("refuses ttl_seconds %j without calling AssemblyAI", async (ttl) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ ttl_seconds: ttl }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
    if (typeof ttl === "number" && Number.isInteger(ttl)) {
      expect(error.message).toContain("ttl_seconds must be an integer from 1 to 600 for assemblyai");
    }
  });

  it.each([60, 10800])("accepts max_session_duration_seconds %i at the limit", async (seconds) => {
    const { response, received } = await mintTagged({ max_session_duration_seconds: seconds });
    expect(response.status).toBe(201);
    expect((await received())[0]?.query.max_session_duration_seconds).toBe(String(seconds));
  });

  it.each([59, 10801])(
    "refuses max_session_duration_seconds %i, naming the range, without calling AssemblyAI",
    async (seconds) => {
      const error = await expectRefusedWithoutVendorCall(
        await mintTagged({ max_session_duration_seconds: seconds }),
        400,
        "invalid_request",
      );
      expect(error.message).toContain("max_session_duration_seconds must be an integer from 60 to 10800");
    },
  );

  it.each([600.5, "600", true])("refuses a non-integer max_session_duration_seconds %j", async (seconds) => {
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ max_session_duration_seconds: seconds }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("max_session_duration_seconds");
  });

  it.each(["client_ref", "expires_in_seconds", "token", "sample_rate"])(
    "refuses the field %s, which the token request does not take",
    async (field) => {
      const error = await expectRefusedWithoutVendorCall(await mintTagged({ [field]: 60 }), 400, "invalid_request");
      expect(error.message).toContain(`unknown field ${field}`);
    },
  );

  it("audits the issuance with the options applied and the key's fingerprint, never the key", async () => {
    await expectAuditedWithoutSecrets(
      "assemblyai",
      () => mintTagged({ ttl_seconds: 120, max_session_duration_seconds: 300 }),
      {
        ttl_seconds: 120,
        options: { max_session_duration_seconds: 300 },
        upstream_status: 200,
        error_code: null,
        vendor_key_id: null,
      },
    );
  });

  it("leaves max_session_duration_seconds out of the audit when it was not asked for", async () => {
    const body = (await (await mint("assemblyai", uniqueUser())).json()) as Minted;
    expect((await auditRecord(body.issuance_id)).options).toEqual({ single_use: true });
  });
});

describe("AssemblyAI failures", () => {
  itMapsFaultsWithMessages("assemblyai", "ASSEMBLYAI_BASE_URL", [
    ["forbidden", 502, "upstream_auth_failed", "assemblyai rejected the broker's credentials"],
    [
      "rejected",
      502,
      "upstream_rejected",
      "assemblyai rejected the request: Input should be less than or equal to 3600",
    ],
    ["unprocessable", 502, "upstream_rejected", "Input should be less than or equal to 3600"],
    ["rate-limited", 429, "upstream_rate_limited", "rate limiting"],
    ["server-error", 502, "upstream_error", "assemblyai failed to create a key (status 500)"],
    ["malformed", 502, "upstream_error", "unexpected response"],
  ]);

  it("maps AssemblyAI's 401 for a wrong key to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { ASSEMBLYAI_API_KEY: "not-the-key" });
  });

  it("sends the key with no scheme: the emulator, like AssemblyAI, refuses a Bearer one", async () => {
    const reply = await fetch(`${emulatorUrl}/v3/token?expires_in_seconds=60`, {
      headers: { Authorization: `Bearer ${masterKeys.assemblyai}` },
    });
    expect(reply.status).toBe(401);
    expect(await reply.json()).toEqual({ error: "Authentication error, API token missing/invalid" });
  });

  it("reads AssemblyAI's error body for the message, and nothing else", () => {
    expect(assemblyai.readFailure(400, JSON.stringify({ error: "expires_in_seconds is required", code: "x" }))).toEqual(
      { message: "expires_in_seconds is required" },
    );
    expect(assemblyai.readFailure(400, "<html>bad gateway</html>")).toEqual({});
    expect(assemblyai.readFailure(400, JSON.stringify({ message: "not AssemblyAI's shape" }))).toEqual({});
  });
});

describe("assemblyai.mint", () => {
  const now = new Date("2026-11-23T10:00:00.000Z");
  const settings = { apiKey: "key-0123456789", baseUrl: "https://streaming.example" };

  async function mintWith(text: string, ttlSeconds = 60) {
    const sent: VendorRequest[] = [];
    const minted = await assemblyai.mint({
      settings,
      options: {},
      ttlSeconds,
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

  it("takes the expiry from the duration AssemblyAI returned, not the one asked for", async () => {
    const { minted, sent } = await mintWith(JSON.stringify({ token: "t", expires_in_seconds: 30 }), 60);
    expect(minted.expiresAt?.toISOString()).toBe("2026-11-23T10:00:30.000Z");
    expect(sent).toEqual([
      {
        method: "GET",
        url: "https://streaming.example/v3/token?expires_in_seconds=60",
        headers: { Authorization: "key-0123456789", "Content-Type": "application/json" },
      },
    ]);
  });

  it("falls back to the requested TTL when AssemblyAI returns no duration", async () => {
    const { minted } = await mintWith(JSON.stringify({ token: "t" }), 45);
    expect(minted.expiresAt?.toISOString()).toBe("2026-11-23T10:00:45.000Z");
  });

  it("reports a longer window than asked for as it is, so the mint flow refuses the key", async () => {
    const { minted } = await mintWith(JSON.stringify({ token: "t", expires_in_seconds: 3600 }), 60);
    expect(minted.expiresAt?.toISOString()).toBe("2026-11-23T11:00:00.000Z");
    expect(outlivesTtl(minted.expiresAt, now, 60)).toBe(true);
  });

  it.each([
    ["no token", { expires_in_seconds: 60 }],
    ["an empty token", { token: "", expires_in_seconds: 60 }],
  ])("treats a success with %s as malformed", async (_case, body) => {
    await expect(mintWith(JSON.stringify(body))).rejects.toMatchObject({ code: "upstream_error" });
  });

  it.each([
    ["a fractional duration", { token: "t", expires_in_seconds: 1.5 }],
    ["a zero duration", { token: "t", expires_in_seconds: 0 }],
    ["a null duration, which AssemblyAI does not document", { token: "t", expires_in_seconds: null }],
  ])("refuses the token of a success with %s, as a credential it issued", async (_case, body) => {
    const error = await mintWith(JSON.stringify(body)).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RefusedCredential);
    expect(error).toMatchObject({ code: "vendor_credential_refused" });
    expect(await (error as RefusedCredential).fingerprint()).toBe(await keyFingerprint("t"));
  });
});

describe("an AssemblyAI token at the streaming socket", () => {
  it("opens one session, streams a transcript, and is refused the second time", async () => {
    const body = (await (await mint("assemblyai", uniqueUser())).json()) as Minted;

    const first = await streamWith(body.key);
    expect(first.frames[0]?.type).toBe("Begin");
    expect(first.frames.filter((f) => f.type === "Turn").at(-1)).toMatchObject({
      end_of_turn: true,
      transcript: "Hello from the speech emulator.",
    });
    expect(first.frames.at(-1)?.type).toBe("Termination");
    expect(first.closeCode).toBe(1000);

    const second = await streamWith(body.key);
    expect(second.frames).toEqual([
      {
        type: "Error",
        error_code: 1008,
        error: "Unauthorized Connection: Temporary token has already been used",
      },
    ]);
    expect(second.closeCode).toBe(1008);
  });

  it("caps the session at max_session_duration_seconds", async () => {
    const body = (await (
      await mint("assemblyai", uniqueUser(), { body: { max_session_duration_seconds: 300 } })
    ).json()) as Minted;
    const startedAt = Math.floor(Date.now() / 1000);
    const session = await streamWith(body.key);
    const begin = session.frames[0] as { type: string; expires_at: number };
    expect(begin.expires_at - startedAt).toBeGreaterThanOrEqual(299);
    expect(begin.expires_at - startedAt).toBeLessThanOrEqual(301);
  });

  it("refuses a token it never issued", async () => {
    const session = await streamWith("eyJhbGciOiJIUzI1NiJ9.e30.NOTISSUEDHERE");
    expect(session.frames).toEqual([
      { type: "Error", error_code: 1008, error: "Unauthorized Connection: Invalid API key" },
    ]);
    expect(session.closeCode).toBe(1008);
  });
});
