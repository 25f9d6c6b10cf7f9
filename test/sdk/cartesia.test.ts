import Cartesia from "@cartesia/cartesia-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { CARTESIA_DEFAULT_VERSION, cartesia } from "../../src/vendors/cartesia";
import type { VendorRequest } from "../../src/vendors/upstream";

/**
 * Cartesia's own SDK is the ground truth for the wire format: its
 * `accessToken.create` and the broker's adapter must send Cartesia the same
 * request: path, `Authorization: Bearer`, the `Cartesia-Version` the SDK pins,
 * and the body `{grants: {tts, stt, agent}, expires_in}`.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "cartesia")?.masterKey ?? "";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recordedCreates(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "cartesia");
}

type Grants = (typeof cartesia.fields.grants)["_zod"]["output"];

/** The request the broker's adapter builds, captured before it would be sent. */
async function brokerRequest(grants: Readonly<Grants>, ttlSeconds: number): Promise<VendorRequest> {
  let sent: VendorRequest | undefined;
  await cartesia.mint({
    settings: { apiKey: masterKey, baseUrl: emulator.url, version: CARTESIA_DEFAULT_VERSION },
    options: { grants: [...grants] },
    ttlSeconds,
    clientRef: "sdk-comparison",
    callerIp: undefined,
    now: new Date(),
    send: async (request) => {
      sent = request;
      return { status: 200, text: JSON.stringify({ token: "tok" }) };
    },
  });
  if (!sent) throw new Error("the adapter sent nothing");
  return sent;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

describe("the broker's Cartesia mint matches @cartesia/cartesia-js's accessToken.create", () => {
  it.each([
    [["stt"], { tts: false, stt: true, agent: false }, 600],
    [["tts", "stt", "agent"], { tts: true, stt: true, agent: true }, 60],
    [["tts"], { tts: true, stt: false, agent: false }, 3600],
  ] as const)("sends the same request for grants %j", async (grants, sdkGrants, ttlSeconds) => {
    const client = new Cartesia({ apiKey: masterKey, baseURL: emulator.url, maxRetries: 0 });
    const before = (await recordedCreates()).length;
    const created = await client.accessToken.create({ grants: sdkGrants, expires_in: ttlSeconds });
    expect(created.token).toMatch(/^sk_car_at_/);
    const fromSdk = (await recordedCreates()).slice(before);
    expect(fromSdk).toHaveLength(1);
    const sdk = fromSdk[0] as RecordedRequest;

    const broker = await brokerRequest(grants, ttlSeconds);
    const url = new URL(broker.url);
    const headers = lowerCased(broker.headers);

    expect(broker.method ?? "POST").toBe(sdk.method);
    expect(url.pathname).toBe(sdk.path);
    expect(Object.fromEntries(url.searchParams)).toEqual(sdk.query);
    expect(headers.authorization).toBe(sdk.headers.authorization);
    expect(headers.authorization).toBe(`Bearer ${masterKey}`);
    // The SDK pins its version; the broker's default must be the same date.
    expect(headers["cartesia-version"]).toBe(sdk.headers["cartesia-version"]);
    expect(headers["content-type"]).toBe(sdk.headers["content-type"]);
    expect(headers.accept).toBe(sdk.headers.accept);
    expect(JSON.parse(broker.body ?? "")).toEqual(sdk.body);
  });
});
