import type { Connect } from "./vendor-types.js";

/** What a browser's `new WebSocket(url, protocols)` needs. */
export interface WebSocketTarget {
  url: string;
  protocols: string[];
}

/** The parts of a minted key that `webSocketFor` reads: the getKey result. */
export interface ConnectableKey {
  vendor: string;
  key: string;
  url?: string | undefined;
  /** Absent only from a broker that does not send it. */
  connect?: Connect | undefined;
}

export interface WebSocketForOptions {
  /** Query parameters the app adds, such as `sample_rate` or `model`; the credential's own parameter wins. */
  query?: Record<string, string>;
  /** Values for the endpoint's `{name}` path segments, such as ElevenLabs' `voice_id`. */
  path?: Record<string, string>;
}

const KEY_PLACEHOLDER = "{key}";

/**
 * Turns a minted key into `{url, protocols}` for `new WebSocket(url, protocols)`,
 * following its `connect`: the key in a query parameter, in the subprotocols, or
 * already in the answer's `url`. Throws for a vendor whose flow is not a browser
 * WebSocket carrying the key that way: WebRTC or HTTP (OpenAI, AceData,
 * Speechmatics batch keys), or a key sent in the first message (Soniox, AmiVoice),
 * which the vendor's SDK, or the app, sends once the socket is open.
 */
export function webSocketFor(minted: ConnectableKey, options: WebSocketForOptions = {}): WebSocketTarget {
  const { vendor, key, connect } = minted;
  if (connect === undefined) throw new Error(`${vendor}: the broker's answer has no connect`);
  const { credential } = connect;
  if (connect.transport !== "websocket") {
    throw new Error(`${vendor} connects over ${connect.transport}, not a WebSocket: use its SDK or connect.endpoint`);
  }
  if (credential.in === "url") {
    if (minted.url === undefined) throw new Error(`${vendor}: connect says to open url, and the answer has none`);
    return { url: withQuery(minted.url, options.query ?? {}), protocols: [] };
  }
  if (credential.in === "sdk") throw new Error(`${vendor} takes the key in its SDK, which opens its own connection`);
  if (credential.in === "message" || credential.in === "header") {
    const where =
      credential.in === "message" ? `the first message's ${credential.field}` : `the ${credential.name} header`;
    throw new Error(`${vendor} takes the key in ${where}, not in the URL or subprotocols: use its SDK`);
  }
  if (connect.endpoint === null) throw new Error(`${vendor} has no fixed endpoint to open`);
  const endpoint = connect.endpoint.replace(/\{([^}/]+)\}/g, (_, name: string) => {
    const value = options.path?.[name];
    if (value === undefined) throw new Error(`${vendor}'s endpoint needs options.path.${name}`);
    return encodeURIComponent(value);
  });
  const query = { ...connect.params, ...options.query };
  if (credential.in === "query") {
    const value = credential.scheme === undefined ? key : `${credential.scheme} ${key}`;
    return { url: withQuery(endpoint, { ...query, [credential.name]: value }), protocols: [] };
  }
  return {
    url: withQuery(endpoint, query),
    protocols: credential.protocols.map((protocol) => protocol.replace(KEY_PLACEHOLDER, key)),
  };
}

function withQuery(url: string, query: Record<string, string>): string {
  const target = new URL(url);
  for (const [name, value] of Object.entries(query)) target.searchParams.set(name, value);
  return target.toString();
}
