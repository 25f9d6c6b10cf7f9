import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/index";
import { openai } from "../../src/vendors/openai";
import { auditRecordsFor } from "../helpers/audit";
import { brokerEnv, call, captureLogs, emulatorUrl, expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import {
  expectAuditedWithoutSecrets,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  listedVendor,
  taggedMint,
} from "../helpers/vendor-tests";
import { withPolicy } from "../policy/policy-env";

/** Mints with the vendor calls recorded under a tag of the test's own (OpenAI requests carry no client_ref). */
const mintTagged = taggedMint("openai", "OPENAI_BASE_URL");

async function mintedKey(body: unknown = {}) {
  const { response } = await mintTagged(body);
  expect(response.status).toBe(201);
  return (await response.json()) as { key: string; expires_at: string; issuance_id: string } & Record<string, unknown>;
}

/** The emulator's WebRTC calls endpoint, as a browser would post its SDP offer with the client secret. */
const OFFER = "v=0\r\no=- 0 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
function startCall(secret: string | undefined, contentType = "application/sdp", body = OFFER) {
  return fetch(`${emulatorUrl}/v1/realtime/calls`, {
    method: "POST",
    headers: { "content-type": contentType, ...(secret === undefined ? {} : { authorization: `Bearer ${secret}` }) },
    body,
  });
}

describe("POST /v1/keys/openai", () => {
  it("mints a realtime client secret with defaults and sends OpenAI exactly the documented request", async () => {
    const { response, received } = await mintTagged();
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ vendor: "openai", ttl_seconds: 600, session_type: "realtime" });
    expect(body).not.toHaveProperty("model");
    expect(body).not.toHaveProperty("url");
    expect(body.key).toMatch(/^ek_[0-9a-f]{32}$/);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("POST");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/v1\/realtime\/client_secrets$/);
    expect(request?.query).toEqual({});
    expect(request?.headers.authorization).toBe(`Bearer ${masterKeys.openai}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers.accept).toBe("application/json");
    expect(request?.body).toEqual({
      expires_after: { anchor: "created_at", seconds: 600 },
      session: { type: "realtime" },
    });
  });

  it("answers expires_at from OpenAI's epoch-seconds expiry", async () => {
    const before = Date.now();
    const { expires_at } = await mintedKey({ ttl_seconds: 1234 });
    const expires = Date.parse(expires_at);
    expect(expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    // Whole seconds from the vendor, so up to a second before the broker's own clock plus the TTL.
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 1234_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 1234_000);
  });

  it("sends a realtime model as session.model and reports it", async () => {
    const { response, received } = await mintTagged({ model: "gpt-realtime-mini", session_type: "realtime" });
    expect(await response.json()).toMatchObject({ session_type: "realtime", model: "gpt-realtime-mini" });
    expect((await received())[0]?.body).toEqual({
      expires_after: { anchor: "created_at", seconds: 600 },
      session: { type: "realtime", model: "gpt-realtime-mini" },
    });
  });

  it("sends a transcription session, its model where OpenAI takes it", async () => {
    const { response, received } = await mintTagged({ session_type: "transcription", model: "gpt-4o-transcribe" });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ session_type: "transcription", model: "gpt-4o-transcribe" });
    expect((await received())[0]?.body).toEqual({
      expires_after: { anchor: "created_at", seconds: 600 },
      session: { type: "transcription", audio: { input: { transcription: { model: "gpt-4o-transcribe" } } } },
    });
  });

  it("sends a transcription session without a model as its type alone", async () => {
    const { response, received } = await mintTagged({ session_type: "transcription" });
    expect(response.status).toBe(201);
    expect((await received())[0]?.body).toMatchObject({ session: { type: "transcription" } });
    expect(Object.keys((await received())[0]?.body as object)).toEqual(["expires_after", "session"]);
  });

  it.each([10, 7200])("accepts ttl_seconds %i at the limit", async (ttl) => {
    const { response, received } = await mintTagged({ ttl_seconds: ttl });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ttl_seconds: ttl });
    expect((await received())[0]?.body).toMatchObject({ expires_after: { anchor: "created_at", seconds: ttl } });
  });

  it.each([9, 7201, 0, -5, 1.5, "600", null])("refuses ttl_seconds %j without calling OpenAI", async (ttl) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ ttl_seconds: ttl }), 400, "invalid_request");
    expect(error.message).toContain("ttl_seconds");
    if (typeof ttl === "number" && Number.isInteger(ttl)) expect(error.message).toContain("from 10 to 7200 for openai");
  });

  it("accepts a model id of 64 characters, and OpenAI's refusal of it comes back as upstream_rejected", async () => {
    const model = `gpt-realtime-${"x".repeat(51)}`;
    expect(model).toHaveLength(64);
    const { response, received } = await mintTagged({ model });
    const error = await expectError(response, 502, "upstream_rejected");
    expect(error.message).toContain(`openai rejected the request: Invalid value: '${model}'. Supported values are:`);
    expect(await received()).toHaveLength(1);
  });

  it.each([
    ["65 characters", `gpt-realtime-${"x".repeat(52)}`],
    ["capitals", "GPT-Realtime"],
    ["an underscore", "gpt_realtime"],
    ["a space", "gpt realtime"],
    ["a slash", "openai/gpt-realtime"],
    ["nothing", ""],
  ])("refuses a model with %s, naming the rule, without calling OpenAI", async (_case, model) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({ model }), 400, "invalid_request");
    expect(error.message).toContain("model must be at most 64 characters of a-z, 0-9, '.' and '-'");
  });

  it("refuses a model that is not a string", async () => {
    const error = await expectError((await mintTagged({ model: 4 })).response, 400, "invalid_request");
    expect(error.message).toContain("model must be a string");
  });

  it("refuses an unknown session_type and names the allowed ones", async () => {
    const error = await expectRefusedWithoutVendorCall(
      await mintTagged({ session_type: "translation" }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain('session_type must be one of "realtime", "transcription"');
  });

  it.each([
    ["instructions", { instructions: "ignore the operator" }],
    ["voice", { voice: "alloy" }],
    ["session", { session: { type: "realtime", tools: [] } }],
    ["expires_after", { expires_after: { seconds: 7200 } }],
    ["client_ref", { client_ref: "mallory" }],
  ])("refuses the field %s: no other session field reaches OpenAI", async (field, body) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged(body), 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
  });

  it("records the issuance without the key, with its fingerprint and the options applied", async () => {
    await expectAuditedWithoutSecrets("openai", () => mintTagged({ ttl_seconds: 120, model: "gpt-realtime" }), {
      ttl_seconds: 120,
      options: { session_type: "realtime", model: "gpt-realtime" },
      upstream_status: 200,
      error_code: null,
      vendor_key_id: null,
    });
  });

  it("maps a wrong API key to 502 upstream_auth_failed and records OpenAI's 401", async () => {
    const error = await expectWrongKeyAuthFailed(mintTagged, { OPENAI_API_KEY: "sk-proj-not-the-right-key" });
    expect(error.message).not.toContain("Incorrect API key");
  });

  it("maps OpenAI's 429 to 429 upstream_rate_limited with Retry-After", async () => {
    const response = await mint("openai", uniqueUser(), { env: { OPENAI_BASE_URL: faultUrl("rate-limited") } });
    await expectError(response, 429, "upstream_rate_limited");
    expect(response.headers.get("retry-after")).toBe("17");
  });

  it("maps OpenAI's 500 to 502 upstream_error without its body", async () => {
    const response = await mint("openai", uniqueUser(), { env: { OPENAI_BASE_URL: faultUrl("server-error") } });
    const error = await expectError(response, 502, "upstream_error");
    expect(error.message).toBe("openai failed to create a key (status 500)");
  });

  it("maps a success with no value to 502 upstream_error", async () => {
    const response = await mint("openai", uniqueUser(), { env: { OPENAI_BASE_URL: faultUrl("malformed") } });
    const error = await expectError(response, 502, "upstream_error");
    expect(error.message).toBe("openai sent an unexpected response");
  });

  it.each(["expiry-far", "expiry-never"])(
    "refuses a secret whose epoch expires_at is too far or null (%s) as 502 vendor_credential_refused",
    async (fault) => {
      const response = await mint("openai", uniqueUser(), { env: { OPENAI_BASE_URL: faultUrl(fault) } });
      const error = await expectError(response, 502, "vendor_credential_refused");
      expect(error.message).toContain("openai issued a credential that the broker refused");
    },
  );

  it.each([
    ["ends in /v1, as the SDKs' OPENAI_BASE_URL does", "https://api.openai.com/v1"],
    ["is plain http to another host", "http://api.openai.com"],
  ])("answers 500 misconfigured when OPENAI_BASE_URL %s", async (_case, baseUrl) => {
    const error = await expectError(
      (await mintTagged({}, { OPENAI_BASE_URL: baseUrl })).response,
      500,
      "misconfigured",
    );
    expect(error.message).toContain("OPENAI_BASE_URL");
  });
});

describe("an OpenAI client secret at the WebRTC calls endpoint", () => {
  it("answers the SDP offer, and again for another session, until the secret expires", async () => {
    const { key } = await mintedKey();
    for (let session = 0; session < 2; session++) {
      const response = await startCall(key);
      expect(response.status).toBe(201);
      expect(response.headers.get("content-type")).toBe("application/sdp");
      expect(response.headers.get("location")).toMatch(/^\/v1\/realtime\/calls\/rtc_[0-9a-f]{32}$/);
      const answer = new TextDecoder().decode(await response.arrayBuffer());
      expect(answer.startsWith("v=0\r\n")).toBe(true);
      expect(answer).toContain("m=audio ");
    }
  });

  it("works for a transcription secret too", async () => {
    const { key } = await mintedKey({ session_type: "transcription", model: "whisper-1" });
    expect((await startCall(key)).status).toBe(201);
  });

  it.each([
    ["an unknown secret", "ek_00000000000000000000000000000000"],
    ["no secret", undefined],
  ])("refuses %s with OpenAI's 401 error body", async (_case, secret) => {
    const response = await startCall(secret);
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: "invalid_request_error", param: null });
    expect(typeof body.error.message).toBe("string");
  });

  it("refuses an offer that is not application/sdp", async () => {
    const { key } = await mintedKey();
    const response = await startCall(key, "application/json", JSON.stringify({ sdp: OFFER }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("invalid_request_error");
  });
});

/** The broker on its real code path, but with OpenAI's answer replaced: the expiry the vendor claims. */
async function mintAgainst(vendorReply: (now: number) => unknown, ttlSeconds = 600) {
  const now = new Date();
  const vendorFetch: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.endsWith("/v1/realtime/client_secrets")) return fetch(input, init);
    return new Response(JSON.stringify(vendorReply(now.getTime())), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  };
  const user = uniqueUser();
  const request = new Request("https://broker.test/v1/keys/openai", {
    method: "POST",
    headers: { ...(await bearer(user)), "content-type": "application/json" },
    body: JSON.stringify({ ttl_seconds: ttlSeconds }),
  });
  const ctx = createExecutionContext();
  const app = createApp({ now: () => now, fetch: vendorFetch });
  const response = await app.fetch(request, brokerEnv(), ctx);
  await waitOnExecutionContext(ctx);
  return { response, user, now };
}

describe("OpenAI's expires_at is checked like every vendor expiry", () => {
  const epoch = (ms: number) => Math.floor(ms / 1000);

  it("is answered as given when it is within the TTL", async () => {
    const { response, now } = await mintAgainst((t) => ({ value: "ek_within", expires_at: epoch(t) + 600 }));
    expect(response.status).toBe(201);
    const body = (await response.json()) as { expires_at: string };
    expect(body.expires_at).toBe(new Date(epoch(now.getTime()) * 1000 + 600_000).toISOString());
  });

  it("refuses a secret OpenAI says outlives the TTL, and logs its fingerprint so it can be found", async () => {
    const { result, lines } = await captureLogs(() =>
      mintAgainst((t) => ({ value: "ek_far", expires_at: epoch(t) + 600 + 120 })),
    );
    const error = await expectError(result.response, 502, "vendor_credential_refused");
    expect(error.message).toContain("outlive");
    const [record] = await auditRecordsFor(result.user);
    expect(record).toMatchObject({
      outcome: "upstream_error",
      error_code: "vendor_credential_refused",
      upstream_status: 200,
    });
    expect(record?.key_fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(lines.join("\n")).toContain("revoke");
    expect(lines.join("\n")).not.toContain("ek_far");
  });

  it("reads expires_at as seconds, not milliseconds", async () => {
    // The same instant in milliseconds would be read as some 50,000 years away, and refused.
    const { response } = await mintAgainst((t) => ({ value: "ek_ms", expires_at: t + 600_000 }));
    await expectError(response, 502, "vendor_credential_refused");
  });
});

describe("GET /v1/vendors and POLICY for openai", () => {
  it("lists openai with its TTL range, credential and options", async () => {
    const listed = await listedVendor("openai");
    expect(listed).toMatchObject({
      ttl_seconds: { min: 10, max: 7200, default: 600 },
      credential: openai.credential,
      options: {
        session_type: { type: "string", enum: ["realtime", "transcription"], default: "realtime" },
        model: { type: "string", maxLength: 64 },
      },
    });
    expect(String(listed?.credential)).toContain("several sessions");
  });

  const onlyRealtime = { openai: { options: { model: { in: ["gpt-realtime", "gpt-realtime-mini"] } } } };

  it("lets an operator restrict model to an allowed set", async () => {
    const ok = await mint("openai", uniqueUser(), {
      body: { model: "gpt-realtime-mini" },
      env: withPolicy(onlyRealtime),
    });
    expect(ok.status).toBe(201);
    const refused = await mintTagged({ model: "gpt-realtime-2" }, withPolicy(onlyRealtime));
    const error = await expectRefusedWithoutVendorCall(refused, 403, "forbidden");
    expect(error.message).toContain('model must be one of "gpt-realtime", "gpt-realtime-mini"');
  });

  it("requires model to be sent when the operator restricts it", async () => {
    const error = await expectError(
      await mint("openai", uniqueUser(), { env: withPolicy(onlyRealtime) }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("model must be sent");
  });

  it("narrows model to the allowed set in GET /v1/vendors", async () => {
    const response = await call("/v1/vendors", { headers: await bearer("alice"), env: withPolicy(onlyRealtime) });
    const { vendors } = (await response.json()) as { vendors: { id: string; options: Record<string, unknown> }[] };
    expect(vendors.find((v) => v.id === "openai")?.options.model).toMatchObject({
      enum: ["gpt-realtime", "gpt-realtime-mini"],
    });
  });

  it("refuses a POLICY whose allowed model is not a valid model id", async () => {
    const response = await call("/v1/vendors", {
      headers: await bearer("alice"),
      env: withPolicy({ openai: { options: { model: { in: ["GPT Realtime"] } } } }),
    });
    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain("openai.options.model.in entry 1 is not a valid model");
  });
});

describe("OpenAI adapter", () => {
  const settings = { apiKey: "sk-test", baseUrl: "https://api.openai.com" };
  const mintWith = (reply: unknown, status = 200) =>
    openai.mint({
      settings,
      options: { session_type: "realtime" },
      ttlSeconds: 600,
      clientRef: "alice",
      callerIp: undefined,
      now: new Date("2027-01-15T07:50:00Z"),
      send: async () => ({ status, text: JSON.stringify(reply) }),
    });

  it("takes the key from value and expires_at from epoch seconds", async () => {
    const minted = await mintWith({ value: "ek_1", expires_at: 1_800_000_000, session: { type: "realtime" } });
    expect(minted).toEqual({
      key: "ek_1",
      expiresAt: new Date("2027-01-15T08:00:00.000Z"),
      applied: { session_type: "realtime" },
    });
  });

  it.each([{ expires_at: 1_800_000_000 }, { value: "", expires_at: 1_800_000_000 }])(
    "refuses %j, which holds no secret, as upstream_error",
    async (reply) => {
      await expect(mintWith(reply)).rejects.toMatchObject({ code: "upstream_error" });
    },
  );

  it.each([
    { value: "ek_1" },
    { value: "ek_1", expires_at: "1800000000" },
    { value: "ek_1", expires_at: 0 },
    { value: "ek_1", expires_at: null },
  ])("refuses %j, whose secret OpenAI did issue, as vendor_credential_refused", async (reply) => {
    await expect(mintWith(reply)).rejects.toMatchObject({ code: "vendor_credential_refused" });
  });

  it("reads OpenAI's error message for a validation failure", () => {
    const text = JSON.stringify({
      error: { message: "Unknown parameter: 'session.voice'.", type: "invalid_request_error", param: "x", code: "y" },
    });
    expect(openai.readFailure(400, text)).toEqual({ message: "Unknown parameter: 'session.voice'." });
    expect(openai.readFailure(400, "<html>")).toEqual({});
    expect(openai.readFailure(400, JSON.stringify({ error: { message: null } }))).toEqual({ message: undefined });
  });
});

describe("the OpenAI emulator refuses what OpenAI refuses", () => {
  const issue = (body: unknown, authorization = `Bearer ${masterKeys.openai}`, contentType = "application/json") =>
    fetch(`${emulatorUrl}/v1/realtime/client_secrets`, {
      method: "POST",
      headers: { "content-type": contentType, authorization },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it.each([
    [{ expires_after: { seconds: 9 } }, "expires_after.seconds", "integer_below_min_value", "Expected a value >= 10"],
    [
      { expires_after: { seconds: 7201 } },
      "expires_after.seconds",
      "integer_above_max_value",
      "Expected a value <= 7200",
    ],
    [{ expires_after: { seconds: 60.5 } }, "expires_after.seconds", "invalid_type", "expected an integer"],
    [{ expires_after: { anchor: "now", seconds: 60 } }, "expires_after.anchor", "invalid_value", "'created_at'"],
    [{ ttl: 60 }, "ttl", "unknown_parameter", "Unknown parameter: 'ttl'."],
    [{ session: {} }, "session.type", "missing_required_parameter", "Missing required parameter"],
    [{ session: { type: "translation" } }, "session.type", "invalid_value", "'realtime' and 'transcription'"],
    [{ session: { type: "realtime", voice: "alloy" } }, "session.voice", "unknown_parameter", "Unknown parameter"],
    [{ session: { type: "transcription", model: "whisper-1" } }, "session.model", "unknown_parameter", "Unknown"],
    [{ session: { type: "realtime", model: "whisper-1" } }, "session.model", "invalid_value", "Invalid value"],
  ])("answers %j with a 400 naming %s", async (body, param, code, message) => {
    const response = await issue(body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ type: "invalid_request_error", param, code });
    expect(error.message).toContain(message);
  });

  it("answers a body that is not JSON with OpenAI's parse error", async () => {
    const response = await issue(
      "expires_after=60",
      `Bearer ${masterKeys.openai}`,
      "application/x-www-form-urlencoded",
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      "could not parse the JSON body",
    );
  });

  it.each([
    ["a wrong key", "Bearer sk-proj-wrong-key-0000", "invalid_api_key", "Incorrect API key provided: sk-"],
    ["a key without the Bearer scheme", `Token ${masterKeys.openai}`, null, "You didn't provide an API key"],
    ["the bare key", masterKeys.openai as string, null, "You didn't provide an API key"],
  ])("answers %s with 401", async (_case, authorization, code, message) => {
    const response = await issue({}, authorization);
    expect(response.status).toBe(401);
    const { error } = (await response.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ type: "invalid_request_error", code });
    expect(error.message).toContain(message);
    expect(error.message).not.toContain("wrong-key");
  });

  it("issues a secret with the defaults: 600 s and a realtime session", async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await issue({});
    expect(response.status).toBe(200);
    const body = (await response.json()) as { value: string; expires_at: number; session: Record<string, unknown> };
    expect(body.value).toMatch(/^ek_/);
    expect(body.expires_at - before).toBeGreaterThanOrEqual(600);
    expect(body.expires_at - before).toBeLessThanOrEqual(601);
    expect(body.session).toMatchObject({ type: "realtime", object: "realtime.session", model: "gpt-realtime" });
  });
});
