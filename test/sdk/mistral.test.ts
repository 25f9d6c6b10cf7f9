import { Mistral } from "@mistralai/mistralai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { MISTRAL_MODELS, mistral } from "../../src/vendors/mistral";
import type { VendorRequest } from "../../src/vendors/upstream";

/**
 * Mistral's own SDK is the ground truth for the wire format: its
 * `realtime.sessions.create` and the broker's adapter must send Mistral the same
 * request: path, `Authorization: Bearer`, and the body
 * `{purpose: "realtime", model, ttl_seconds}`, and read the same answer.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "mistral")?.masterKey ?? "";
const MODEL = MISTRAL_MODELS[0];

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recordedCreates(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "mistral");
}

/** The request the broker's adapter builds, captured before it would be sent. */
async function brokerRequest(ttlSeconds: number): Promise<VendorRequest> {
  let sent: VendorRequest | undefined;
  await mistral.mint({
    settings: { apiKey: masterKey, baseUrl: emulator.url },
    options: { model: MODEL },
    ttlSeconds,
    clientRef: "sdk-comparison",
    callerIp: undefined,
    now: new Date(),
    send: async (request) => {
      sent = request;
      const expiresAt = new Date().toISOString();
      const answer = { client_secret: { value: "rt_x", expires_at: expiresAt } };
      return { status: 201, text: JSON.stringify(answer) };
    },
  });
  if (!sent) throw new Error("the adapter sent nothing");
  return sent;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

describe("the broker's Mistral mint matches @mistralai/mistralai's realtime.sessions.create", () => {
  it.each([60, 300, 3600])("sends the same request for ttl_seconds %i", async (ttlSeconds) => {
    const client = new Mistral({ apiKey: masterKey, serverURL: emulator.url });
    const before = (await recordedCreates()).length;
    const created = await client.realtime.sessions.create({ purpose: "realtime", model: MODEL, ttlSeconds });
    // The SDK reads the emulator's answer as Mistral's documented client.session.
    expect(created.object).toBe("client.session");
    expect(created.clientSecret.value).toMatch(/^rt_/);
    const fromSdk = (await recordedCreates()).slice(before);
    expect(fromSdk).toHaveLength(1);
    const sdk = fromSdk[0] as RecordedRequest;

    const broker = await brokerRequest(ttlSeconds);
    const url = new URL(broker.url);
    const headers = lowerCased(broker.headers);

    expect(broker.method ?? "POST").toBe(sdk.method);
    expect(url.pathname).toBe(sdk.path);
    expect(Object.fromEntries(url.searchParams)).toEqual(sdk.query);
    expect(headers.authorization).toBe(sdk.headers.authorization);
    expect(headers.authorization).toBe(`Bearer ${masterKey}`);
    expect(headers["content-type"]).toBe(sdk.headers["content-type"]);
    expect(headers.accept).toBe(sdk.headers.accept);
    expect(JSON.parse(broker.body ?? "")).toEqual(sdk.body);
  });
});
