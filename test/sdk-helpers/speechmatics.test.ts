import { RealtimeClient, type RealtimeServerMessage } from "@speechmatics/real-time-client";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { type KeyClient, type SpeechmaticsJwt, speechmaticsJwt } from "../../src/client/index";
import { keyClientFor, stack } from "./stack";

/**
 * `@speechmatics/real-time-client` 8.5, the real SDK (its Node build, which
 * opens sockets with `ws`), with keys from `speechmaticsJwt`: sessions against
 * the emulator's Speechmatics WebSocket, with keys minted through the broker
 * under `wrangler dev`.
 */
const RT_URL = `${stack.emulatorWsUrl}/v2`;
const CONFIG = { transcription_config: { language: "en" } };
const TRANSCRIPT = "Hello from the speech emulator.";
/** Nothing listens here, so a connection fails at once. */
const CLOSED_URL = "ws://127.0.0.1:1/v2";

interface Session {
  started: RealtimeServerMessage;
  transcript: string;
}

/** One session as an app runs it: `start` with the helper's key, passing a failure to `jwt.refused`; then reads to the end. */
async function transcribe(jwt: SpeechmaticsJwt, url = RT_URL): Promise<Session> {
  const client = new RealtimeClient({ url });
  let transcript = "";
  const ended = new Promise<void>((resolve) =>
    client.addEventListener("receiveMessage", ({ data }) => {
      if (data.message === "AddTranscript") transcript += data.metadata.transcript;
      if (data.message === "EndOfTranscript") resolve();
    }),
  );
  let started: RealtimeServerMessage;
  try {
    started = await client.start(await jwt(), CONFIG);
  } catch (error) {
    jwt.refused(error);
    throw error;
  }
  await ended;
  return { started, transcript: transcript.trim() };
}

/** What `transcribe` failed with. */
async function failure(session: Promise<unknown>): Promise<unknown> {
  return session.then(
    () => expect.unreachable("the session started"),
    (error: unknown) => error,
  );
}

/** The Speechmatics issuance requests the broker sent, newest last. */
async function issued(): Promise<RecordedRequest[]> {
  const recorded = (await (await fetch(`${stack.emulatorUrl}/__emulator/requests`)).json()) as RecordedRequest[];
  return recorded.filter((r) => r.vendor === "speechmatics");
}

/** The broker's client, except that the first key it hands out has since been revoked at Speechmatics. */
function revokedFirst(keys: KeyClient): KeyClient {
  let handedOut = 0;
  return {
    async getKey(vendor, options) {
      const minted = await keys.getKey(vendor, options);
      return handedOut++ === 0 ? { ...minted, key: `revoked-${minted.key}` } : minted;
    },
    invalidate: (vendor) => keys.invalidate(vendor),
  };
}

describe("speechmaticsJwt with @speechmatics/real-time-client", () => {
  it("starts sessions at the configured URL with an rt key, reused while it is fresh", async () => {
    const { keys, mints } = await keyClientFor("speechmatics-session");
    const jwt = speechmaticsJwt(keys, { ttl_seconds: 120, region: "usa" });

    const first = await transcribe(jwt);
    expect(first.started).toMatchObject({ message: "RecognitionStarted" });
    expect(first.transcript).toBe(TRANSCRIPT);
    expect((await transcribe(jwt)).transcript).toBe(TRANSCRIPT);
    expect(mints()).toBe(1);

    const [request] = (await issued()).filter(
      (r) => (r.body as { client_ref?: string }).client_ref === "speechmatics-session",
    );
    expect(request?.query).toEqual({ type: "rt" });
    expect(request?.body).toMatchObject({ ttl: 120, region: "usa" });
  });

  it("forgets a key refused after the handshake (not_authorised), so the next start mints another", async () => {
    const { keys, mints } = await keyClientFor("speechmatics-not-authorised");
    const jwt = speechmaticsJwt(revokedFirst(keys));

    const refusal = await failure(transcribe(jwt));
    expect(refusal).toEqual(new Error("not_authorised"));
    expect((await transcribe(jwt)).transcript).toBe(TRANSCRIPT);
    expect(mints()).toBe(2);
  });

  it("forgets a key refused in the handshake (HTTP 401), so the next start mints another", async () => {
    // Speechmatics documents a 401 handshake answer for a key it does not accept.
    const refusing = new WebSocketServer({
      port: 0,
      host: "127.0.0.1",
      verifyClient: (_info, done) => done(false, 401),
    });
    try {
      const { keys, mints } = await keyClientFor("speechmatics-401");
      const jwt = speechmaticsJwt(keys);
      const port = (refusing.address() as { port: number }).port;

      const refusal = await failure(transcribe(jwt, `ws://127.0.0.1:${port}/v2`));
      expect(refusal).toMatchObject({ type: "error", message: "Unexpected server response: 401" });
      expect((await transcribe(jwt)).transcript).toBe(TRANSCRIPT);
      expect(mints()).toBe(2);
    } finally {
      refusing.close();
    }
  });

  it("keeps the key after a failure that is not a refusal", async () => {
    const { keys, mints } = await keyClientFor("speechmatics-not-refused");
    const jwt = speechmaticsJwt(keys);

    const unreachable = await failure(transcribe(jwt, CLOSED_URL));
    expect(unreachable).toMatchObject({ type: "error", message: expect.stringContaining("ECONNREFUSED") });
    expect(jwt.refused(new Error("quota_exceeded"))).toBe(false);
    expect(jwt.refused(new Error("RecognitionStarted timed out"))).toBe(false);

    expect((await transcribe(jwt)).transcript).toBe(TRANSCRIPT);
    expect(mints()).toBe(1);
  });
});
