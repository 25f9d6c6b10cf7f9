import { GoogleGenAI, type LiveServerMessage } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { gemini } from "../../src/vendors/gemini";
import type { VendorRequest } from "../../src/vendors/upstream";

/**
 * @google/genai is the ground truth for the wire format: its
 * `ai.authTokens.create` (on `v1alpha`) and the broker's adapter must send
 * Gemini the same request, and a token created through the emulator must open
 * the SDK's own Live client, which takes it as its `apiKey`.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "gemini")?.masterKey ?? "";
const MODEL = "gemini-live-2.5-flash-preview";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recordedMints(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "gemini");
}

interface Options {
  new_session_seconds: number;
  uses: number;
  model: string | undefined;
}

/** The request the broker's adapter builds, captured before it would be sent. */
async function brokerRequest(options: Options, ttlSeconds: number, now: Date): Promise<VendorRequest> {
  let sent: VendorRequest | undefined;
  await gemini.mint({
    settings: { apiKey: masterKey, baseUrl: emulator.url },
    options,
    ttlSeconds,
    clientRef: "sdk-comparison",
    callerIp: undefined,
    now,
    send: async (request) => {
      sent = request;
      return { status: 200, text: JSON.stringify({ name: "auth_tokens/x" }) };
    },
  });
  if (!sent) throw new Error("the adapter sent nothing");
  return sent;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

const sdkClient = (apiKey: string) =>
  new GoogleGenAI({ apiKey, httpOptions: { apiVersion: "v1alpha", baseUrl: emulator.url } });

/** The SDK's call for the same options: times as the broker computes them, a model locked as the broker locks it. */
async function sdkCreate(options: Options, ttlSeconds: number, now: Date) {
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();
  return sdkClient(masterKey).authTokens.create({
    config: {
      expireTime: at(ttlSeconds),
      newSessionExpireTime: at(options.new_session_seconds),
      uses: options.uses,
      ...(options.model !== undefined && {
        liveConnectConstraints: { model: options.model },
        lockAdditionalFields: [],
      }),
    },
  });
}

describe("the broker's Gemini token request matches @google/genai's authTokens.create", () => {
  it.each<[string, Options, number]>([
    ["the defaults", { new_session_seconds: 60, uses: 1, model: undefined }, 1800],
    ["every option", { new_session_seconds: 120, uses: 3, model: MODEL }, 600],
    ["the limits", { new_session_seconds: 10, uses: 10, model: MODEL }, 3600],
  ])("sends the same request for %s", async (_case, options, ttlSeconds) => {
    const now = new Date();
    const before = (await recordedMints()).length;
    const token = await sdkCreate(options, ttlSeconds, now);
    expect(token.name).toMatch(/^auth_tokens\//);
    const fromSdk = (await recordedMints()).slice(before);
    expect(fromSdk).toHaveLength(1);
    const sdk = fromSdk[0] as RecordedRequest;

    const broker = await brokerRequest(options, ttlSeconds, now);
    const url = new URL(broker.url);
    const headers = lowerCased(broker.headers);

    expect(broker.method ?? "POST").toBe(sdk.method);
    expect(url.pathname).toBe(sdk.path);
    expect(url.pathname).toBe("/v1alpha/auth_tokens");
    expect(Object.fromEntries(url.searchParams)).toEqual(sdk.query);
    expect(headers["x-goog-api-key"]).toBe(sdk.headers["x-goog-api-key"]);
    expect(headers["x-goog-api-key"]).toBe(masterKey);
    expect(headers["content-type"]).toBe(sdk.headers["content-type"]);
    // The same fields and values, and the same order: the SDK's converter order.
    expect(broker.body).toBe(JSON.stringify(sdk.body));
  });
});

describe("a token the emulator creates, used by @google/genai's Live client", () => {
  /** One Live session the SDK's way; the transcript, or the close code when the socket is refused. */
  async function liveSession(token: string, model = MODEL): Promise<string | number> {
    const words: string[] = [];
    let closed: (value: string | number) => void = () => {};
    const done = new Promise<string | number>((resolve) => (closed = resolve));
    let setup = false;
    // connect resolves only once the setup is complete, so a refused session is told by its close alone.
    void sdkClient(token)
      .live.connect({
        model,
        callbacks: {
          onmessage: (message: LiveServerMessage) => {
            if (message.setupComplete) setup = true;
            const text = message.serverContent?.inputTranscription?.text;
            if (text) words.push(text);
          },
          onclose: (event: CloseEvent) => closed(setup ? words.join(" ") : event.code),
        },
      })
      .then((session) => session.sendRealtimeInput({ audio: { data: "AAAA", mimeType: "audio/pcm;rate=16000" } }));
    return done;
  }

  it("opens the Constrained method with access_token and streams, for as many sessions as uses", async () => {
    const { name } = await sdkCreate({ new_session_seconds: 60, uses: 2, model: undefined }, 600, new Date());
    expect(await liveSession(name as string)).toBe("Hello from the speech emulator.");
    expect(await liveSession(name as string)).toBe("Hello from the speech emulator.");
    expect(await liveSession(name as string)).toBe(1008);
  });

  it("holds the session to the model the token locks", async () => {
    const { name } = await sdkCreate({ new_session_seconds: 60, uses: 2, model: MODEL }, 600, new Date());
    expect(await liveSession(name as string, "gemini-2.0-flash-live-001")).toBe(1008);
    expect(await liveSession(name as string)).toBe("Hello from the speech emulator.");
  });
});
