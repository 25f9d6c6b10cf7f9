import type { JwksMode } from "../../dev/emulator/jwks-mode";
import type { RecordedRequest } from "../../dev/emulator/recorded";
import { emulatorUrl } from "../helpers/broker";

/**
 * A test's own identity provider on the emulator (`/t/{tag}/jwks.json`). Its URL is
 * its own, so its entry in the isolate's key-set cache is too.
 */
export class TestIdentityProvider {
  readonly tag = crypto.randomUUID();
  readonly jwksUrl = `${emulatorUrl}/t/${this.tag}/jwks.json`;

  /** Switches the key set: up (with rotated keys, if given), down, or oversized. */
  async set(mode: JwksMode): Promise<void> {
    const response = await fetch(`${emulatorUrl}/__emulator/jwks/${this.tag}`, {
      method: "POST",
      body: JSON.stringify(mode),
    });
    if (response.status !== 200) throw new Error(`emulator refused JWKS mode: ${await response.text()}`);
  }

  /** How many times the broker has fetched this key set. */
  async fetches(): Promise<number> {
    const recorded = (await (await fetch(`${emulatorUrl}/__emulator/requests`)).json()) as RecordedRequest[];
    return recorded.filter((request) => request.vendor === "jwks" && request.tag === this.tag).length;
  }
}
