import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import { gladia } from "../../src/vendors/gladia";
import { RefusedCredential, type VendorReply, type VendorRequest } from "../../src/vendors/upstream";
import { call, emulatorUrl, expectError, masterKeys, uniqueUser } from "../helpers/broker";
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

const FIXED_LIFE_SECONDS = 300;

const mintTagged = taggedMint("gladia", "GLADIA_BASE_URL");

interface Minted {
  key: string;
  url: string;
  issuance_id: string;
  expires_at: string;
  connect: unknown;
}

/** Opens the session's socket on the emulator from inside workerd: the answer's URL as given. */
async function open(url: string): Promise<number> {
  return handshakeStatus(await fetch(url.replace(/^ws/, "http"), { headers: { Upgrade: "websocket" } }));
}

/** What @gladiaio/sdk always asks for, so that it can drop acknowledged audio from its resend buffer. */
const ACKS = { receive_acknowledgments: true };
const DEFAULT_AUDIO = { encoding: "wav/pcm", bit_depth: 16, sample_rate: 16000, channels: 1, model: "solaria-1" };

describe("POST /v1/keys/gladia", () => {
  it("creates a live session with the default audio settings and sends Gladia exactly the documented request", async () => {
    const { response, received, user } = await mintTagged();
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      [
        "bit_depth",
        "channels",
        "client_ref",
        "connect",
        "encoding",
        "expires_at",
        "issuance_id",
        "key",
        "model",
        "sample_rate",
        "session_id",
        "single_use",
        "ttl_seconds",
        "url",
        "vendor",
      ].sort(),
    );
    expect(body).toMatchObject({
      vendor: "gladia",
      ttl_seconds: FIXED_LIFE_SECONDS,
      client_ref: user,
      ...DEFAULT_AUDIO,
    });
    expect(body.connect).toEqual({ transport: "websocket", endpoint: null, credential: { in: "url" } });
    const url = new URL(body.url as string);
    expect(url.searchParams.get("token")).toBe(body.key);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("POST");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/v2\/live$/);
    expect(request?.headers["x-gladia-key"]).toBe(masterKeys.gladia);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({ ...DEFAULT_AUDIO, messages_config: ACKS, custom_metadata: { client_ref: user } });
  });

  it("sends each audio option as given, and languages as language_config.languages", async () => {
    const options = {
      encoding: "wav/ulaw",
      bit_depth: 8,
      sample_rate: 8000,
      channels: 2,
      model: "solaria-1",
      languages: "en,fr",
    };
    const { response, received, user } = await mintTagged(options);
    expect(response.status, await response.clone().text()).toBe(201);
    expect(await response.json()).toMatchObject(options);
    const { languages: _, ...audio } = options;
    expect((await received())[0]?.body).toEqual({
      ...audio,
      language_config: { languages: ["en", "fr"] },
      messages_config: ACKS,
      custom_metadata: { client_ref: user },
    });
  });

  it.each([
    ["encoding", "pcm"],
    ["encoding", "wav/opus"],
    ["bit_depth", 12],
    ["bit_depth", "16"],
    ["sample_rate", 22050],
    ["channels", 0],
    ["channels", 9],
    ["channels", 1.5],
    ["model", "solaria-2"],
    ["languages", ""],
    ["languages", "english"],
    ["languages", "en,en"],
    ["languages", "en, fr"],
    ["languages", ["en"]],
  ])("refuses %s %j without calling Gladia", async (field, value) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ [field]: value }), 400, "invalid_request");
    expect(error.message).toContain(field);
  });

  it("refuses A-law audio that is not 8-bit, before the vendor call", async () => {
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ encoding: "wav/alaw" }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("bit_depth of 8");
  });

  it.each([
    ["custom_metadata", { custom_metadata: { client_ref: "mallory" } }],
    ["client_ref", { client_ref: "mallory" }],
    ["language_config", { language_config: { languages: ["en"] } }],
  ])("refuses the field %s: the body names options, not Gladia's fields or the user", async (field, body) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged(body), 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
  });

  it("answers the fixed life, counted from just before the call: Gladia documents none", async () => {
    await expectExpiresCountedFromBeforeTheCall(mintTagged, {}, FIXED_LIFE_SECONDS);
  });

  it.each([60, 299, 301, 3600])("refuses ttl_seconds %i: the life is fixed", async (ttl) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ ttl_seconds: ttl }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds must be 300 or left out: gladia credentials live a fixed 300 seconds");
  });

  it("records the session id as vendor_key_id and a fingerprint, never the token, URL or API key", async () => {
    const { record, body } = await expectAuditedWithoutSecrets(
      "gladia",
      () => mintTagged({ languages: "de" }),
      { ttl_seconds: FIXED_LIFE_SECONDS, options: { ...DEFAULT_AUDIO, languages: "de" }, upstream_status: 201 },
      (minted) => [new URL(String(minted.url)).search],
    );
    expect(record.vendor_key_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.vendor_key_id).toBe(body.session_id);
  });

  it("the session's URL opens the emulator's socket as given, and not without its token", async () => {
    const response = await mint("gladia", uniqueUser());
    const minted = (await response.json()) as Minted;
    expect(minted.url.startsWith(`ws://${new URL(emulatorUrl).host}/v2/live?`)).toBe(true);
    expect(await open(minted.url)).toBe(101);
    const bare = new URL(minted.url);
    bare.searchParams.delete("token");
    expect(await open(bare.toString())).toBe(401);
  });

  it("maps Gladia's 401 for a wrong API key to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { GLADIA_API_KEY: "not-the-gladia-key" });
  });

  it("passes on the message of Gladia's error body for a 400", async () => {
    const error = await expectError(
      await mintAgainstFault("gladia", "GLADIA_BASE_URL", "rejected"),
      502,
      "upstream_rejected",
    );
    expect(error.message).toMatch(/^gladia rejected the request: ./);
  });

  itMapsUpstreamFaults("gladia", "GLADIA_BASE_URL", "a success with no url");

  it("lists Gladia with its fixed TTL and its connect", async () => {
    expect(await listedVendor("gladia")).toMatchObject({
      ttl_seconds: { min: FIXED_LIFE_SECONDS, max: FIXED_LIFE_SECONDS, default: FIXED_LIFE_SECONDS },
      connect: { transport: "websocket", endpoint: null, credential: { in: "url" } },
    });
  });
});

describe("POLICY on gladia options", () => {
  it("forces the sample rate and refuses another, before the vendor call", async () => {
    const POLICY = JSON.stringify({ gladia: { options: { sample_rate: { force: 8000 } } } });
    const forced = await mintTagged({}, { POLICY });
    expect(forced.response.status).toBe(201);
    expect((await forced.received())[0]?.body).toMatchObject({ sample_rate: 8000 });
    await expectRefusedWithoutVendorCall(await mintTagged({ sample_rate: 48000 }, { POLICY }), 403, "forbidden");
  });
});

describe("gladia.mint", () => {
  const settings = { apiKey: "gladia-key-0123456789", baseUrl: "https://api.gladia.io" };
  const now = new Date("2026-11-02T10:00:00.000Z");
  const options = { ...DEFAULT_AUDIO, languages: undefined } as Parameters<typeof gladia.mint>[0]["options"];

  async function mintWith(reply: VendorReply) {
    const sent: VendorRequest[] = [];
    const result = gladia.mint({
      settings,
      options,
      ttlSeconds: FIXED_LIFE_SECONDS,
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

  const created = (url: string) => ({ status: 201, text: JSON.stringify({ id: "sess-1", created_at: "x", url }) });

  it("takes the key from the URL's token, keeps the URL as given, and the session id for the audit", async () => {
    const url = "wss://api.gladia.io/v2/live?token=tok-123";
    const { result, sent } = await mintWith(created(url));
    expect(await result).toEqual({
      key: "tok-123",
      url,
      expiresAt: new Date(now.getTime() + FIXED_LIFE_SECONDS * 1000),
      applied: { ...options, session_id: "sess-1", single_use: true },
      vendorKeyId: "sess-1",
    });
    expect(sent).toEqual([
      {
        url: "https://api.gladia.io/v2/live",
        headers: {
          "x-gladia-key": "gladia-key-0123456789",
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify({ ...DEFAULT_AUDIO, messages_config: ACKS, custom_metadata: { client_ref: "alice" } }),
      },
    ]);
  });

  it.each([
    ["ws://api.gladia.io/v2/live?token=tok", "url is not wss:"],
    ["wss://evil.example/v2/live?token=tok", "url is on another host or port"],
    ["wss://api.gladia.io:8443/v2/live?token=tok", "url is on another host or port"],
    ["wss://user:pw@api.gladia.io/v2/live?token=tok", "url carries a user name or password"],
    ["wss://api.gladia.io/v2/live?token=tok&token=two", "url carries more than one token"],
  ])("refuses %s as a held credential: %s", async (url, why) => {
    const { result } = await mintWith(created(url));
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedCredential);
    expect((error as Error).message).toContain(why);
    expect(await (error as RefusedCredential).fingerprint()).toBe(await keyFingerprint("tok"));
  });

  it("refuses a URL with no token as a held credential: the URL itself", async () => {
    const url = "wss://api.gladia.io/v2/live?session=tok";
    const { result } = await mintWith(created(url));
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefusedCredential);
    expect(await (error as RefusedCredential).fingerprint()).toBe(await keyFingerprint(url));
  });

  it("reads Gladia's error bodies", () => {
    const read = (body: unknown) => gladia.readFailure(400, JSON.stringify(body)).message;
    expect(read({ statusCode: 400, message: "Invalid request", validation_errors: ["channels must be ≤ 8"] })).toBe(
      "Invalid request: channels must be ≤ 8",
    );
    expect(read({ statusCode: 401, message: "Unauthorized" })).toBe("Unauthorized");
    expect(read({ statusCode: 500 })).toBeUndefined();
    expect(gladia.readFailure(400, "<html>oops</html>")).toEqual({});
  });
});
