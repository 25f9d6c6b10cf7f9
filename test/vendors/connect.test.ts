import * as z from "zod/mini";
import { describe, expect, it } from "vitest";
import type { Connect } from "../../src/vendors/connect";
import { connectSchema } from "../../src/vendors/connect-schema";
import { adapterFor, type VendorId, vendorIds, vendors } from "../../src/vendors/registry";
import { ADMIN_TOKEN, call, captureLogs, emulatorUrl, masterKeys, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

/**
 * `connect` in every mint answer and every `GET /v1/vendors` entry: present for
 * every vendor, valid, pointing at the emulator when the base URL points there,
 * holding no secret, and never logged or audited.
 */

const host = new URL(emulatorUrl).host;
const BEARER = { in: "header", name: "Authorization", scheme: "Bearer" } as const;

/** What each vendor's default mint says under the tests' settings, every base URL being the emulator's. */
const EXPECTED: Record<VendorId, Connect> = {
  soniox: {
    transport: "websocket",
    endpoint: `ws://${host}/transcribe-websocket`,
    credential: { in: "message", field: "api_key" },
  },
  speechmatics: { transport: "websocket", endpoint: `ws://${host}/v2`, credential: { in: "query", name: "jwt" } },
  amivoice: {
    transport: "websocket",
    endpoint: `ws://${host}/v1/`,
    credential: { in: "message", field: "authorization" },
  },
  acedata: { transport: "http", endpoint: null, credential: BEARER },
  deepgram: {
    transport: "websocket",
    endpoint: `ws://${host}/v1/listen`,
    credential: { in: "subprotocols", protocols: ["bearer", "{key}"] },
  },
  openai: { transport: "webrtc", endpoint: `http://${host}/v1/realtime/calls`, credential: BEARER },
  azure: {
    transport: "websocket",
    endpoint: `ws://${host}/stt/speech/recognition/conversation/cognitiveservices/v1`,
    credential: { in: "query", name: "Authorization", scheme: "Bearer" },
  },
  assemblyai: { transport: "websocket", endpoint: `ws://${host}/v3/ws`, credential: { in: "query", name: "token" } },
  gemini: {
    transport: "websocket",
    endpoint: `ws://${host}/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained`,
    credential: { in: "query", name: "access_token" },
  },
  elevenlabs: {
    transport: "websocket",
    endpoint: `ws://${host}/v1/speech-to-text/realtime`,
    credential: { in: "query", name: "token" },
  },
  xai: {
    transport: "websocket",
    endpoint: `ws://${host}/v1/realtime`,
    credential: { in: "subprotocols", protocols: ["xai-client-secret.{key}"] },
  },
  mistral: {
    transport: "websocket",
    endpoint: `ws://${host}/v1/audio/transcriptions/realtime`,
    credential: { in: "subprotocols", protocols: ["realtime", "{key}"] },
    params: { model: "voxtral-mini-transcribe-realtime-2602" },
  },
  cartesia: {
    transport: "websocket",
    endpoint: `ws://${host}/stt/websocket`,
    credential: { in: "query", name: "access_token" },
    params: { cartesia_version: "2026-08-14" },
  },
  gladia: { transport: "websocket", endpoint: null, credential: { in: "url" } },
  "aws-transcribe": { transport: "websocket", endpoint: null, credential: { in: "url" } },
  "twilio-voice": { transport: "webrtc", endpoint: `ws://${host}/signal`, credential: { in: "sdk" } },
  livekit: { transport: "webrtc", endpoint: `ws://${host}`, credential: { in: "sdk" } },
};

interface Minted {
  key: string;
  url?: string;
  issuance_id: string;
  connect: unknown;
}

/** Every secret the broker holds, and the minted key and URL, none of which `connect` may hold. */
function secretsOf(minted: Minted): string[] {
  const url = minted.url === undefined ? [] : [minted.url, new URL(minted.url).search];
  return [...Object.values(masterKeys), minted.key, ...url];
}

async function listedConnect(user: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await call("/v1/vendors", { headers: await bearer(user), env });
  const { vendors: listed } = (await response.json()) as { vendors: { id: string; connect: unknown }[] };
  return Object.fromEntries(listed.map((entry) => [entry.id, entry.connect]));
}

describe("connect", () => {
  it.each(vendorIds)("%s: the mint answers a valid connect, on the emulator, holding no secret", async (vendor) => {
    const response = await mint(vendor, uniqueUser(vendor));
    expect(response.status, await response.clone().text()).toBe(201);
    const minted = (await response.json()) as Minted;
    expect(z.safeParse(connectSchema, minted.connect).success).toBe(true);
    expect(minted.connect).toEqual(EXPECTED[vendor]);
    const text = JSON.stringify(minted.connect);
    for (const secret of secretsOf(minted)) expect(text).not.toContain(secret);
  });

  it("lists each vendor with the connect of its default mint", async () => {
    expect(await listedConnect(uniqueUser("listing"))).toEqual(EXPECTED);
  });

  it("follows the options applied: an ElevenLabs agent's signed URL is opened as it is", async () => {
    const body = { kind: "agent", agent_id: "agent_connect" };
    const minted = (await (await mint("elevenlabs", uniqueUser("agent"), { body })).json()) as Minted;
    expect(minted.connect).toEqual({ transport: "websocket", endpoint: null, credential: { in: "url" } });
    const text = JSON.stringify(minted.connect);
    for (const secret of secretsOf(minted)) expect(text).not.toContain(secret);
  });

  it("lists the connect of the options POLICY forces", async () => {
    const POLICY = JSON.stringify({
      elevenlabs: { options: { kind: { in: ["tts_websocket"] } } },
      speechmatics: { options: { type: { force: "batch" } } },
    });
    const listed = await listedConnect(uniqueUser("policy"), { POLICY });
    expect(listed.elevenlabs).toEqual({
      transport: "websocket",
      endpoint: `ws://${host}/v1/text-to-speech/{voice_id}/stream-input`,
      credential: { in: "query", name: "single_use_token" },
    });
    expect(listed.speechmatics).toEqual({ transport: "http", endpoint: null, credential: BEARER });
  });

  it("is neither logged nor written to the audit record", async () => {
    for (const vendor of vendorIds) {
      const { result: minted, lines } = await captureLogs(async () => {
        const response = await mint(vendor, uniqueUser(vendor));
        return (await response.json()) as Minted & { connect: Connect };
      });
      const record = await call(`/v1/audit/${minted.issuance_id}`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(record.status).toBe(200);
      const recorded = await record.text();
      for (const text of [...lines, recorded]) {
        expect(text).not.toContain('"connect"');
        expect(text).not.toContain('"transport"');
        if (minted.connect.endpoint !== null) expect(text).not.toContain(minted.connect.endpoint);
      }
    }
  });
});

describe("the connect endpoint for a base URL", () => {
  const settings = (baseUrl: string) => ({ apiKey: "k", baseUrl });

  it("is the vendor's own endpoint at its default base URL", () => {
    expect(vendors.soniox.connect(settings("https://api.soniox.com"), { usage_type: "tts_rt" }).endpoint).toBe(
      "wss://tts-rt.soniox.com/tts-websocket",
    );
    expect(vendors.deepgram.connect(settings("https://api.deepgram.com")).endpoint).toBe(
      "wss://api.deepgram.com/v1/listen",
    );
    expect(vendors.openai.connect(settings("https://api.openai.com")).endpoint).toBe(
      "https://api.openai.com/v1/realtime/calls",
    );
    expect(vendors.speechmatics.connect(settings("https://mp.speechmatics.com"), { type: "rt" }).endpoint).toBe(
      "wss://global.rt.speechmatics.com/v2",
    );
    const azureRegion = {
      apiKey: "k",
      baseUrl: "https://westeurope.api.cognitive.microsoft.com",
      region: "westeurope",
    };
    expect(vendors.azure.connect(azureRegion).endpoint).toBe(
      "wss://westeurope.stt.speech.microsoft.com/speech/recognition/conversation/cognitiveservices/v1",
    );
  });

  it("is on an overridden host: a regional one, with Soniox' api. host streaming from stt-rt.", () => {
    expect(
      vendors.soniox.connect(settings("https://api.eu.soniox.com"), { usage_type: "transcribe_websocket" }).endpoint,
    ).toBe("wss://stt-rt.eu.soniox.com/transcribe-websocket");
    expect(vendors.assemblyai.connect(settings("https://streaming.eu.assemblyai.com")).endpoint).toBe(
      "wss://streaming.eu.assemblyai.com/v3/ws",
    );
    expect(vendors.openai.connect(settings("http://localhost:8788")).endpoint).toBe(
      "http://localhost:8788/v1/realtime/calls",
    );
    expect(adapterFor("amivoice").connect({ baseUrl: "http://127.0.0.1:9000" }, {}).endpoint).toBe(
      "ws://127.0.0.1:9000/v1/",
    );
    // An Azure custom-domain resource streams from its own host's /stt path.
    const azureDomain = { apiKey: "k", baseUrl: "https://my-speech.cognitiveservices.azure.com", region: undefined };
    expect(vendors.azure.connect(azureDomain).endpoint).toBe(
      "wss://my-speech.cognitiveservices.azure.com/stt/speech/recognition/conversation/cognitiveservices/v1",
    );
  });
});
