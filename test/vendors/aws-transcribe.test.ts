import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import type { Env } from "../../src/env";
import { createApp } from "../../src/index";
import { awsTranscribe } from "../../src/vendors/aws-transcribe";
import { auditRecord } from "../helpers/audit";
import {
  awsAccount,
  brokerEnv,
  call,
  captureLogs,
  emulatorUrl,
  expectError,
  masterKeys,
  uniqueUser,
} from "../helpers/broker";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";

const VENDOR = "aws-transcribe";
const EMULATOR_ENDPOINT = `ws://${new URL(emulatorUrl).host}/stream-transcription-websocket`;
const AWS_ENDPOINT = "wss://transcribestreaming.us-east-1.amazonaws.com:8443/stream-transcription-websocket";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Minted {
  key: string;
  url: string;
  issuance_id: string;
  expires_at: string;
  ttl_seconds: number;
  session_id: string;
  connect: unknown;
  [option: string]: unknown;
}

/** The broker's clock on a whole second, so that X-Amz-Date and expires_at can be compared exactly. */
const wholeSecond = (offsetMs = 0) => new Date(Math.floor((Date.now() + offsetMs) / 1000) * 1000);

/** SigV4's basic format of a time: 20261207T012345Z. */
const amzDate = (date: Date) => date.toISOString().replace(/[:-]|\.\d{3}/g, "");

async function mintAt(now: Date, body: unknown = {}, env: Partial<Env> = {}) {
  return call(`/v1/keys/${VENDOR}`, { method: "POST", headers: await bearer(uniqueUser()), body, env, now: () => now });
}

async function minted(response: Response): Promise<Minted> {
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Minted;
}

/** Opens the URL on the emulator from inside workerd, as given; resolves the handshake's status and body. */
async function open(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url.replace(/^ws/, "http"), { headers: { Upgrade: "websocket" } });
  const socket = response.webSocket;
  const text = socket ? "" : await response.text();
  if (socket) {
    socket.accept();
    socket.close(1000);
  }
  return { status: response.status, text };
}

describe("POST /v1/keys/aws-transcribe", () => {
  it("signs a presigned URL with the default options, which the emulator's AWS accepts", async () => {
    const now = wholeSecond();
    const body = await minted(await mintAt(now));
    expect(body).toMatchObject({
      vendor: VENDOR,
      ttl_seconds: 60,
      expires_at: new Date(now.getTime() + 60_000).toISOString(),
      language_code: "en-US",
      identify_language: false,
      media_encoding: "pcm",
      sample_rate: 16000,
      single_use: true,
      connect: { transport: "websocket", endpoint: null, credential: { in: "url" } },
    });
    expect(body).not.toHaveProperty("language_options");
    expect(body.session_id).toMatch(UUID);
    const url = new URL(body.url);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(EMULATOR_ENDPOINT);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      "language-code": "en-US",
      "media-encoding": "pcm",
      "sample-rate": "16000",
      "session-id": body.session_id,
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": `${awsAccount.accessKeyId}/${amzDate(now).slice(0, 8)}/us-east-1/transcribe/aws4_request`,
      "X-Amz-Date": amzDate(now),
      "X-Amz-Expires": "60",
      "X-Amz-SignedHeaders": "host",
      "X-Amz-Signature": body.key,
    });
    expect(body.key).toMatch(/^[0-9a-f]{64}$/);
    expect(await open(body.url)).toEqual({ status: 101, text: "" });
  });

  it("signs for AWS's own regional host and port by default, and calls no one", async () => {
    const requested: string[] = [];
    const app = createApp({
      now: () => new Date(),
      fetch: (input, init) => {
        const url = new Request(input).url;
        requested.push(url);
        // The identity provider's keys are the only thing a mint may fetch.
        if (!url.startsWith(`${emulatorUrl}/jwks.json`)) throw new Error(`unexpected fetch ${url}`);
        return fetch(input, init);
      },
    });
    const request = new Request(`https://broker.test/v1/keys/${VENDOR}`, {
      method: "POST",
      headers: { ...(await bearer(uniqueUser())), "content-type": "application/json" },
      body: "{}",
    });
    const ctx = createExecutionContext();
    const response = await app.fetch(request, brokerEnv({ AWS_TRANSCRIBE_BASE_URL: undefined }), ctx);
    await waitOnExecutionContext(ctx);
    const body = await minted(response);
    expect(body.url.startsWith(`${AWS_ENDPOINT}?`)).toBe(true);
    expect(requested.every((url) => url.startsWith(`${emulatorUrl}/jwks.json`))).toBe(true);
  });

  it("signs for the overridden host's region, e.g. a FIPS host", async () => {
    const host = "https://transcribestreaming-fips.us-west-2.amazonaws.com:8443";
    const body = await minted(await mintAt(new Date(), {}, { AWS_TRANSCRIBE_BASE_URL: host, AWS_REGION: "us-west-2" }));
    expect(body.url).toMatch(
      /^wss:\/\/transcribestreaming-fips\.us-west-2\.amazonaws\.com:8443\/stream-transcription-websocket\?/,
    );
    expect(new URL(body.url).searchParams.get("X-Amz-Credential")).toMatch(/\/us-west-2\/transcribe\/aws4_request$/);
  });

  it.each([1, 300])("signs X-Amz-Expires=%i, the TTL, and answers the matching expiry", async (ttl) => {
    const now = wholeSecond();
    const body = await minted(await mintAt(now, { ttl_seconds: ttl }));
    expect(new URL(body.url).searchParams.get("X-Amz-Expires")).toBe(String(ttl));
    expect(body.expires_at).toBe(new Date(now.getTime() + ttl * 1000).toISOString());
  });

  it("signs on the second the broker's clock is in, and counts the expiry from it: SigV4 has no milliseconds", async () => {
    const second = wholeSecond();
    const body = await minted(await mintAt(new Date(second.getTime() + 999), { ttl_seconds: 300 }));
    expect(new URL(body.url).searchParams.get("X-Amz-Date")).toBe(amzDate(second));
    expect(body.expires_at).toBe(new Date(second.getTime() + 300_000).toISOString());
    expect(await open(body.url)).toMatchObject({ status: 101 });
  });

  it.each([0, 301, 3600, 1.5, "60"])("refuses ttl_seconds %j: AWS caps X-Amz-Expires at 300", async (ttl) => {
    const error = await expectError(
      await mint(VENDOR, uniqueUser(), { body: { ttl_seconds: ttl } }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("ttl_seconds");
  });

  it("puts each option in its documented query parameter, and the emulator's AWS accepts them", async () => {
    const options = { language_code: "fr-FR", media_encoding: "flac", sample_rate: 48000 };
    const body = await minted(await mint(VENDOR, uniqueUser(), { body: options }));
    expect(body).toMatchObject({ ...options, identify_language: false });
    const query = new URL(body.url).searchParams;
    expect([query.get("language-code"), query.get("media-encoding"), query.get("sample-rate")]).toEqual([
      "fr-FR",
      "flac",
      "48000",
    ]);
    expect(await open(body.url)).toMatchObject({ status: 101 });
  });

  it("asks AWS to identify the language among language_options, without a language-code", async () => {
    const options = { identify_language: true, language_options: "en-US,es-US,de-DE", media_encoding: "ogg-opus" };
    const body = await minted(await mint(VENDOR, uniqueUser(), { body: options }));
    expect(body).toMatchObject(options);
    expect(body).not.toHaveProperty("language_code");
    const query = new URL(body.url).searchParams;
    expect(query.get("identify-language")).toBe("true");
    expect(query.get("language-options")).toBe("en-US,es-US,de-DE");
    expect(query.has("language-code")).toBe(false);
    expect(await open(body.url)).toMatchObject({ status: 101 });
  });

  it.each([
    ["language_code", "en"],
    ["language_code", "en-us"],
    ["language_code", "xx-XX"],
    ["media_encoding", "opus"],
    ["media_encoding", "wav"],
    ["sample_rate", 7999],
    ["sample_rate", 48001],
    ["sample_rate", 16000.5],
    ["sample_rate", "16000"],
    ["identify_language", "true"],
  ])("refuses %s %j", async (field, value) => {
    const error = await expectError(
      await mint(VENDOR, uniqueUser(), { body: { [field]: value } }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain(field);
  });

  it.each([
    ["one language", "en-US"],
    ["two dialects of one language", "en-US,en-GB"],
    ["an unsupported code", "en-US,xx-XX"],
    ["a space after the comma", "en-US, es-US"],
    ["nothing", ""],
  ])("refuses language_options with %s", async (_case, languageOptions) => {
    const body = { identify_language: true, language_options: languageOptions };
    const error = await expectError(await mint(VENDOR, uniqueUser(), { body }), 400, "invalid_request");
    expect(error.message).toContain("language_options must be two or more");
  });

  it.each([
    [
      "identify_language without language_options",
      { identify_language: true },
      "identify_language needs language_options",
    ],
    [
      "language_code with identify_language",
      { identify_language: true, language_options: "en-US,es-US", language_code: "en-US" },
      "language_code cannot be sent with identify_language",
    ],
    [
      "language_options without identify_language",
      { language_options: "en-US,es-US" },
      "language_options is only for identify_language",
    ],
  ])("refuses %s", async (_case, body, message) => {
    const error = await expectError(await mint(VENDOR, uniqueUser(), { body }), 400, "invalid_request");
    expect(error.message).toContain(message);
  });

  it("records the session id as vendor_key_id and the signature's fingerprint, never the signature, URL or secret", async () => {
    const { result, lines } = await captureLogs(async () => (await minted(await mint(VENDOR, uniqueUser()))) as Minted);
    const record = await auditRecord(result.issuance_id);
    expect(record).toMatchObject({
      vendor: VENDOR,
      outcome: "issued",
      ttl_seconds: 60,
      expires_at: result.expires_at,
      options: { language_code: "en-US", identify_language: false, media_encoding: "pcm", sample_rate: 16000 },
      // Nothing was sent to AWS.
      upstream_status: null,
      vendor_key_id: result.session_id,
      key_fingerprint: await keyFingerprint(result.key),
    });
    for (const text of [JSON.stringify(record), ...lines]) {
      expect(text).not.toContain(result.key);
      expect(text).not.toContain(new URL(result.url).search);
      expect(text).not.toContain(masterKeys[VENDOR]);
    }
    expect(JSON.stringify(result)).not.toContain(masterKeys[VENDOR]);
  });

  it("with temporary credentials, signs the session token into the URL, as AWS requires", async () => {
    const token = "IQoJb3JpZ2luX2VjEXAMPLE/session+token==";
    const body = await minted(await mintAt(new Date(), {}, { AWS_SESSION_TOKEN: token }));
    const query = new URL(body.url).searchParams;
    expect(query.get("X-Amz-Security-Token")).toBe(token);
    // Signed with it: the emulated account has no session, so its AWS refuses the token once the URL is otherwise valid.
    const refused = await open(body.url);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("The security token included in the request is invalid.");
  });

  it.each([
    ["AWS_ACCESS_KEY_ID unset", { AWS_ACCESS_KEY_ID: undefined }, 404, "vendor_not_configured", undefined],
    [
      "AWS_SECRET_ACCESS_KEY unset",
      { AWS_SECRET_ACCESS_KEY: undefined },
      500,
      "misconfigured",
      "AWS_SECRET_ACCESS_KEY",
    ],
    ["AWS_REGION unset", { AWS_REGION: undefined }, 500, "misconfigured", "AWS_REGION"],
    ["AWS_REGION not a region", { AWS_REGION: "us-east" }, 500, "misconfigured", "AWS_REGION"],
    ["AWS_REGION a host", { AWS_REGION: "evil.example/x" }, 500, "misconfigured", "AWS_REGION"],
    [
      "a plain-http host",
      { AWS_TRANSCRIBE_BASE_URL: "http://transcribe.example" },
      500,
      "misconfigured",
      "AWS_TRANSCRIBE_BASE_URL",
    ],
  ])("answers %s", async (_case, env, status, code, variable) => {
    const error = await expectError(await mint(VENDOR, uniqueUser(), { env: env as Partial<Env> }), status, code);
    if (variable) expect(error.message).toContain(variable);
    expect(error.message).not.toContain(masterKeys[VENDOR]);
  });

  it("lists AWS Transcribe with its TTL range and its connect", async () => {
    const response = await call("/v1/vendors", { headers: await bearer(uniqueUser()) });
    const { vendors } = (await response.json()) as { vendors: Record<string, unknown>[] };
    expect(vendors.find((v) => v.id === VENDOR)).toMatchObject({
      ttl_seconds: { min: 1, max: 300, default: 60 },
      connect: { transport: "websocket", endpoint: null, credential: { in: "url" } },
    });
  });
});

describe("POLICY on aws-transcribe options", () => {
  it("forces the language, and refuses another", async () => {
    const POLICY = JSON.stringify({ [VENDOR]: { options: { language_code: { force: "de-DE" } } } });
    const forced = await minted(await mint(VENDOR, uniqueUser(), { env: { POLICY } }));
    expect(new URL(forced.url).searchParams.get("language-code")).toBe("de-DE");
    await expectError(
      await mint(VENDOR, uniqueUser(), { body: { language_code: "en-US" }, env: { POLICY } }),
      403,
      "forbidden",
    );
  });

  it.each([
    ["forced", { force: "de-DE" }],
    ["allowed", { in: ["en-US", "de-DE"] }],
  ])("holds a language the policy %s against identifying the language instead", async (_kind, rule) => {
    const POLICY = JSON.stringify({ [VENDOR]: { options: { language_code: rule } } });
    const body = { identify_language: true, language_options: "en-US,es-US" };
    const error = await expectError(
      await mint(VENDOR, uniqueUser(), { body, env: { POLICY } }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("language_code");
  });
});

describe("the emulator's AWS refuses what AWS refuses", () => {
  it("a URL signed with another secret", async () => {
    const body = await minted(
      await mintAt(new Date(), {}, { AWS_SECRET_ACCESS_KEY: "another/secret+key/0123456789abcdefghij" }),
    );
    const refused = await open(body.url);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("The request signature we calculated does not match the signature you provided.");
  });

  it("a URL whose settings were changed after signing", async () => {
    const url = new URL((await minted(await mint(VENDOR, uniqueUser()))).url);
    url.searchParams.set("sample-rate", "8000");
    expect(await open(url.toString())).toMatchObject({ status: 403 });
  });

  it("an expired URL: the stream must start within X-Amz-Expires", async () => {
    const body = await minted(await mintAt(wholeSecond(-61_000), { ttl_seconds: 60 }));
    const refused = await open(body.url);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("Signature expired");
  });

  it("a second stream with the URL, by ending the first with a ConflictException: it is single use", async () => {
    const { url } = await minted(await mint(VENDOR, uniqueUser()));
    const first = (await fetch(url.replace(/^ws/, "http"), { headers: { Upgrade: "websocket" } })).webSocket;
    if (!first) throw new Error("the first stream did not open");
    first.accept();
    // workerd hands binary messages over as Blobs.
    const ended = new Promise<Blob | undefined>((resolve) => {
      let last: Blob | undefined;
      first.addEventListener("message", (event) => {
        last = event.data as unknown as Blob;
      });
      first.addEventListener("close", () => resolve(last));
    });
    expect(await open(url)).toMatchObject({ status: 101 });
    const message = (await (await ended)?.text()) ?? "";
    expect(message).toContain("ConflictException");
    expect(message).toContain("A new stream started with the same session ID. The current stream has been terminated.");
  });

  it("a URL dated more than AWS's 5 minutes of clock skew ahead", async () => {
    const body = await minted(await mintAt(new Date(Date.now() + 6 * 60_000)));
    const refused = await open(body.url);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("Signature not yet current");
  });

  it.each([
    ["an unsupported sample rate", { sample_rate: 4000 }, "sample-rate must be an integer from 8000 to 48000."],
    ["an unknown encoding", { media_encoding: "mp3" }, "media-encoding must be one of pcm, ogg-opus, flac."],
    ["an unsupported language", { language_code: "xx-XX" }, "Unsupported language-code: 'xx-XX'."],
    ["identify-language without options", { identify_language: true }, "identify-language needs two or more"],
  ])("%s, even when signed correctly, with 400 BadRequestException", async (_case, bad, message) => {
    // The broker never signs these: the adapter is called past the request's validation.
    const options = { identify_language: false, media_encoding: "pcm", sample_rate: 16000, ...bad };
    const { url } = await awsTranscribe.mint({
      settings: { ...awsAccount, sessionToken: undefined, baseUrl: emulatorUrl },
      options: options as Parameters<typeof awsTranscribe.mint>[0]["options"],
      ttlSeconds: 60,
      clientRef: "alice",
      callerIp: undefined,
      now: new Date(),
      send: () => Promise.reject(new Error("a broker-signed mint sends nothing")),
    });
    const refused = await open(url ?? "");
    expect(refused.status).toBe(400);
    expect(refused.text).toContain(message);
  });

  it("a URL scoped to a region the account's key is not used in", async () => {
    const body = await minted(await mintAt(new Date(), {}, { AWS_REGION: "eu-west-1" }));
    const refused = await open(body.url);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain("Credential should be scoped to a valid region, not 'eu-west-1'.");
  });

  it("another access key id", async () => {
    const body = await minted(await mintAt(new Date(), {}, { AWS_ACCESS_KEY_ID: "AKIAOTHERKEYEXAMPLE0" }));
    expect((await open(body.url)).text).toContain("The security token included in the request is invalid.");
  });

  it("an X-Amz-Expires over 300, and a URL without its signature", async () => {
    const url = new URL((await minted(await mint(VENDOR, uniqueUser()))).url);
    url.searchParams.set("X-Amz-Expires", "301");
    const tooLong = await open(url.toString());
    expect(tooLong.status).toBe(403);
    expect(tooLong.text).toContain("X-Amz-Expires must be an integer from 1 to 300");
    url.searchParams.delete("X-Amz-Signature");
    expect((await open(url.toString())).text).toContain("AWS query-string parameters must include");
  });
});
