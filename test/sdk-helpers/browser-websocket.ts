import { WebSocket as NodeWebSocket } from "ws";

/**
 * A browser's `WebSocket` for the SDKs that use the global one (Node 20 has
 * none): the `ws` package, which has the same event-target API. Some SDKs
 * insist on `wss:`, while the emulator serves plain `ws:` on loopback, so a
 * `wss://127.0.0.1:…` URL is connected in the clear; any other URL is used as
 * given. Nothing else about the connection changes.
 */
class LoopbackWebSocket extends NodeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(String(url).replace(/^wss:\/\/127\.0\.0\.1:/, "ws://127.0.0.1:"), protocols);
  }
}

/** Makes `LoopbackWebSocket` the global `WebSocket`; returns the function that puts the old one back. */
export function installBrowserWebSocket(): () => void {
  const previous = globalThis.WebSocket;
  globalThis.WebSocket = LoopbackWebSocket as unknown as typeof globalThis.WebSocket;
  return () => {
    globalThis.WebSocket = previous;
  };
}
