import { createHmac, timingSafeEqual } from "node:crypto";
import type { WebSocket } from "ws";
import { type EmulatorReply, type KeyUseEndpoint, parseJsonMessage, type SignedVendorEmulator } from "./types";

/**
 * A LiveKit server's join check: no issuance API (the broker signs the access
 * token itself), only the signal WebSocket a client SDK opens under the server
 * URL, `/rtc/v1` (or `/rtc`, the older path the SDK falls back to), with the token as
 * `access_token` (livekit-client `src/api/SignalClient.ts`). As livekit-server
 * does, it finds the secret by the token's `iss` (the API key), verifies the
 * HS256 signature, `nbf` and `exp`, and requires an identity and a `video` grant
 * with `roomJoin` and a `room`; a refusal is an HTTP answer to the upgrade,
 * `401` with a plain-text reason, which the SDK reports as `NotAllowed`.
 *
 * On success it sends one `SignalResponse` with `join` (the room and the
 * participant the token named), in the protobuf JSON form livekit-client also
 * reads, and stays open until the client leaves; there is no media.
 * @see https://docs.livekit.io/frontends/reference/tokens-grants/
 */
export const livekitProject = {
  apiKey: "APIemulatorLiveKit",
  apiSecret: "emulatorLiveKitApiSecret0000000000000000",
};

/** The leeway on `nbf`/`exp`: go-jose's `jwt.DefaultLeeway`, which LiveKit's token check uses. */
const CLOCK_TOLERANCE_SECONDS = 60;

interface VideoGrant {
  room?: unknown;
  roomJoin?: unknown;
  canPublish?: unknown;
  canSubscribe?: unknown;
  canPublishData?: unknown;
}

type Admission = { claims: Record<string, unknown> } | { refused: EmulatorReply };

function unauthorized(reason: string): Admission {
  return { refused: { status: 401, headers: { "content-type": "text/plain; charset=utf-8" }, body: reason } };
}

const decodePart = (part: string) => parseJsonMessage(Buffer.from(part, "base64url").toString("utf8"));

/** The token's claims when this server would let it join; otherwise the refusal. */
export function admitJoin(token: string | null, nowSeconds: number): Admission {
  if (!token) return unauthorized("no authorization token provided");
  const parts = token.split(".");
  if (parts.length !== 3) return unauthorized("invalid token");
  const [headerPart, claimsPart, signature] = parts as [string, string, string];
  const header = decodePart(headerPart);
  const claims = decodePart(claimsPart);
  if (header.alg !== "HS256") return unauthorized("invalid token: unsupported algorithm");
  // The secret is the one of the API key the token names.
  if (claims.iss !== livekitProject.apiKey) return unauthorized("invalid API key");
  const expected = createHmac("sha256", livekitProject.apiSecret).update(`${headerPart}.${claimsPart}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return unauthorized("invalid token: signature is invalid");
  }
  if (typeof claims.exp !== "number" || nowSeconds > claims.exp + CLOCK_TOLERANCE_SECONDS) {
    return unauthorized("invalid token: token is expired");
  }
  if (typeof claims.nbf === "number" && nowSeconds < claims.nbf - CLOCK_TOLERANCE_SECONDS) {
    return unauthorized("invalid token: token is not valid yet");
  }
  if (typeof claims.sub !== "string" || claims.sub === "") {
    return unauthorized("permissions denied: identity cannot be empty");
  }
  const video = (claims.video ?? {}) as VideoGrant;
  if (video.roomJoin !== true) return unauthorized("permissions denied: no roomJoin grant");
  if (typeof video.room !== "string" || video.room === "") return unauthorized("permissions denied: no room");
  return { claims };
}

/** The JSON form of `SignalResponse{join}`: the room and the participant with the permissions granted. */
function joinResponse(claims: Record<string, unknown>): string {
  const video = claims.video as VideoGrant;
  // A grant left out means true, as in livekit-server.
  const granted = (value: unknown) => value !== false;
  return JSON.stringify({
    join: {
      room: { name: video.room },
      participant: {
        identity: claims.sub,
        name: typeof claims.name === "string" ? claims.name : "",
        metadata: typeof claims.metadata === "string" ? claims.metadata : "",
        permission: {
          canPublish: granted(video.canPublish),
          canSubscribe: granted(video.canSubscribe),
          canPublishData: granted(video.canPublishData),
        },
      },
    },
  });
}

function signalPath(path: string): KeyUseEndpoint {
  const admitted = (query: URLSearchParams) => admitJoin(query.get("access_token"), Math.floor(Date.now() / 1000));
  return {
    kind: "websocket",
    path,
    refuse: ({ query }) => {
      const outcome = admitted(query);
      return "refused" in outcome ? outcome.refused : undefined;
    },
    open(socket: WebSocket, { query }) {
      const outcome = admitted(query);
      if ("claims" in outcome) socket.send(joinResponse(outcome.claims));
    },
  };
}

export const livekit: SignedVendorEmulator = {
  vendor: "livekit",
  masterKey: livekitProject.apiSecret,
  keyUse: [signalPath("/rtc"), signalPath("/rtc/v1")],
};
