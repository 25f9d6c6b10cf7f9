import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { openai } from "../../src/vendors/openai";
import type { VendorRequest } from "../../src/vendors/upstream";

/**
 * The official `openai` SDK is the ground truth for the wire format: its own
 * `client.realtime.clientSecrets.create()` and the broker's adapter must send
 * the emulator the same request, field by field.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "openai")?.masterKey ?? "";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recorded(): Promise<RecordedRequest[]> {
  return (await (await fetch(`${emulator.url}/__emulator/requests`)).json()) as RecordedRequest[];
}

/** The request the SDK sent, as the emulator recorded it, and what the emulator answered the SDK. */
async function sdkRequest(params: OpenAI.Realtime.ClientSecretCreateParams) {
  const before = (await recorded()).length;
  // The SDK's base URL includes /v1; the broker's OPENAI_BASE_URL does not.
  const client = new OpenAI({ apiKey: masterKey, baseURL: `${emulator.url}/v1`, maxRetries: 0 });
  const created = await client.realtime.clientSecrets.create(params);
  const requests = (await recorded()).slice(before);
  expect(requests).toHaveLength(1);
  return { request: requests[0] as RecordedRequest, created };
}

/** The request the broker's adapter builds, without sending it anywhere. */
async function brokerRequest(options: { session_type: "realtime" | "transcription"; model?: string }, ttl: number) {
  let sent: VendorRequest | undefined;
  await openai.mint({
    settings: { apiKey: masterKey, baseUrl: emulator.url },
    options,
    ttlSeconds: ttl,
    clientRef: "alice",
    callerIp: undefined,
    now: new Date(),
    send: async (request) => {
      sent = request;
      return { status: 200, text: JSON.stringify({ value: "ek_canned", expires_at: 1_800_000_000 }) };
    },
  });
  if (!sent) throw new Error("the adapter sent nothing");
  const url = new URL(sent.url);
  const headers = Object.fromEntries(Object.entries(sent.headers).map(([name, value]) => [name.toLowerCase(), value]));
  return {
    method: sent.method ?? "POST",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    authorization: headers.authorization,
    contentType: headers["content-type"],
    accept: headers.accept,
    body: JSON.parse(sent.body ?? "null") as unknown,
  };
}

const CASES: {
  name: string;
  sdk: OpenAI.Realtime.ClientSecretCreateParams;
  broker: { session_type: "realtime" | "transcription"; model?: string };
  ttl: number;
}[] = [
  {
    name: "a realtime session with the default TTL",
    sdk: { expires_after: { anchor: "created_at", seconds: 600 }, session: { type: "realtime" } },
    broker: { session_type: "realtime" },
    ttl: 600,
  },
  {
    name: "a realtime session with a model, at the shortest TTL",
    sdk: { expires_after: { anchor: "created_at", seconds: 10 }, session: { type: "realtime", model: "gpt-realtime" } },
    broker: { session_type: "realtime", model: "gpt-realtime" },
    ttl: 10,
  },
  {
    name: "a transcription session with its model, at the longest TTL",
    sdk: {
      expires_after: { anchor: "created_at", seconds: 7200 },
      session: { type: "transcription", audio: { input: { transcription: { model: "gpt-4o-transcribe" } } } },
    },
    broker: { session_type: "transcription", model: "gpt-4o-transcribe" },
    ttl: 7200,
  },
  {
    name: "a transcription session without a model",
    sdk: { expires_after: { anchor: "created_at", seconds: 300 }, session: { type: "transcription" } },
    broker: { session_type: "transcription" },
    ttl: 300,
  },
];

describe("openai SDK client.realtime.clientSecrets.create and the broker send the same request", () => {
  it.each(CASES)("$name", async ({ sdk, broker, ttl }) => {
    const { request, created } = await sdkRequest(sdk);
    // The emulator accepted the SDK's request, so it is one OpenAI takes.
    expect(created.value).toMatch(/^ek_/);
    const ours = await brokerRequest(broker, ttl);

    expect(ours.method).toBe(request.method);
    expect(ours.path).toBe(request.path);
    expect(ours.query).toEqual(request.query);
    expect(ours.authorization).toBe(request.headers.authorization);
    expect(ours.authorization).toBe(`Bearer ${masterKey}`);
    expect(ours.contentType).toBe(request.headers["content-type"]);
    expect(ours.accept).toBe(request.headers.accept);
    expect(ours.body).toEqual(request.body);
  });

  it("reads the SDK's own answer shape: value is the key, expires_at epoch seconds", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { created } = await sdkRequest({ expires_after: { anchor: "created_at", seconds: 60 } });
    expect(created.expires_at).toBeGreaterThanOrEqual(before + 60);
    expect(created.expires_at).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
    const minted = await openai.mint({
      settings: { apiKey: masterKey, baseUrl: emulator.url },
      options: { session_type: "realtime" },
      ttlSeconds: 60,
      clientRef: "alice",
      callerIp: undefined,
      now: new Date(),
      send: async () => ({ status: 200, text: JSON.stringify(created) }),
    });
    expect(minted.key).toBe(created.value);
    expect(minted.expiresAt?.getTime()).toBe(created.expires_at * 1000);
  });
});
