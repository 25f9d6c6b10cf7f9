import { DeepgramClient } from "@deepgram/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { deepgram } from "../../src/vendors/deepgram";
import type { VendorRequest } from "../../src/vendors/upstream";

/**
 * Deepgram's own SDK is the ground truth for the wire format: its
 * `auth.v1.tokens.grant` and the broker's adapter must send Deepgram the same
 * request, and a token granted through the broker's emulator must open the
 * SDK's own live client.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "deepgram")?.masterKey ?? "";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recordedGrants(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "deepgram");
}

/** The request the broker's adapter builds, captured before it would be sent. */
async function brokerRequest(ttlSeconds: number): Promise<VendorRequest> {
  let sent: VendorRequest | undefined;
  await deepgram.mint({
    settings: { apiKey: masterKey, baseUrl: emulator.url },
    options: {},
    ttlSeconds,
    clientRef: "sdk-comparison",
    callerIp: undefined,
    now: new Date(),
    send: async (request) => {
      sent = request;
      return { status: 200, text: JSON.stringify({ access_token: "a.b.c", expires_in: ttlSeconds }) };
    },
  });
  if (!sent) throw new Error("the adapter sent nothing");
  return sent;
}

/** Header names lower-cased, as the emulator records them. */
function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

describe("the broker's Deepgram grant matches @deepgram/sdk's auth.v1.tokens.grant", () => {
  it.each([1, 60, 3600])("sends the same request for ttl_seconds %i", async (ttlSeconds) => {
    const client = new DeepgramClient({ apiKey: masterKey, baseUrl: emulator.url, maxRetries: 0 });
    const before = (await recordedGrants()).length;
    const granted = await client.auth.v1.tokens.grant({ ttl_seconds: ttlSeconds });
    expect(granted.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(granted.expires_in).toBe(ttlSeconds);
    const fromSdk = (await recordedGrants()).slice(before);
    expect(fromSdk).toHaveLength(1);
    const sdk = fromSdk[0] as RecordedRequest;

    const broker = await brokerRequest(ttlSeconds);
    const url = new URL(broker.url);
    const headers = lowerCased(broker.headers);

    expect(broker.method ?? "POST").toBe(sdk.method);
    expect(url.pathname).toBe(sdk.path);
    expect(Object.fromEntries(url.searchParams)).toEqual(sdk.query);
    expect(headers.authorization).toBe(sdk.headers.authorization);
    expect(headers.authorization).toBe(`Token ${masterKey}`);
    expect(headers["content-type"]).toBe(sdk.headers["content-type"]);
    expect(JSON.parse(broker.body ?? "")).toEqual(sdk.body);
  });
});

describe("a token the emulator grants, used by @deepgram/sdk's live client", () => {
  async function grant(ttlSeconds: number): Promise<string> {
    const client = new DeepgramClient({ apiKey: masterKey, baseUrl: emulator.url, maxRetries: 0 });
    return (await client.auth.v1.tokens.grant({ ttl_seconds: ttlSeconds })).access_token;
  }

  /** Opens `/v1/listen` the SDK's way (Node: `Authorization: Bearer <token>`); the transcript, or null if refused. */
  async function listen(accessToken: string): Promise<string | null> {
    const client = new DeepgramClient({
      accessToken,
      environment: { base: emulator.url, production: emulator.url.replace("http", "ws"), agent: "", agentRest: "" },
      reconnect: false,
    });
    const socket = await client.listen.v1.connect({ model: "nova-3", reconnectAttempts: 0 });
    const words: string[] = [];
    return new Promise((resolve) => {
      // A refused handshake (HTTP 401) never opens; the SDK reports it as an error and a close.
      let opened = false;
      socket.on("message", (message) => {
        if (message.type === "Results") words.push(message.channel.alternatives[0]?.transcript ?? "");
      });
      socket.on("error", () => {});
      socket.on("close", () => resolve(opened ? words.join(" ") : null));
      socket.on("open", () => {
        opened = true;
        socket.sendMedia(new ArrayBuffer(3200));
      });
      socket.connect();
    });
  }

  it("streams a transcript, and again with the same token", async () => {
    const token = await grant(60);
    expect(await listen(token)).toBe("Hello from the speech emulator.");
    expect(await listen(token)).toBe("Hello from the speech emulator.");
  });

  it("is refused once the token has expired", async () => {
    const token = await grant(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await listen(token)).toBeNull();
  });
});
