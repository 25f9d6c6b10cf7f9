import { describe, expect, it } from "vitest";
import { ACEDATA_APPLICATION_ID, emulatorUrl, masterKeys } from "./helpers/broker";
import { inject } from "vitest";

/**
 * The emulator stands in for the vendors, so it must refuse what they refuse.
 * These tests call it directly, the way a broker bug would.
 */
const amivoiceAccount = inject("amivoiceAccount");

async function post(path: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${emulatorUrl}${path}`, { method: "POST", body, headers });
  return { status: response.status, text: await response.text() };
}

const form = { "content-type": "application/x-www-form-urlencoded" };
const bearer = (key: string) => ({ ...form, authorization: `Bearer ${key}` });

describe("AmiVoice emulator", () => {
  it.each([
    ["a malformed ipa", "epi=60000&ipa=300.1.1.1", bearer(amivoiceAccount.issuableKey), 400, "Invalid ipa"],
    ["an IPv6 ipa", "epi=60000&ipa=2001:db8::1", bearer(amivoiceAccount.issuableKey), 400, "Invalid ipa"],
    ["a non-numeric epi", "epi=5m", bearer(amivoiceAccount.issuableKey), 400, "Invalid epi"],
    [
      "both auth modes",
      "epi=60000&sid=a&spw=b",
      bearer(amivoiceAccount.issuableKey),
      400,
      "Invalid Authorization Header",
    ],
    ["a non-Bearer header", "epi=60000", { ...form, authorization: "Basic abc" }, 400, "Invalid Authorization Header"],
    ["a wrong bearer key", "epi=60000", bearer("nope"), 400, "Invalid appkey"],
    ["a key that is not Issuable", "epi=60000", bearer(amivoiceAccount.notIssuableKey), 400, "Dont issue appkey"],
    ["no credentials", "epi=60000", form, 200, ""],
  ])("answers %s as documented", async (_case, body, headers, status, message) => {
    const reply = await post("/issue_service_authorization", body, headers);
    expect(reply).toEqual({ status, text: message });
  });

  it.each([
    ["an issuer key", "epi=60000&ipa=10.0.0.0/8,192.0.2.1", bearer(amivoiceAccount.issuableKey)],
    ["sid and spw", `epi=60000&sid=${amivoiceAccount.sid}&spw=${amivoiceAccount.spw}`, form],
    ["a wrong sid and spw, as the seed warns", "epi=60000&sid=wrong&spw=wrong", form],
  ])("issues a plain-text key with %s", async (_case, body, headers) => {
    const reply = await post("/issue_service_authorization", body, headers);
    expect(reply.status).toBe(200);
    expect(reply.text.trim()).toMatch(/^[A-Z0-9]{40}$/);
  });
});

describe("AceData emulator", () => {
  const json = (token?: string) => ({
    "content-type": "application/json",
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  });

  it.each([
    ["a missing bearer", {}, undefined, 401, "Authentication credentials were not provided."],
    ["a wrong bearer", { application_id: ACEDATA_APPLICATION_ID }, "wrong", 401, "Invalid token."],
  ])("refuses %s", async (_case, body, token, status, detail) => {
    const reply = await post("/api/v1/credentials/", JSON.stringify(body), json(token));
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.text)).toEqual({ detail });
  });

  it.each([
    ["a missing application_id", {}, "This field is required."],
    ["a non-UUID application_id", { application_id: "my-app" }, "Must be a valid UUID."],
  ])("refuses %s", async (_case, body, message) => {
    const reply = await post("/api/v1/credentials/", JSON.stringify(body), json(masterKeys.acedata));
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toEqual({ application_id: [message] });
  });

  it("creates a credential that echoes its limits", async () => {
    const body = { application_id: ACEDATA_APPLICATION_ID, limited_amount: 3, expired_at: "2030-01-01T00:00:00Z" };
    const reply = await post("/api/v1/credentials/", JSON.stringify(body), json(masterKeys.acedata));
    expect(reply.status).toBe(201);
    expect(JSON.parse(reply.text)).toMatchObject({ type: "Token", limited_amount: 3, expired_at: body.expired_at });
  });
});

describe("Soniox and Speechmatics emulators", () => {
  const auth = (vendor: string) => ({
    "content-type": "application/json",
    authorization: `Bearer ${masterKeys[vendor]}`,
  });

  it("Soniox refuses an out-of-range expiry with its validation error body", async () => {
    const body = JSON.stringify({ usage_type: "transcribe_websocket", expires_in_seconds: 3601 });
    const reply = await post("/v1/auth/temporary-api-key", body, auth("soniox"));
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.text)).toMatchObject({
      status_code: 400,
      error_type: "invalid_request",
      validation_errors: [{ location: "body.payload.expires_in_seconds", error_type: "less_than_equal" }],
    });
  });

  it("Soniox requires usage_type", async () => {
    const reply = await post("/v1/auth/temporary-api-key", JSON.stringify({ expires_in_seconds: 60 }), auth("soniox"));
    expect(reply.status).toBe(400);
  });

  it("Speechmatics refuses a ttl under 60 and an unknown region", async () => {
    expect((await post("/v1/api_keys?type=rt", JSON.stringify({ ttl: 59 }), auth("speechmatics"))).status).toBe(400);
    const region = await post(
      "/v1/api_keys?type=batch",
      JSON.stringify({ ttl: 60, region: "mars" }),
      auth("speechmatics"),
    );
    expect(region.status).toBe(400);
  });

  it("Speechmatics takes region on rt keys, as its own SDK sends it", async () => {
    const reply = await post("/v1/api_keys?type=rt", JSON.stringify({ ttl: 60, region: "eu" }), auth("speechmatics"));
    expect(reply.status).toBe(201);
  });

  it("both refuse a wrong key with 401", async () => {
    const headers = { "content-type": "application/json", authorization: "Bearer wrong" };
    expect((await post("/v1/auth/temporary-api-key", "{}", headers)).status).toBe(401);
    expect((await post("/v1/api_keys?type=rt", "{}", headers)).status).toBe(401);
  });
});

describe("AssemblyAI emulator", () => {
  /** Asks for a token with the given Authorization header; null sends none. */
  async function token(query: string, authorization: string | null = masterKeys.assemblyai ?? "") {
    const response = await fetch(`${emulatorUrl}/v3/token${query}`, {
      headers: authorization === null ? {} : { authorization },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it.each([
    ["no key", "?expires_in_seconds=60", null, 401, "Authentication error, API token missing/invalid"],
    [
      "a Bearer key",
      "?expires_in_seconds=60",
      `Bearer ${masterKeys.assemblyai}`,
      401,
      "Authentication error, API token missing/invalid",
    ],
    ["no expires_in_seconds", "", masterKeys.assemblyai, 400, "expires_in_seconds is required"],
    [
      "expires_in_seconds 0",
      "?expires_in_seconds=0",
      masterKeys.assemblyai,
      400,
      "expires_in_seconds must be between 1 and 600 seconds",
    ],
    [
      "expires_in_seconds 601",
      "?expires_in_seconds=601",
      masterKeys.assemblyai,
      400,
      "expires_in_seconds must be between 1 and 600 seconds",
    ],
    [
      "a fractional expires_in_seconds",
      "?expires_in_seconds=1.5",
      masterKeys.assemblyai,
      400,
      "expires_in_seconds must be an integer",
    ],
    [
      "max_session_duration_seconds 59",
      "?expires_in_seconds=60&max_session_duration_seconds=59",
      masterKeys.assemblyai,
      400,
      "max_session_duration_seconds must be between 60 and 10800 seconds",
    ],
    [
      "max_session_duration_seconds 10801",
      "?expires_in_seconds=60&max_session_duration_seconds=10801",
      masterKeys.assemblyai,
      400,
      "max_session_duration_seconds must be between 60 and 10800 seconds",
    ],
  ])("refuses %s as AssemblyAI does", async (_case, query, authorization, status, error) => {
    expect(await token(query, authorization)).toEqual({ status, body: { error } });
  });

  it.each([
    "?expires_in_seconds=1",
    "?expires_in_seconds=600&max_session_duration_seconds=60",
    "?expires_in_seconds=60&max_session_duration_seconds=10800",
  ])("issues a token for %s", async (query) => {
    const reply = await token(query);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      token: expect.stringMatching(/^eyJ/),
      expires_in_seconds: Number(new URLSearchParams(query).get("expires_in_seconds")),
    });
  });

  it("answers only GET on the token path", async () => {
    const reply = await post("/v3/token?expires_in_seconds=60", "", { authorization: masterKeys.assemblyai ?? "" });
    expect(reply.status).toBe(404);
  });
});
