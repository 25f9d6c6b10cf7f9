import { GladiaClient } from "@gladiaio/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { gladia } from "../../src/vendors/gladia";
import type { VendorRequest } from "../../src/vendors/upstream";

/**
 * Gladia's own SDK is the ground truth for the wire format: its live session
 * creation (`liveV2().startSession`, `POST /v2/live`) and the broker's adapter
 * must send Gladia the same request: path, `x-gladia-key`, and the body with the
 * audio settings, `language_config.languages`, `custom_metadata` and the
 * `messages_config.receive_acknowledgments: true` the SDK always adds. The SDK's
 * own `x-gladia-version` header names the SDK and is not compared.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "gladia")?.masterKey ?? "";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recordedCreates(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "gladia");
}

type Options = Parameters<typeof gladia.mint>[0]["options"];

/** The request the broker's adapter builds, captured before it would be sent. */
async function brokerRequest(options: Options, clientRef: string): Promise<VendorRequest> {
  let sent: VendorRequest | undefined;
  await gladia.mint({
    settings: { apiKey: masterKey, baseUrl: emulator.url },
    options,
    ttlSeconds: 300,
    clientRef,
    callerIp: undefined,
    now: new Date(),
    send: async (request) => {
      sent = request;
      const url = `${emulator.url.replace(/^http/, "ws")}/v2/live?token=tok`;
      return { status: 201, text: JSON.stringify({ id: "s", created_at: "", url }) };
    },
  });
  if (!sent) throw new Error("the adapter sent nothing");
  return sent;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

const DEFAULTS = { encoding: "wav/pcm", bit_depth: 16, sample_rate: 16000, channels: 1, model: "solaria-1" } as const;

describe("the broker's Gladia mint matches @gladiaio/sdk's live session creation", () => {
  it.each([
    ["the defaults", DEFAULTS, undefined],
    [
      "μ-law 8 kHz stereo in two languages",
      { ...DEFAULTS, encoding: "wav/ulaw", bit_depth: 8, sample_rate: 8000, channels: 2 },
      "en,fr",
    ],
    ["48 kHz 32-bit PCM in German", { ...DEFAULTS, sample_rate: 48000, bit_depth: 32 }, "de"],
  ] as const)("sends the same request for %s", async (_case, audio, languages) => {
    const client = new GladiaClient({ apiKey: masterKey, apiUrl: emulator.url, httpRetry: { maxAttempts: 1 } });
    const before = (await recordedCreates()).length;
    const session = client.liveV2().startSession({
      ...audio,
      ...(languages ? { language_config: { languages: languages.split(",") as ["en"] } } : {}),
      custom_metadata: { client_ref: "sdk-comparison" },
    });
    // Ended once its socket is open: closing a socket still connecting throws in `ws`.
    await new Promise<void>((resolve) => session.on("connected", () => resolve()));
    expect(await session.getSessionId()).toMatch(/^[0-9a-f-]{36}$/);
    session.endSession();
    const fromSdk = (await recordedCreates()).slice(before);
    expect(fromSdk).toHaveLength(1);
    const sdk = fromSdk[0] as RecordedRequest;

    const broker = await brokerRequest({ ...audio, languages } as Options, "sdk-comparison");
    const url = new URL(broker.url);
    const headers = lowerCased(broker.headers);

    expect(broker.method ?? "POST").toBe(sdk.method);
    expect(url.pathname).toBe(sdk.path);
    expect(Object.fromEntries(url.searchParams)).toEqual(sdk.query);
    expect(headers["x-gladia-key"]).toBe(sdk.headers["x-gladia-key"]);
    expect(headers["x-gladia-key"]).toBe(masterKey);
    expect(headers["content-type"]).toBe(sdk.headers["content-type"]);
    expect(JSON.parse(broker.body ?? "")).toEqual(sdk.body);
  });
});
