import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as speechsdk from "microsoft-cognitiveservices-speech-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type EmulatorServer, emulators, startEmulator } from "../../dev/emulator/server";
import { azure } from "../../src/vendors/azure";

/**
 * Azure's Speech SDK mints nothing: it takes a token in
 * `SpeechConfig.fromAuthorizationToken(token, region)` (or as `authorizationToken`
 * after `fromEndpoint`), and leaves issuing it to Microsoft's documented REST call,
 * `POST /sts/v1.0/issueToken` with `Ocp-Apim-Subscription-Key` and an empty body.
 * So the broker's request is compared with that documented call, field by field,
 * and a token issued by the emulator must open the SDK's own recognizer.
 */
let emulator: EmulatorServer;
const masterKey = emulators.find((e) => e.vendor === "azure")?.masterKey ?? "";
const TRANSCRIPT = "Hello from the speech emulator.";

beforeAll(async () => {
  emulator = await startEmulator({ publicJwks: { keys: [] } });
});
afterAll(() => emulator.close());

async function recordedIssues(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulator.url}/__emulator/requests`);
  return ((await response.json()) as RecordedRequest[]).filter((r) => r.vendor === "azure");
}

/** Sends a request and returns how the emulator recorded it. */
async function recorded(
  url: string,
  init: RequestInit,
): Promise<{ status: number; text: string; request: RecordedRequest }> {
  const before = (await recordedIssues()).length;
  const response = await fetch(url, init);
  const text = await response.text();
  const after = (await recordedIssues()).slice(before);
  expect(after).toHaveLength(1);
  return { status: response.status, text, request: after[0] as RecordedRequest };
}

/** Every .js file of the installed SDK's Node build. */
async function sdkSources(): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve("microsoft-cognitiveservices-speech-sdk/package.json")), "distrib/lib");
  const files = (await readdir(root, { recursive: true })).filter((file) => file.endsWith(".js"));
  return Promise.all(files.map((file) => readFile(join(root, file), "utf8")));
}

describe("the broker's Azure token request matches Microsoft's documented issueToken call", () => {
  it("finds no token-issuing call in the Speech SDK to compare with", async () => {
    const sources = await sdkSources();
    expect(sources.length).toBeGreaterThan(100);
    // If a later SDK gains one, compare the broker's request with it instead.
    expect(sources.filter((text) => /issueToken|sts\/v1\.0/.test(text))).toEqual([]);
    expect(sources.some((text) => text.includes("static fromAuthorizationToken(authorizationToken, region)"))).toBe(
      true,
    );
  });

  it("sends what Microsoft's curl example sends: POST, the key header, a form content type and no body", async () => {
    // https://learn.microsoft.com/azure/ai-services/speech-service/rest-speech-to-text-short#authentication
    const documented = await recorded(`${emulator.url}/sts/v1.0/issueToken`, {
      method: "POST",
      headers: {
        "Content-type": "application/x-www-form-urlencoded",
        "Content-Length": "0",
        "Ocp-Apim-Subscription-Key": masterKey,
      },
    });
    let brokerReply: { status: number; text: string; request: RecordedRequest } | undefined;
    const minted = await azure.mint({
      settings: { apiKey: masterKey, baseUrl: emulator.url, region: undefined },
      options: {},
      ttlSeconds: 600,
      clientRef: "sdk-comparison",
      callerIp: undefined,
      now: new Date(),
      send: async (request) => {
        brokerReply = await recorded(request.url, {
          method: request.method ?? "POST",
          headers: request.headers,
          body: request.body,
        });
        return { status: brokerReply.status, text: brokerReply.text };
      },
    });
    expect(minted.applied).toEqual({ region: "westeurope" });
    const broker = (brokerReply as { request: RecordedRequest }).request;
    const sdk = documented.request;
    expect(documented.status).toBe(200);
    expect(broker.method).toBe(sdk.method);
    expect(broker.path).toBe(sdk.path);
    expect(broker.query).toEqual(sdk.query);
    expect(broker.headers["ocp-apim-subscription-key"]).toBe(sdk.headers["ocp-apim-subscription-key"]);
    expect(broker.headers["content-type"]).toBe(sdk.headers["content-type"]);
    expect(broker.headers["content-length"]).toBe(sdk.headers["content-length"]);
    expect(broker.headers.authorization).toBeUndefined();
    expect(broker.body).toEqual(sdk.body);
  });
});

describe("a token the emulator issues, used by the Speech SDK's recognizer", () => {
  async function issue(): Promise<string> {
    const response = await fetch(`${emulator.url}/sts/v1.0/issueToken`, {
      method: "POST",
      headers: { "Ocp-Apim-Subscription-Key": masterKey },
    });
    return response.text();
  }

  /** Continuous recognition of a short silence on the emulator's socket: the text, or the cancellation's reason. */
  async function recognize(token: string): Promise<{ text: string } | { canceled: string }> {
    const endpoint = new URL(
      `${emulator.url.replace("http", "ws")}/stt/speech/recognition/conversation/cognitiveservices/v1`,
    );
    const config = speechsdk.SpeechConfig.fromEndpoint(endpoint);
    config.authorizationToken = token;
    config.speechRecognitionLanguage = "en-US";
    const stream = speechsdk.AudioInputStream.createPushStream();
    stream.write(new ArrayBuffer(3200));
    stream.close();
    const recognizer = new speechsdk.SpeechRecognizer(config, speechsdk.AudioConfig.fromStreamInput(stream));
    const words: string[] = [];
    const outcome = await new Promise<{ text: string } | { canceled: string }>((resolve) => {
      recognizer.recognized = (_sender, event) => {
        if (event.result.reason === speechsdk.ResultReason.RecognizedSpeech) words.push(event.result.text);
      };
      recognizer.canceled = (_sender, event) =>
        resolve(
          event.reason === speechsdk.CancellationReason.Error
            ? { canceled: event.errorDetails }
            : { text: words.join(" ") },
        );
      recognizer.sessionStopped = () => resolve({ text: words.join(" ") });
      recognizer.startContinuousRecognitionAsync();
    });
    await new Promise<void>((resolve) => recognizer.stopContinuousRecognitionAsync(resolve, () => resolve()));
    recognizer.close();
    return outcome;
  }

  it("streams a transcript with the token as the SDK's authorization token, and again", async () => {
    const token = await issue();
    expect(await recognize(token)).toEqual({ text: TRANSCRIPT });
    expect(await recognize(token)).toEqual({ text: TRANSCRIPT });
  });

  it("is refused for a token the emulator never issued", async () => {
    const outcome = await recognize(`${(await issue()).slice(0, -4)}XXXX`);
    expect(outcome).toHaveProperty("canceled");
  });
});
