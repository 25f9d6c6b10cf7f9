/**
 * `connect`: how a client presents a minted credential, the same shape for
 * every vendor. It names places and never holds a secret: the credential
 * itself is the answer's `key` (or its `url`), which the client puts where
 * `credential` says.
 */

/** Stands for the key wherever `connect` shows where it goes (a subprotocol). */
export const KEY_PLACEHOLDER = "{key}";

/** Where the credential goes (the schema, with each form's meaning, is in connect-schema.ts). */
export type ConnectCredential =
  | { in: "query"; name: string; scheme?: string | undefined }
  | { in: "subprotocols"; protocols: string[] }
  | { in: "header"; name: string; scheme?: string | undefined }
  | { in: "url" }
  | { in: "message"; field: string }
  | { in: "sdk" };

/** How a client presents a credential; validated by `connectSchema` (connect-schema.ts) in the tests and the document. */
export interface Connect {
  transport: "websocket" | "webrtc" | "http";
  endpoint: string | null;
  credential: ConnectCredential;
  params?: Record<string, string> | undefined;
}

/**
 * The endpoint for a vendor's base URL. At the vendor's default base URL it is
 * the vendor's own endpoint. When the base URL is overridden (a regional host,
 * or the emulator), it is the same path on the overridden host, with `http:`
 * becoming `ws:` and `https:` becoming `wss:` for a WebSocket; `host` maps a
 * regional API host to the vendor's streaming host (Soniox' `api.` to `stt-rt.`).
 */
export function endpointFor(
  baseUrl: string,
  defaultBaseUrl: string,
  defaultEndpoint: string,
  host: (apiHost: string) => string = (apiHost) => apiHost,
): string {
  if (baseUrl === defaultBaseUrl) return defaultEndpoint;
  const base = new URL(baseUrl);
  // The path as written: URL would escape a `{name}` segment.
  const [, protocol, path] = /^(\w+:)\/\/[^/]+(\/.*)$/.exec(defaultEndpoint) ?? [];
  const secure = base.protocol === "https:";
  const scheme = protocol === "wss:" ? (secure ? "wss:" : "ws:") : base.protocol;
  return `${scheme}//${host(base.hostname)}${base.port ? `:${base.port}` : ""}${path}`;
}
