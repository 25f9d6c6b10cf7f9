import * as speechsdk from "microsoft-cognitiveservices-speech-sdk";
import { describe, expect, it } from "vitest";
import { azureSpeechToken } from "../../src/client/index";
import { keyClientFor, stack } from "./stack";

/**
 * `azureSpeechToken` with the Azure AI Speech SDK's recognizer, streaming to the
 * emulator's speech socket with tokens minted through the broker under
 * `wrangler dev`. The emulator stands for a custom-domain resource, so the SDK
 * reaches it through `fromEndpoint` with the helper's `endpoint`, and the token
 * goes in as `authorizationToken`; in Node the SDK sends it as
 * `Authorization: Bearer`.
 */
const TRANSCRIPT = "Hello from the speech emulator.";

type Outcome = { text: string } | { canceled: string };

/** Continuous recognition of a short silence: the recognized text, or why the SDK cancelled. */
async function recognize(config: speechsdk.SpeechConfig): Promise<Outcome> {
  config.speechRecognitionLanguage = "en-US";
  const stream = speechsdk.AudioInputStream.createPushStream();
  stream.write(new ArrayBuffer(3200));
  stream.close();
  const recognizer = new speechsdk.SpeechRecognizer(config, speechsdk.AudioConfig.fromStreamInput(stream));
  const words: string[] = [];
  const outcome = await new Promise<Outcome>((resolve) => {
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

describe("azureSpeechToken with the Speech SDK's recognizer", () => {
  it("gives the token, the region from the token and the emulator's endpoint, reused for the next session", async () => {
    const { keys, mints } = await keyClientFor("azure-recognizes");
    const first = await azureSpeechToken(keys);
    expect(first.region).toBe("westeurope");
    expect(first.endpoint).toBe(`${stack.emulatorWsUrl}/stt/speech/recognition/conversation/cognitiveservices/v1`);

    for (let i = 0; i < 2; i++) {
      const { authorizationToken, endpoint } = await azureSpeechToken(keys);
      const config = speechsdk.SpeechConfig.fromEndpoint(new URL(endpoint ?? ""));
      config.authorizationToken = authorizationToken;
      expect(await recognize(config)).toEqual({ text: TRANSCRIPT });
    }
    expect(mints()).toBe(1);
  });

  it("fits fromAuthorizationToken(token, region), which the SDK keeps for its regional endpoint", async () => {
    const { keys } = await keyClientFor("azure-regional");
    const { authorizationToken, region } = await azureSpeechToken(keys);
    const config = speechsdk.SpeechConfig.fromAuthorizationToken(authorizationToken, region);
    expect(config.authorizationToken).toBe(authorizationToken);
    expect(config.region).toBe("westeurope");
  });

  it("is refused by the speech socket when the token is not one the broker minted", async () => {
    const { keys } = await keyClientFor("azure-refused");
    const { authorizationToken, endpoint } = await azureSpeechToken(keys);
    const config = speechsdk.SpeechConfig.fromEndpoint(new URL(endpoint ?? ""));
    config.authorizationToken = `${authorizationToken.slice(0, -4)}XXXX`;
    expect(await recognize(config)).toHaveProperty("canceled");
  });
});
