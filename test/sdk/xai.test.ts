import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { xai } from "../../src/vendors/xai";

/**
 * xAI publishes no JavaScript SDK with a client-secret call (its official SDK,
 * `xai-sdk`, is Python and gRPC, and has none either), so the broker's request
 * is compared, field by field, with the one xAI documents in "Ephemeral Tokens"
 * (docs.x.ai/developers/model-capabilities/audio/ephemeral-tokens): `curl
 * https://api.x.ai/v1/realtime/client_secrets -H "Content-Type: application/json"
 * -H "Authorization: Bearer $XAI_API_KEY" --data '{"expires_after": {"seconds": 300}}'`.
 * Then the secret opens the Voice Agent WebSocket as xAI's REST reference says a
 * browser presents it: the subprotocol `xai-client-secret.<secret>`.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "xai")?.masterKey ?? "";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recordedIssues(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "xai");
}

async function recorded(url: string, init: RequestInit) {
  const before = (await recordedIssues()).length;
  const response = await fetch(url, init);
  const text = await response.text();
  const after = (await recordedIssues()).slice(before);
  expect(after).toHaveLength(1);
  return { status: response.status, text, request: after[0] as RecordedRequest };
}

/** The handshake's outcome for these subprotocols and headers: the status, and the protocol the server picked. */
function handshake(protocols: string[], headers: Record<string, string> = {}) {
  return new Promise<{ status: number; protocol?: string }>((resolve) => {
    const socket = new WebSocket(`${emulator.url.replace("http", "ws")}/v1/realtime`, protocols, { headers });
    socket.on("open", () => {
      resolve({ status: 101, protocol: socket.protocol });
      socket.close(1000);
    });
    socket.on("unexpected-response", (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      socket.terminate();
    });
    socket.on("error", () => resolve({ status: 0 }));
  });
}

describe("the broker's xAI client-secret request matches xAI's documented call", () => {
  it("sends what the documented curl sends: POST, Bearer, JSON and expires_after.seconds alone", async () => {
    const documented = await recorded(`${emulator.url}/v1/realtime/client_secrets`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${masterKey}` },
      body: JSON.stringify({ expires_after: { seconds: 300 } }),
    });
    let broker: RecordedRequest | undefined;
    const before = Date.now();
    const minted = await xai.mint({
      settings: { apiKey: masterKey, baseUrl: emulator.url },
      options: {},
      ttlSeconds: 300,
      clientRef: "sdk-comparison",
      callerIp: undefined,
      now: new Date(),
      send: async (request) => {
        const reply = await recorded(request.url, {
          method: request.method ?? "POST",
          headers: request.headers,
          body: request.body,
        });
        broker = reply.request;
        return { status: reply.status, text: reply.text };
      },
    });
    expect(documented.status).toBe(200);
    const sdk = documented.request;
    const ours = broker as RecordedRequest;
    expect(ours.method).toBe(sdk.method);
    expect(ours.path).toBe(sdk.path);
    expect(ours.query).toEqual(sdk.query);
    expect(ours.headers.authorization).toBe(sdk.headers.authorization);
    expect(ours.headers["content-type"]).toBe(sdk.headers["content-type"]);
    expect(ours.body).toEqual(sdk.body);
    // The answer's shape is the documented one, {value, expires_at}, and the broker keeps xAI's expiry.
    expect(Object.keys(JSON.parse(documented.text) as object)).toEqual(["value", "expires_at"]);
    expect(minted.expiresAt?.getTime()).toBeGreaterThan(before + 298_000);
    expect(minted.expiresAt?.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
  });
});

describe("a secret at the Voice Agent WebSocket, presented as xAI documents for browsers", () => {
  async function secret(): Promise<string> {
    const response = await fetch(`${emulator.url}/v1/realtime/client_secrets`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${masterKey}` },
      body: JSON.stringify({ expires_after: { seconds: 60 } }),
    });
    return ((await response.json()) as { value: string }).value;
  }

  it("opens with the subprotocol xai-client-secret.<secret>, which the server selects", async () => {
    const value = await secret();
    expect(await handshake([`xai-client-secret.${value}`])).toEqual({
      status: 101,
      protocol: `xai-client-secret.${value}`,
    });
  });

  it("refuses the secret without the prefix, and an unknown secret", async () => {
    expect((await handshake([await secret()])).status).toBe(401);
    expect((await handshake(["xai-client-secret.xai-cs-UNKNOWN"])).status).toBe(401);
  });
});
