import { SignJWT } from "jose";
import * as z from "zod/mini";
import type { VarReader } from "../config";
import { misconfigured } from "../errors";
import type { Connect } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";

/**
 * LiveKit access tokens, signed by the broker with the project's API secret: no
 * call to LiveKit. The claims are those of livekit-server-sdk's `AccessToken`
 * with a `VideoGrant` that joins one room and holds no administrative grant.
 * @see https://docs.livekit.io/frontends/reference/tokens-grants/
 */

/**
 * livekit-server refuses to start with a shorter API secret, so a shorter one
 * is a setting that cannot work.
 */
const MIN_API_SECRET_CHARS = 32;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** LiveKit caps no room name in its docs; this is the broker's bound, sent to LiveKit as given. */
export const MAX_ROOM_CHARS = 128;
/**
 * The broker's room-name set: ASCII letters, digits and `_ - . : @ |`, wide
 * enough for a `client_ref` (a pseudonym `u_…`, a UUID, Auth0's `auth0|…`, an
 * email) and free of characters that need escaping in URLs and recording paths.
 */
const ROOM_PATTERN = /^[A-Za-z0-9_.:@|-]+$/;
const ROOM_RULE = `room must be 1 to ${MAX_ROOM_CHARS} characters of A-Z, a-z, 0-9, _ - . : @ |`;
/** A room the broker names when the request names none. */
const NEW_ROOM_PREFIX = "room-";
const MAX_NAME_CHARS = 128;
const MAX_METADATA_CHARS = 1024;

const fields = {
  /**
   * The one room the token joins. Left out, a new room of the user's own, as
   * LiveKit's starter apps name one per session. A room `POLICY` derives from
   * the user (`user-{client_ref}`) is checked against the same rule.
   */
  room: z.optional(z.string().check(z.maxLength(MAX_ROOM_CHARS, ROOM_RULE), z.regex(ROOM_PATTERN, ROOM_RULE))),
  can_publish: z._default(z.boolean(), true),
  can_subscribe: z._default(z.boolean(), true),
  can_publish_data: z._default(z.boolean(), true),
  /** The participant's display name (`name`); the identity is always the broker's client_ref. */
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_NAME_CHARS))),
  /** Participant metadata the app reads in the room (`metadata`), as LiveKit's one opaque string. */
  metadata: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_METADATA_CHARS))),
};

type LiveKitOptions = z.output<z.ZodMiniObject<typeof fields>>;

export interface LiveKitSettings {
  apiKey: string;
  apiSecret: string;
  /** The `wss:` server URL a client connects to (`room.connect(serverUrl, token)`). */
  serverUrl: string;
}

export const livekit = {
  name: "livekit",
  // LiveKit checks expiry only when a client first joins, so the TTL bounds the join, not the session.
  ttl: { min: 60, max: 86_400, default: 600 },
  // The API key is no secret: every token names it as `iss`.
  secretVars: ["LIVEKIT_API_SECRET"],
  credential:
    "a LiveKit access token that joins one room as the user's client_ref, with the publish, subscribe and data rights it was minted with and no administrative grant; usable to join until it expires (a session already joined is not cut)",
  fields,

  settings(vars: VarReader): LiveKitSettings | undefined {
    const apiKey = vars.optional("LIVEKIT_API_KEY");
    const apiSecret = vars.optional("LIVEKIT_API_SECRET");
    if (!apiKey && !apiSecret) return undefined;
    if (!apiKey) throw misconfigured("LIVEKIT_API_KEY", "LiveKit: LIVEKIT_API_SECRET is set without LIVEKIT_API_KEY");
    if (!apiSecret || apiSecret.length < MIN_API_SECRET_CHARS) {
      throw misconfigured(
        "LIVEKIT_API_SECRET",
        `LiveKit: LIVEKIT_API_SECRET must be set to the API key's secret (at least ${MIN_API_SECRET_CHARS} characters)`,
      );
    }
    return { apiKey, apiSecret, serverUrl: readServerUrl(vars.optional("LIVEKIT_URL")) };
  },

  connect(settings: LiveKitSettings): Connect {
    // The client SDKs open their own signal path under the server URL (`/rtc`), then WebRTC.
    return { transport: "webrtc", endpoint: settings.serverUrl, credential: { in: "sdk" } };
  },

  // No request leaves the broker, so there is no vendor answer to read.
  readFailure: () => ({}),

  async mint({ settings, options, ttlSeconds, clientRef, now }: MintInput<LiveKitSettings, LiveKitOptions>) {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const expiresSeconds = nowSeconds + ttlSeconds;
    const jti = crypto.randomUUID();
    const { can_publish, can_subscribe, can_publish_data, name, metadata } = options;
    // Unguessable, so that nobody else is handed a token for it unless the app shares the name.
    const room = options.room ?? `${NEW_ROOM_PREFIX}${crypto.randomUUID()}`;
    const key = await new SignJWT({
      // Only these grants: none of roomAdmin, roomCreate, roomList, roomRecord, recorder, ingressAdmin, hidden, agent.
      video: {
        room,
        roomJoin: true,
        canPublish: can_publish,
        canSubscribe: can_subscribe,
        canPublishData: can_publish_data,
      },
      ...(name === undefined ? {} : { name }),
      ...(metadata === undefined ? {} : { metadata }),
    })
      // As livekit-server-sdk's AccessToken writes it.
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(settings.apiKey)
      .setSubject(clientRef)
      .setNotBefore(nowSeconds)
      .setExpirationTime(expiresSeconds)
      .setJti(jti)
      .sign(new TextEncoder().encode(settings.apiSecret));
    return {
      key,
      expiresAt: new Date(expiresSeconds * 1000),
      applied: { ...options, room },
      vendorKeyId: jti,
    } satisfies MintedKey;
  },
} satisfies VendorAdapter<LiveKitSettings, LiveKitOptions>;

/** `LIVEKIT_URL`: `wss:`, or `ws:` on a loopback host (a local server or the emulator), with nothing but a host and path. */
function readServerUrl(text: string | undefined): string {
  const rule = "LiveKit: LIVEKIT_URL must be the wss:// server URL (ws:// only for localhost)";
  if (text === undefined) throw misconfigured("LIVEKIT_URL", rule);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw misconfigured("LIVEKIT_URL", rule);
  }
  const secure = url.protocol === "wss:" || (url.protocol === "ws:" && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure || url.search || url.hash || url.username || url.password) throw misconfigured("LIVEKIT_URL", rule);
  return text.replace(/\/+$/, "");
}
