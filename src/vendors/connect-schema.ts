import * as z from "zod/mini";
import { type Connect, KEY_PLACEHOLDER } from "./connect";

/**
 * The schema of `connect` (src/vendors/connect.ts), for the OpenAPI document and
 * the tests. Kept apart from connect.ts so that the Worker's bundle, which only
 * builds `connect` values, does not carry it.
 */

const name = z.string().check(z.minLength(1), z.maxLength(64));

/** Where the credential goes. */
export const connectCredentialSchema = z.discriminatedUnion("in", [
  /** A query parameter of `endpoint`, named `name`; with `scheme`, its value is the scheme, a space and the key (Azure's `Authorization=Bearer <key>`). */
  z.strictObject({ in: z.literal("query"), name, scheme: z.optional(name) }),
  /** WebSocket subprotocols, in order; the one holding `{key}` carries the key in its place. */
  z.strictObject({
    in: z.literal("subprotocols"),
    protocols: z.array(name).check(
      z.minLength(1),
      z.refine((p) => p.filter((one) => one.includes(KEY_PLACEHOLDER)).length === 1, "one protocol holds {key}"),
    ),
  }),
  /** A request header, with its scheme (`Authorization: Bearer <key>`). */
  z.strictObject({ in: z.literal("header"), name, scheme: z.optional(name) }),
  /** The answer's `url` already carries the credential: open it as it is. */
  z.strictObject({ in: z.literal("url") }),
  /** Field `field` of the first message the client sends once the socket is open. */
  z.strictObject({ in: z.literal("message"), field: name }),
  /**
   * The vendor's client SDK takes the key and opens its own connection under `endpoint`: given both
   * (LiveKit's `room.connect(endpoint, key)`), or given the key alone, knowing `endpoint` itself
   * (Twilio's `new Device(key)`).
   */
  z.strictObject({ in: z.literal("sdk") }),
]);

export const connectSchema = z.strictObject({
  /** How the client reaches the vendor. */
  transport: z.enum(["websocket", "webrtc", "http"]),
  /**
   * The URL to open, where the vendor has a fixed one; null otherwise. A `{name}`
   * path segment (ElevenLabs' `{voice_id}`) is the app's to fill in.
   */
  endpoint: z.nullable(z.string().check(z.regex(/^(wss?|https?):\/\/[^\s?#]+$/))),
  credential: connectCredentialSchema,
  /** Query parameters the vendor requires beside the credential, with their values; absent when none. */
  params: z.optional(z.record(name, z.string())),
});

/** True when A and B are the same shape: the schema and the type the adapters build cannot drift apart. */
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const connectSchemaMatchesType: SameShape<Connect, z.infer<typeof connectSchema>> = true;
