import type { KeyClient } from "../index.js";

/**
 * A helper for the Azure AI Speech SDK (`microsoft-cognitiveservices-speech-sdk`).
 * It only fetches keys from the broker: the client has no dependency on the SDK.
 */

/** What the Speech SDK needs beside each other: the token and its resource's region. */
export interface AzureSpeechToken {
  /** The authorization token, for `SpeechConfig.fromAuthorizationToken` or a recognizer's `authorizationToken`. */
  authorizationToken: string;
  /** The Speech resource's region (`westeurope`), the second argument of `fromAuthorizationToken`. */
  region: string;
  /**
   * The speech-to-text WebSocket the broker's `connect` names, for `SpeechConfig.fromEndpoint(new URL(endpoint))`:
   * the region's host, or a custom-domain resource's own host (the only way to reach one).
   */
  endpoint: string | null;
}

/**
 * An Azure AI Speech authorization token with its region. The SDK sends it as
 * `Authorization: Bearer` (in a browser, folded into the WebSocket's URL). Azure
 * fixes its life at 10 minutes and the SDK never renews it: the client reuses
 * one until shortly before then, so call this again and set the recognizer's
 * `authorizationToken` before a long session's next connection.
 *
 * ```ts
 * const { authorizationToken, region } = await azureSpeechToken(keys);
 * const speechConfig = SpeechConfig.fromAuthorizationToken(authorizationToken, region);
 * const recognizer = new SpeechRecognizer(speechConfig, AudioConfig.fromDefaultMicrophoneInput());
 * ```
 */
export async function azureSpeechToken(keys: KeyClient): Promise<AzureSpeechToken> {
  const minted = await keys.getKey("azure");
  if (typeof minted.region !== "string") throw new Error("azure: the broker's answer has no region");
  return { authorizationToken: minted.key, region: minted.region, endpoint: minted.connect?.endpoint ?? null };
}
