import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import type { Env } from "../../src/env";
import { createApp } from "../../src/index";
import { auditRecord, auditRecordsFor } from "../helpers/audit";
import { brokerEnv, call, emulatorUrl, expectError, twilioVoiceAccount, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

/**
 * Twilio Voice: the broker signs the access token itself. Everything but the
 * vendor call is the usual mint path; the token is checked here claim by claim,
 * against its secret, and at the emulator's stand-in for Twilio's signaling.
 */

const account = twilioVoiceAccount;
const secret = new TextEncoder().encode(account.apiKeySecret);

/** A user id that is a valid Voice identity (uniqueUser's UUID is one too). */
const voiceUser = () => uniqueUser("voice");

interface Minted {
  key: string;
  expires_at: string;
  ttl_seconds: number;
  client_ref: string;
  issuance_id: string;
  incoming: boolean;
  connect: { endpoint: string };
}

/** Mints through the real Worker with its clock at `now`, recording every request it sends out. */
async function mintAt(now: Date, body: unknown = {}, user = voiceUser(), env: Partial<Env> = {}) {
  const sent: string[] = [];
  const recordingFetch = (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  const request = new Request("https://broker.test/v1/keys/twilio-voice", {
    method: "POST",
    headers: { ...(await bearer(user)), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const ctx = createExecutionContext();
  const response = await createApp({ now: () => now, fetch: recordingFetch }).fetch(request, brokerEnv(env), ctx);
  await waitOnExecutionContext(ctx);
  return { response, sent, user };
}

/** The broker's clock a little past a whole second, so that a token's times show they are floored. */
const justPastASecond = () => new Date(Math.floor(Date.now() / 1000) * 1000 + 250);

/** Presents a token the way the Voice SDK does: the signaling socket, then a `listen` message carrying it. */
async function listen(endpoint: string, token: string): Promise<{ type: string; payload: Record<string, unknown> }> {
  const response = await fetch(endpoint.replace(/^ws/, "http"), { headers: { Upgrade: "websocket" } });
  const socket = response.webSocket;
  if (!socket) throw new Error(`no socket: ${response.status}`);
  socket.accept();
  const reply = new Promise<string>((resolve) => socket.addEventListener("message", (e) => resolve(String(e.data))));
  socket.send(JSON.stringify({ type: "listen", version: "1.6", payload: { token, browserinfo: {} } }));
  return JSON.parse(await reply) as { type: string; payload: Record<string, unknown> };
}

describe("POST /v1/keys/twilio-voice", () => {
  it("signs the token Twilio's AccessToken with a VoiceGrant makes: header, then every claim", async () => {
    const now = justPastASecond();
    const { response, user } = await mintAt(now);
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(Object.keys(body).sort()).toEqual(
      ["client_ref", "connect", "expires_at", "incoming", "issuance_id", "key", "ttl_seconds", "vendor"].sort(),
    );
    const issuedAt = Math.floor(now.getTime() / 1000);
    expect(body).toMatchObject({ vendor: "twilio-voice", ttl_seconds: 600, client_ref: user, incoming: false });
    expect(body.expires_at).toBe(new Date((issuedAt + 600) * 1000).toISOString());

    expect(decodeProtectedHeader(body.key)).toEqual({ alg: "HS256", typ: "JWT", cty: "twilio-fpa;v=1" });
    // The exact claim set: no nbf, as Twilio's helper sets none by default.
    expect(decodeJwt(body.key)).toEqual({
      jti: `${account.apiKeySid}-${issuedAt}`,
      grants: { identity: user, voice: { outgoing: { application_sid: account.twimlAppSid } } },
      iat: issuedAt,
      exp: issuedAt + 600,
      iss: account.apiKeySid,
      sub: account.accountSid,
    });
  });

  it("lets the token receive calls only when asked: incoming", async () => {
    const { response } = await mintAt(justPastASecond(), { incoming: true });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(body.incoming).toBe(true);
    expect(decodeJwt(body.key).grants).toMatchObject({
      voice: { incoming: { allow: true }, outgoing: { application_sid: account.twimlAppSid } },
    });
  });

  it.each([["yes"], [1], [null]])("refuses incoming %j", async (incoming) => {
    const error = await expectError((await mintAt(new Date(), { incoming })).response, 400, "invalid_request");
    expect(error.message).toContain("incoming");
  });

  it.each([
    ["identity", { identity: "mallory" }],
    ["client_ref", { client_ref: "mallory" }],
    ["grants", { grants: { identity: "mallory" } }],
  ])("refuses the field %s: the identity is only ever the verified client_ref", async (field, body) => {
    const error = await expectError((await mintAt(new Date(), body)).response, 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
  });

  it.each([60, 3600])("accepts ttl_seconds %i at the limit as the token's life", async (ttl) => {
    const now = justPastASecond();
    const { response } = await mintAt(now, { ttl_seconds: ttl });
    expect(response.status).toBe(201);
    const claims = decodeJwt(((await response.json()) as Minted).key);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(ttl);
  });

  it.each([59, 3601, 0, 600.5, "600"])("refuses ttl_seconds %j", async (ttl) => {
    const { response, user } = await mintAt(new Date(), { ttl_seconds: ttl });
    const error = await expectError(response, 400, "invalid_request");
    if (typeof ttl === "number" && Number.isInteger(ttl)) expect(error.message).toContain("from 60 to 3600");
    expect(await auditRecordsFor(user)).toEqual([]);
  });

  it("sends no request anywhere but to the identity provider's keys", async () => {
    const { response, sent } = await mintAt(new Date());
    expect(response.status).toBe(201);
    expect(sent.filter((url) => !url.endsWith("/jwks.json"))).toEqual([]);
  });

  it("audits the token's fingerprint and its jti, never the token or the secret", async () => {
    const now = justPastASecond();
    const { response, user } = await mintAt(now, { incoming: true, ttl_seconds: 120 });
    const body = (await response.json()) as Minted;
    const record = await auditRecord(body.issuance_id);
    expect(record).toMatchObject({
      vendor: "twilio-voice",
      outcome: "issued",
      client_ref: user,
      ttl_seconds: 120,
      expires_at: body.expires_at,
      options: { incoming: true },
      upstream_status: null,
      error_code: null,
      key_fingerprint: await keyFingerprint(body.key),
      vendor_key_id: `${account.apiKeySid}-${Math.floor(now.getTime() / 1000)}`,
    });
    const text = JSON.stringify(record);
    expect(text).not.toContain(body.key);
    expect(text).not.toContain(body.key.split(".")[2]);
    expect(text).not.toContain(account.apiKeySecret);
  });

  it("signs with the configured secret: the token verifies with it and with no other", async () => {
    const { response } = await mintAt(new Date());
    const { key } = (await response.json()) as Minted;
    const verified = await jwtVerify(key, secret, { algorithms: ["HS256"] });
    expect(verified.payload.iss).toBe(account.apiKeySid);
    const otherSecret = new TextEncoder().encode(`${account.apiKeySecret.slice(0, -1)}x`);
    await expect(jwtVerify(key, otherSecret, { algorithms: ["HS256"] })).rejects.toThrow(/signature/);
  });

  it("counts against the daily quota like any other key", async () => {
    const user = voiceUser();
    const env = { DAILY_MINT_QUOTA: "1" };
    expect((await mintAt(new Date(), {}, user, env)).response.status).toBe(201);
    await expectError((await mintAt(new Date(), {}, user, env)).response, 429, "quota_exceeded");
  });

  it.each([
    ["a pipe (Auth0's auth0|…)", "auth0|5f7c8ec7c33c6c004bbafe82"],
    ["a space", "alice smith"],
    ["a non-ASCII letter", "zoë"],
    ["a percent sign", "100%"],
  ])("refuses, before the quota, a client_ref with %s, which Twilio refuses as a client name", async (_case, sub) => {
    const { response } = await mintAt(new Date(), {}, sub, { DAILY_MINT_QUOTA: "1" });
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain("Twilio Voice identity");
    expect(error.message).not.toContain(sub);
    expect(await auditRecordsFor(sub)).toEqual([]);
  });

  it("accepts the client_refs identity providers commonly give: UUIDs, pseudonyms, emails", async () => {
    for (const sub of [crypto.randomUUID(), `u_${"Ab-_9".repeat(4)}xy`, `a.${crypto.randomUUID()}@example.com`]) {
      const { response } = await mintAt(new Date(), {}, sub);
      expect(response.status, sub).toBe(201);
    }
  });

  it.each([
    ["the secret unset", { TWILIO_API_KEY_SECRET: "" }, 404, "vendor_not_configured", undefined],
    ["no Account SID", { TWILIO_ACCOUNT_SID: "" }, 500, "misconfigured", "TWILIO_ACCOUNT_SID"],
    [
      "an Auth Token-like Account SID",
      { TWILIO_ACCOUNT_SID: "0123456789abcdef0123456789abcdef" },
      500,
      "misconfigured",
      "TWILIO_ACCOUNT_SID",
    ],
    [
      "an Account SID as the API key SID",
      { TWILIO_API_KEY_SID: account.accountSid },
      500,
      "misconfigured",
      "TWILIO_API_KEY_SID",
    ],
    ["a short TwiML app SID", { TWILIO_TWIML_APP_SID: "AP0123" }, 500, "misconfigured", "TWILIO_TWIML_APP_SID"],
    ["no TwiML app", { TWILIO_TWIML_APP_SID: "" }, 500, "misconfigured", "TWILIO_TWIML_APP_SID"],
  ])(
    "answers %s (%o) with %i %s, naming the variable and not its value",
    async (_case, env, status, code, variable) => {
      const error = await expectError((await mintAt(new Date(), {}, voiceUser(), env)).response, status, code);
      if (variable) expect(error.message).toContain(variable);
      for (const value of Object.values(env)) if (value) expect(error.message).not.toContain(value);
      expect(error.message).not.toContain(account.apiKeySecret);
    },
  );

  it("lists Twilio Voice with its TTL range, option and what its token allows", async () => {
    const response = await call("/v1/vendors", { headers: await bearer(voiceUser()) });
    const { vendors } = (await response.json()) as { vendors: Record<string, unknown>[] };
    const listing = vendors.find((v) => v.id === "twilio-voice");
    expect(listing).toMatchObject({
      ttl_seconds: { min: 60, max: 3600, default: 600 },
      options: { incoming: { type: "boolean", default: false } },
    });
    expect(String(listing?.credential)).toContain("TwiML app");
  });
});

describe("a Twilio Voice token at the emulator's signaling check", () => {
  it("is accepted as the user's identity, with the lifetime left", async () => {
    const { response, user } = await mintAt(new Date(), { incoming: true });
    const { key, connect } = (await response.json()) as Minted;
    const reply = await listen(connect.endpoint, key);
    expect(reply.type).toBe("connected");
    expect(reply.payload).toMatchObject({ token: { identity: user }, incoming: true });
    expect(reply.payload.token).toMatchObject({ ttl: expect.any(Number) });
  });

  it("is refused with 20107 when the broker signed with another secret", async () => {
    const env = { TWILIO_API_KEY_SECRET: "anotherSecretOfThirtyTwoChars000" };
    const { response } = await mintAt(new Date(), {}, voiceUser(), env);
    const { key, connect } = (await response.json()) as Minted;
    expect(await listen(connect.endpoint, key)).toMatchObject({
      type: "error",
      payload: { error: { code: 20107, message: "Invalid Access Token signature" } },
    });
  });

  it("is refused with 20104 once expired", async () => {
    const longAgo = new Date(Date.now() - 700_000);
    const { response } = await mintAt(longAgo, { ttl_seconds: 600 });
    const { key, connect } = (await response.json()) as Minted;
    expect(await listen(connect.endpoint, key)).toMatchObject({ type: "error", payload: { error: { code: 20104 } } });
  });

  it("is refused with 20103 for another account", async () => {
    const env = { TWILIO_ACCOUNT_SID: `AC${"1".repeat(32)}` };
    const { response } = await mintAt(new Date(), {}, voiceUser(), env);
    const { key, connect } = (await response.json()) as Minted;
    expect(await listen(connect.endpoint, key)).toMatchObject({ type: "error", payload: { error: { code: 20103 } } });
  });
});

describe("the emulator's signaling check refuses what Twilio refuses", () => {
  const signaling = `${emulatorUrl.replace(/^http/, "ws")}/signal`;
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const voiceGrant = { outgoing: { application_sid: account.twimlAppSid } };

  /** A token the emulator's account signed, with `change` applied to the header and claims Twilio's helper writes. */
  function token(
    change: { header?: Record<string, unknown>; claims?: Record<string, unknown> } = {},
    key: Uint8Array = secret,
  ) {
    const iat = nowSeconds();
    const claims = {
      jti: `${account.apiKeySid}-${iat}`,
      grants: { identity: "alice", voice: voiceGrant },
      iat,
      exp: iat + 600,
      iss: account.apiKeySid,
      sub: account.accountSid,
      ...change.claims,
    };
    const header = { alg: "HS256", typ: "JWT", cty: "twilio-fpa;v=1", ...change.header };
    return new SignJWT(claims).setProtectedHeader(header).sign(key);
  }

  it("accepts the token Twilio's helper would make", async () => {
    expect(await listen(signaling, await token())).toMatchObject({ type: "connected", payload: { incoming: false } });
  });

  it.each([
    ["not a JWT", 20101, async () => "not-a-jwt"],
    ["no cty", 20102, () => token({ header: { cty: undefined } })],
    ["another cty", 20102, () => token({ header: { cty: "twilio-fpa;v=2" } })],
    ["another API key as issuer", 20103, () => token({ claims: { iss: `SK${"9".repeat(32)}` } })],
    ["another account as subject", 20103, () => token({ claims: { sub: `AC${"9".repeat(32)}` } })],
    ["another secret", 20107, () => token({}, new TextEncoder().encode("not-the-api-key-secret-000000000"))],
    ["no exp", 20104, () => token({ claims: { exp: undefined } })],
    ["an exp past", 20104, () => token({ claims: { exp: nowSeconds() - 1 } })],
    ["an exp over 24 hours ahead", 20104, () => token({ claims: { exp: nowSeconds() + 86_401 } })],
    ["an nbf ahead", 20105, () => token({ claims: { nbf: nowSeconds() + 60 } })],
    ["no identity", 20106, () => token({ claims: { grants: { voice: voiceGrant } } })],
    ["no voice grant", 20106, () => token({ claims: { grants: { identity: "alice" } } })],
    [
      "another TwiML app",
      21218,
      () =>
        token({
          claims: { grants: { identity: "alice", voice: { outgoing: { application_sid: `AP${"9".repeat(32)}` } } } },
        }),
    ],
    ["an identity with a pipe", 31105, () => token({ claims: { grants: { identity: "auth0|x", voice: voiceGrant } } })],
    [
      "an identity over 256 characters",
      31105,
      () => token({ claims: { grants: { identity: "a".repeat(257), voice: voiceGrant } } }),
    ],
  ])("refuses %s with %i", async (_case, code, make) => {
    expect(await listen(signaling, await make())).toMatchObject({ type: "error", payload: { error: { code } } });
  });
});
