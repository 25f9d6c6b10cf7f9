import type { KeyClient } from "../index.js";
import { withRefusal } from "./refusal.js";

/**
 * Helpers for `@elevenlabs/client`: `Conversation.startSession` for agents,
 * and `Scribe.connect` for real-time speech to text. They only fetch keys from
 * the broker: the client has no dependency on the SDK.
 */

/** The `signedUrl` for `Conversation.startSession({ signedUrl })`, with `refused` for what `startSession` rejects with. */
export interface ElevenLabsSignedUrl {
  (): Promise<string>;
  /**
   * Pass what `Conversation.startSession` rejected with. A signed URL that
   * ElevenLabs refuses closes the socket before the conversation starts, which
   * the SDK rejects as a `SessionConnectionError`; the close does not always
   * say why, so any such error, which may be the refusal, forgets the cached
   * signed URLs: at worst the next session mints one more than needed. Other
   * errors change nothing. True when it forgot.
   */
  refused(error: unknown): boolean;
}

/** The name of the error `startSession` rejects with when the socket fails before the conversation starts. */
const SESSION_CONNECTION_ERROR = "SessionConnectionError";

/**
 * The signed WebSocket URL of one agent, for
 * `Conversation.startSession({ signedUrl: await signedUrl() })`. It starts any
 * number of conversations with that agent for 15 minutes, so the client reuses
 * one until shortly before then. (The SDK's WebRTC connection takes a
 * `conversationToken` instead, which the broker does not mint.)
 *
 * ```ts
 * const signedUrl = elevenlabsSignedUrl(keys, { agent_id: "agent_…" });
 * const conversation = await Conversation.startSession({ signedUrl: await signedUrl() }).catch((error) => {
 *   signedUrl.refused(error); // a refused URL is forgotten, so the next session mints another
 *   throw error;
 * });
 * ```
 */
export function elevenlabsSignedUrl(keys: KeyClient, options: { agent_id: string }): ElevenLabsSignedUrl {
  const signedUrl = async (): Promise<string> => {
    const { url } = await keys.getKey("elevenlabs", { kind: "agent", agent_id: options.agent_id });
    if (url === undefined) throw new Error("the broker answered an ElevenLabs agent key without its signed URL");
    return url;
  };
  return withRefusal(
    keys,
    "elevenlabs",
    signedUrl,
    (error: unknown) => (error as { name?: unknown } | null)?.name === SESSION_CONNECTION_ERROR,
  );
}

/**
 * The `token` option of `Scribe.connect({ token, modelId, … })` (also
 * `@elevenlabs/elevenlabs-js`'s `speechToText.realtime.connect({ token })`):
 * a single-use token that opens one real-time speech-to-text socket within 15
 * minutes, minted for this call and never cached, so each connection gets a
 * new one.
 *
 * ```ts
 * const connection = Scribe.connect({ token: await elevenlabsScribeToken(keys), modelId: "scribe_v2_realtime" });
 * ```
 */
export async function elevenlabsScribeToken(keys: KeyClient): Promise<string> {
  // The broker marks these tokens single-use, so the client never caches or shares one.
  return (await keys.getKey("elevenlabs", { kind: "realtime_scribe" })).key;
}
