import { AssemblyAI } from "assemblyai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import type { RecordedRequest } from "../../dev/emulator/types";
import { assemblyai } from "../../src/vendors/assemblyai";
import type { VendorRequest } from "../../src/vendors/upstream";

/**
 * AssemblyAI's own SDK is the ground truth for the wire format: its
 * `client.streaming.createTemporaryToken` goes to the emulator, and the
 * broker's adapter must build the same request, field by field.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "assemblyai")?.masterKey ?? "";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recorded(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "assemblyai");
}

/** What the SDK sent, as the emulator recorded it. */
async function sdkRequest(params: { expires_in_seconds: number; max_session_duration_seconds?: number }) {
  const before = (await recorded()).length;
  const client = new AssemblyAI({ apiKey: masterKey, streamingBaseUrl: emulator.url });
  const token = await client.streaming.createTemporaryToken(params);
  expect(token).toMatch(/^eyJ/);
  const requests = await recorded();
  expect(requests).toHaveLength(before + 1);
  return requests.at(-1) as RecordedRequest;
}

/** What the broker's adapter sends for the same TTL and option, captured before any network. */
async function brokerRequest(ttlSeconds: number, maxSession?: number): Promise<VendorRequest> {
  const sent: VendorRequest[] = [];
  await assemblyai.mint({
    settings: { apiKey: masterKey, baseUrl: emulator.url },
    options: { max_session_duration_seconds: maxSession },
    ttlSeconds,
    clientRef: "sdk-comparison",
    callerIp: undefined,
    now: new Date(),
    send: async (request) => {
      sent.push(request);
      return { status: 200, text: JSON.stringify({ token: "eyJ.canned.token", expires_in_seconds: ttlSeconds }) };
    },
  });
  expect(sent).toHaveLength(1);
  return sent[0] as VendorRequest;
}

function header(headers: Record<string, string>, name: string): string | undefined {
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The broker's request in the shape the emulator records, for a field-by-field comparison. */
function asRecorded(request: VendorRequest) {
  const url = new URL(request.url);
  return {
    method: request.method ?? "POST",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    authorization: header(request.headers, "authorization"),
    contentType: header(request.headers, "content-type"),
    body: request.body ?? "",
  };
}

function fieldsOf(request: RecordedRequest) {
  return {
    method: request.method,
    path: request.path,
    query: request.query,
    authorization: request.headers.authorization,
    contentType: request.headers["content-type"],
    body: request.body,
  };
}

describe("the broker's AssemblyAI token request matches the official SDK's", () => {
  it.each([
    ["a TTL alone", { expires_in_seconds: 60 }],
    ["a TTL and a session cap", { expires_in_seconds: 600, max_session_duration_seconds: 10_800 }],
    ["the shortest TTL and cap", { expires_in_seconds: 1, max_session_duration_seconds: 60 }],
  ])("with %s", async (_case, params: { expires_in_seconds: number; max_session_duration_seconds?: number }) => {
    const sdk = fieldsOf(await sdkRequest(params));
    const broker = asRecorded(await brokerRequest(params.expires_in_seconds, params.max_session_duration_seconds));
    // One assertion per field, so a difference names the field.
    expect(broker.method, "method").toBe(sdk.method);
    expect(broker.path, "path").toBe(sdk.path);
    expect(broker.query, "query").toEqual(sdk.query);
    expect(broker.authorization, "Authorization header (no scheme)").toBe(sdk.authorization);
    expect(broker.contentType, "Content-Type").toBe(sdk.contentType);
    expect(broker.body, "body").toEqual(sdk.body);
    // And what they agree on is what the API reference documents.
    expect(sdk).toMatchObject({ method: "GET", path: "/v3/token", authorization: masterKey });
  });

  it("reads the token from the same reply the SDK reads it from", async () => {
    const reply = await fetch(`${emulator.url}/v3/token?expires_in_seconds=60`, {
      headers: { authorization: masterKey },
    });
    const text = await reply.text();
    const minted = await assemblyai.mint({
      settings: { apiKey: masterKey, baseUrl: emulator.url },
      options: {},
      ttlSeconds: 60,
      clientRef: "sdk-comparison",
      callerIp: undefined,
      now: new Date(),
      send: async () => ({ status: reply.status, text }),
    });
    expect(minted.key).toBe((JSON.parse(text) as { token: string }).token);
  });
});
