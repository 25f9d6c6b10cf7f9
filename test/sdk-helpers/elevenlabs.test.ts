import { AudioFormat, Conversation, RealtimeEvents, Scribe } from "@elevenlabs/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ElevenLabsSignedUrl,
  elevenlabsScribeToken,
  elevenlabsSignedUrl,
  type KeyClient,
} from "../../src/client/index";
import { installBrowserWebSocket } from "./browser-websocket";
import { keyClientFor, stack } from "./stack";

/**
 * The ElevenLabs helpers with `@elevenlabs/client`, the SDK for browsers:
 * `Conversation.startSession({ signedUrl })` for an agent (text only, over its
 * WebSocket) and `Scribe.connect({ token })` for real-time speech to text,
 * both against the emulator with credentials minted through the broker.
 */
const AGENT = "agent_3701k3ttaq12ewp8b7qv5rfyszkz";
const TRANSCRIPT = "Hello from the speech emulator.";

let uninstallWebSocket: () => void;
beforeAll(() => {
  uninstallWebSocket = installBrowserWebSocket();
});
afterAll(() => uninstallWebSocket());

/** One text-only conversation the SDK's way: its id once the agent accepted it; ended again right away. */
async function converse(signedUrl: string): Promise<string> {
  const conversation = await Conversation.startSession({ signedUrl, textOnly: true });
  const id = conversation.getId();
  await conversation.endSession();
  return id;
}

/** What `startSession` rejected with. */
async function refusalOf(signedUrl: string): Promise<unknown> {
  return converse(signedUrl).then(
    () => {
      throw new Error("the conversation started");
    },
    (error: unknown) => error,
  );
}

/** One real-time transcription the SDK's way: the committed transcript, or the auth error ElevenLabs sent. */
function transcribe(token: string): Promise<{ text: string } | { authError: string }> {
  const connection = Scribe.connect({
    token,
    modelId: "scribe_v2_realtime",
    audioFormat: AudioFormat.PCM_16000,
    sampleRate: 16_000,
    baseUri: stack.emulatorWsUrl,
  });
  return new Promise((resolve) => {
    connection.on(RealtimeEvents.SESSION_STARTED, () => connection.send({ audioBase64: "AAAA", commit: true }));
    connection.on(RealtimeEvents.COMMITTED_TRANSCRIPT, ({ text }) => {
      resolve({ text });
      connection.close();
    });
    connection.on(RealtimeEvents.AUTH_ERROR, ({ error }) => resolve({ authError: error }));
  });
}

describe("elevenlabsSignedUrl with @elevenlabs/client's Conversation", () => {
  it("starts conversations with the agent's signed URL from the broker, reused for the next one", async () => {
    const { keys, mints } = await keyClientFor("elevenlabs-agent");
    const signedUrl = elevenlabsSignedUrl(keys, { agent_id: AGENT });
    const first = await converse(await signedUrl());
    const second = await converse(await signedUrl());
    expect(first).toMatch(/^conv_/);
    expect(second).not.toBe(first);
    expect(mints()).toBe(1);
    expect(new URL(await signedUrl()).searchParams.get("agent_id")).toBe(AGENT);
  });

  it("forgets a signed URL ElevenLabs refused, so the next session mints a new one", async () => {
    const { keys, mints } = await keyClientFor("elevenlabs-agent-refused");
    const signedUrl = elevenlabsSignedUrl(keys, { agent_id: AGENT });
    // The URL's 15 minutes cannot be waited out here, so ElevenLabs is made to refuse it by a signature it did not issue.
    const revoked = new URL(await signedUrl());
    revoked.searchParams.set("conversation_signature", "cvtkn_not_issued");
    const refusal = await refusalOf(revoked.toString());
    expect(refusal).toMatchObject({ name: "SessionConnectionError", message: "Invalid conversation signature" });
    expect(signedUrl.refused(refusal)).toBe(true);

    expect(await converse(await signedUrl())).toMatch(/^conv_/);
    expect(mints()).toBe(2);
  });

  it("keeps the signed URL when the error is not a refusal", async () => {
    const { keys, mints } = await keyClientFor("elevenlabs-agent-misused");
    const signedUrl = elevenlabsSignedUrl(keys, { agent_id: AGENT });
    // ElevenLabs accepts the URL, then the app's own callback fails, and startSession rejects with that error.
    const appFailure = await Conversation.startSession({
      signedUrl: await signedUrl(),
      textOnly: true,
      onConnect: () => {
        throw new Error("the page went away");
      },
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(appFailure).toMatchObject({ message: "the page went away" });
    expect(signedUrl.refused(appFailure)).toBe(false);
    expect(await converse(await signedUrl())).toMatch(/^conv_/);
    expect(mints()).toBe(1);
  });

  it("fails clearly if the broker's answer has no signed URL", async () => {
    const noUrl: KeyClient = {
      getKey: async (vendor) => ({
        vendor,
        key: "cvtkn_x",
        expires_at: new Date(Date.now() + 900_000).toISOString(),
        ttl_seconds: 900,
        client_ref: "alice",
        issuance_id: "01JAAAAAAAAAAAAAAAAAAAAAAA",
      }),
      invalidate: () => {},
    };
    const signedUrl: ElevenLabsSignedUrl = elevenlabsSignedUrl(noUrl, { agent_id: AGENT });
    await expect(signedUrl()).rejects.toThrow("without its signed URL");
  });
});

describe("elevenlabsScribeToken with @elevenlabs/client's Scribe", () => {
  it("mints a single-use token for each connection", async () => {
    const { keys, mints } = await keyClientFor("elevenlabs-scribe");
    const first = await elevenlabsScribeToken(keys);
    expect(await transcribe(first)).toEqual({ text: TRANSCRIPT });
    const second = await elevenlabsScribeToken(keys);
    expect(second).not.toBe(first);
    expect(await transcribe(second)).toEqual({ text: TRANSCRIPT });
    expect(mints()).toBe(2);
  });

  it("after ElevenLabs refuses a used token, the next call mints a new one that connects", async () => {
    const { keys, mints } = await keyClientFor("elevenlabs-scribe-refused");
    const used = await elevenlabsScribeToken(keys);
    await transcribe(used);
    expect(await transcribe(used)).toEqual({ authError: "Token has already been used" });
    const fresh = await elevenlabsScribeToken(keys);
    expect(await transcribe(fresh)).toEqual({ text: TRANSCRIPT });
    expect(mints()).toBe(2);
  });

  it("gives concurrent callers a token each", async () => {
    const { keys, mints } = await keyClientFor("elevenlabs-scribe-concurrent");
    const tokens = await Promise.all([elevenlabsScribeToken(keys), elevenlabsScribeToken(keys)]);
    expect(new Set(tokens).size).toBe(2);
    expect(mints()).toBe(2);
  });
});
