import { inject } from "vitest";
import { devToken } from "../../dev/dev-token";
import { createKeyClient, type KeyClient } from "../../src/client/index";

/** The dev stack global-setup started: the broker, and the emulator's HTTP and WebSocket bases. */
export const stack = (() => {
  const { brokerUrl, devUrl } = inject("stack");
  return { brokerUrl, emulatorUrl: devUrl, emulatorWsUrl: devUrl.replace(/^http/, "ws") };
})();

/** A dev user's ID token from the dev identity provider, as an app's sign-in would return. */
export function idTokenFor(user: string): Promise<string> {
  return devToken(stack.emulatorUrl, user);
}

/** The broker's client, signed in as `user`, with every request it sends counted. */
export async function keyClientFor(user: string): Promise<{ keys: KeyClient; mints: () => number }> {
  const token = await idTokenFor(user);
  let mints = 0;
  const keys = createKeyClient({
    baseUrl: stack.brokerUrl,
    getIdToken: () => token,
    fetch: (input, init) => {
      mints++;
      return fetch(input, init);
    },
  });
  return { keys, mints: () => mints };
}
