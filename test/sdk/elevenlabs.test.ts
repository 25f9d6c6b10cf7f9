import { AudioFormat, ElevenLabsClient, RealtimeEvents } from "@elevenlabs/elevenlabs-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import type { RecordedRequest } from "../../dev/emulator/types";
import { elevenlabs } from "../../src/vendors/elevenlabs";
import type { VendorRequest } from "../../src/vendors/upstream";

/**
 * ElevenLabs' own SDK is the ground truth for the wire format: its
 * `tokens.singleUse.create` and `conversationalAi.conversations.getSignedUrl`
 * go to the emulator, and the broker's adapter must build the same requests,
 * field by field.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "elevenlabs")?.masterKey ?? "";
const AGENT = "agent_3701k3ttaq12ewp8b7qv5rfyszkz";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

const sdk = () => new ElevenLabsClient({ apiKey: masterKey, baseUrl: emulator.url, maxRetries: 0 });

async function recorded(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "elevenlabs");
}

/** What the SDK sent for `call`, as the emulator recorded it. */
async function sdkRequest(call: () => Promise<unknown>): Promise<RecordedRequest> {
  const before = (await recorded()).length;
  await call();
  const requests = await recorded();
  expect(requests).toHaveLength(before + 1);
  return requests.at(-1) as RecordedRequest;
}

/** What the broker's adapter sends for the same options, captured before any network, with a canned reply. */
async function brokerRequest(options: Parameters<typeof elevenlabs.mint>[0]["options"]): Promise<VendorRequest> {
  const sent: VendorRequest[] = [];
  const reply =
    options.kind === "agent"
      ? {
          // On the host the adapter asked, which it checks.
          signed_url: `${emulator.url.replace(/^http/, "ws")}/v1/convai/conversation?agent_id=${AGENT}&conversation_signature=x`,
        }
      : { token: "sutkn_canned" };
  await elevenlabs.mint({
    settings: { apiKey: masterKey, baseUrl: emulator.url },
    options,
    ttlSeconds: 900,
    clientRef: "sdk-comparison",
    callerIp: undefined,
    now: new Date(),
    send: async (request) => {
      sent.push(request);
      return { status: 200, text: JSON.stringify(reply) };
    },
  });
  expect(sent).toHaveLength(1);
  return sent[0] as VendorRequest;
}

function header(headers: Record<string, string>, name: string): string | undefined {
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The fields both requests must agree on. */
function wire(request: {
  method: string;
  url: URL;
  headers: (name: string) => string | undefined;
  body: string | undefined;
}) {
  return {
    method: request.method,
    path: request.url.pathname,
    query: Object.fromEntries(request.url.searchParams),
    "xi-api-key": request.headers("xi-api-key"),
    authorization: request.headers("authorization"),
    "content-type": request.headers("content-type"),
    body: request.body === undefined || request.body === "" ? undefined : JSON.parse(request.body),
  };
}

function fromSdk(recorded: RecordedRequest) {
  const url = new URL(`${emulator.url}${recorded.path}`);
  for (const [name, value] of Object.entries(recorded.query)) url.searchParams.set(name, value);
  return wire({
    method: recorded.method,
    url,
    headers: (name) => recorded.headers[name] as string | undefined,
    body: typeof recorded.body === "string" ? recorded.body : JSON.stringify(recorded.body),
  });
}

function fromBroker(request: VendorRequest) {
  return wire({
    method: request.method ?? "POST",
    url: new URL(request.url),
    headers: (name) => header(request.headers, name),
    body: request.body,
  });
}

describe("the broker's ElevenLabs requests match @elevenlabs/elevenlabs-js", () => {
  it.each(["realtime_scribe", "tts_websocket"] as const)(
    "single-use token %s: same method, path, query, key header, content type and body",
    async (kind) => {
      const fromSdkCall = await sdkRequest(async () => {
        const created = await sdk().tokens.singleUse.create(kind);
        expect(created.token).toMatch(/^sutkn_/);
      });
      const sdkWire = fromSdk(fromSdkCall);
      expect(sdkWire).toEqual({
        method: "POST",
        path: `/v1/single-use-token/${kind}`,
        query: {},
        "xi-api-key": masterKey,
        authorization: undefined,
        "content-type": undefined,
        body: undefined,
      });
      expect(fromBroker(await brokerRequest({ kind }))).toEqual(sdkWire);
    },
  );

  it("agent signed URL: same method, path, query, key header, content type and body", async () => {
    const fromSdkCall = await sdkRequest(async () => {
      const signed = await sdk().conversationalAi.conversations.getSignedUrl({ agentId: AGENT });
      expect(new URL(signed.signedUrl).searchParams.get("conversation_signature")).toMatch(/^cvtkn_/);
    });
    const sdkWire = fromSdk(fromSdkCall);
    expect(sdkWire).toEqual({
      method: "GET",
      path: "/v1/convai/conversation/get-signed-url",
      query: { agent_id: AGENT },
      "xi-api-key": masterKey,
      authorization: undefined,
      "content-type": undefined,
      body: undefined,
    });
    expect(fromBroker(await brokerRequest({ kind: "agent", agent_id: AGENT }))).toEqual(sdkWire);
  });

  it("the SDK's real-time speech to text accepts a single-use token minted through the adapter's request", async () => {
    // Mint exactly as the broker would, through the adapter and the emulator, then connect as the SDK does.
    const minted = await elevenlabs.mint({
      settings: { apiKey: masterKey, baseUrl: emulator.url },
      options: { kind: "realtime_scribe" },
      ttlSeconds: 900,
      clientRef: "sdk-comparison",
      callerIp: undefined,
      now: new Date(),
      send: async (request) => {
        const response = await fetch(request.url, { method: request.method ?? "POST", headers: request.headers });
        return { status: response.status, text: await response.text() };
      },
    });
    // The client insists on a key, but with a token the SDK connects without sending it.
    const client = new ElevenLabsClient({ apiKey: "never-sent-with-a-token", baseUrl: emulator.url });
    const connection = await client.speechToText.realtime.connect({
      modelId: "scribe_v2_realtime",
      token: minted.key,
      audioFormat: AudioFormat.PCM_16000,
      sampleRate: 16000,
    });
    const text = await new Promise<string>((resolve, reject) => {
      connection.on(RealtimeEvents.SESSION_STARTED, () => connection.send({ audioBase64: "AAAA", commit: true }));
      connection.on(RealtimeEvents.COMMITTED_TRANSCRIPT, (data: { text: string }) => resolve(data.text));
      connection.on(RealtimeEvents.AUTH_ERROR, (data: { error: string }) => reject(new Error(data.error)));
    });
    expect(text).toBe("Hello from the speech emulator.");
    connection.close();
  });
});
