import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { amivoiceAccount } from "../../dev/emulator/amivoice";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";

/** The emulator's speech endpoints check keys the way the vendors do. */
let emulator: EmulatorServer;
const masterKey = (vendor: string) => emulators.find((e) => e.vendor === vendor)?.masterKey ?? "";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function issueAmiVoiceKey(form: Record<string, string>, bearer?: string): Promise<string> {
  const response = await fetch(`${emulator.url}/issue_service_authorization`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.text()).trim();
}

async function issueSonioxKey(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${emulator.url}/v1/auth/temporary-api-key`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${masterKey("soniox")}` },
    body: JSON.stringify({ usage_type: "transcribe_websocket", ...body }),
  });
  return ((await response.json()) as { api_key: string }).api_key;
}

/** Opens a socket, sends the first message, and collects everything until the server closes. */
function session(path: string, first: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${emulator.url.replace("http", "ws")}${path}`);
    const messages: string[] = [];
    socket.on("open", () => socket.send(first));
    socket.on("message", (data) => messages.push(String(data)));
    socket.on("close", () => resolve(messages));
    socket.on("error", reject);
  });
}

const amivoiceStart = (key: string) => `s LSB16K -a-general authorization=${key}`;

describe("AmiVoice speech endpoint", () => {
  it("accepts a key bound to the caller's address and streams results", async () => {
    const key = await issueAmiVoiceKey({ epi: "60000", ipa: "127.0.0.1" }, masterKey("amivoice"));
    const messages = await session("/v1/", amivoiceStart(key));
    expect(messages[0]).toBe("s");
    expect(messages.filter((m) => m.startsWith("A "))).toHaveLength(5);
    expect(messages.at(-1)).toBe("e");
  });

  it("refuses a key bound to another address", async () => {
    const key = await issueAmiVoiceKey({ epi: "60000", ipa: "203.0.113.0/24" }, masterKey("amivoice"));
    expect(await session("/v1/", amivoiceStart(key))).toEqual(["s can't validate service authorization"]);
  });

  it("accepts a key bound to a range that holds the caller", async () => {
    const key = await issueAmiVoiceKey({ epi: "60000", ipa: "10.0.0.1,127.0.0.0/8" }, masterKey("amivoice"));
    expect((await session("/v1/", amivoiceStart(key)))[0]).toBe("s");
  });

  it("refuses, at the speech endpoint, a key issued with a wrong sid/spw", async () => {
    const good = await issueAmiVoiceKey({ epi: "60000", sid: amivoiceAccount.sid, spw: amivoiceAccount.spw });
    const bad = await issueAmiVoiceKey({ epi: "60000", sid: amivoiceAccount.sid, spw: "wrong" });
    expect((await session("/v1/", amivoiceStart(good)))[0]).toBe("s");
    expect(await session("/v1/", amivoiceStart(bad))).toEqual(["s can't validate service authorization"]);
  });

  it("refuses an expired key", async () => {
    const key = await issueAmiVoiceKey({ epi: "1" }, masterKey("amivoice"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await session("/v1/", amivoiceStart(key))).toEqual(["s can't validate service authorization"]);
  });
});

describe("Soniox speech endpoint", () => {
  const config = (key: string) => JSON.stringify({ api_key: key, model: "stt-rt-preview" });

  it("lets a single-use key in once", async () => {
    const key = await issueSonioxKey({ expires_in_seconds: 60, single_use: true });
    const first = await session("/transcribe-websocket", config(key));
    expect(first.at(-1)).toBe(JSON.stringify({ tokens: [], finished: true }));
    const second = await session("/transcribe-websocket", config(key));
    expect(second).toEqual([JSON.stringify({ error_code: 401, error_message: "Temporary API key was already used." })]);
  });

  it("lets a multi-use key in again", async () => {
    const key = await issueSonioxKey({ expires_in_seconds: 60 });
    await session("/transcribe-websocket", config(key));
    expect((await session("/transcribe-websocket", config(key))).at(-1)).toContain('"finished":true');
  });

  it("refuses a key it did not mint", async () => {
    const messages = await session("/transcribe-websocket", config("temp:NOTMINTEDHERE"));
    expect(messages).toEqual([JSON.stringify({ error_code: 401, error_message: "Invalid API key." })]);
  });
});

describe("Speechmatics real-time endpoint", () => {
  it("refuses an unknown key with a not_authorised Error", async () => {
    const messages = await session("/v2?jwt=nope", JSON.stringify({ message: "StartRecognition" }));
    expect(JSON.parse(messages[0] ?? "{}")).toMatchObject({ message: "Error", type: "not_authorised" });
  });
});
