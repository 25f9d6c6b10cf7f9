import * as z from "zod/mini";
import { exportEndLineSchema, exportErrorLineSchema } from "../audit/export";
import { MAX_CLIENT_REF_CHARS } from "../constants";
import { ERROR_CODES, type ErrorCode } from "../errors";
import { ISSUANCE_ID_PATTERN } from "../ids";
import { MINT_OUTCOMES } from "../stats/outcome";
import { UNKNOWN_VENDOR } from "../stats/shards";
import { connectSchema } from "../vendors/connect-schema";
import { type VendorId, vendorIdSchema, vendors } from "../vendors/registry";

/** Response shapes, for the OpenAPI document and for tests that hold real responses to it. */

export const errorResponseSchema = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string().check(z.minLength(1)),
    request_id: z.uuid(),
  }),
});

export const healthResponseSchema = z.strictObject({ status: z.literal("ok") });

/** Every setting or binding that is wrong, by name; never its value. */
export const degradedResponseSchema = z.strictObject({
  status: z.literal("degraded"),
  problems: z
    .array(z.strictObject({ variable: z.string().check(z.minLength(1)), problem: z.string().check(z.minLength(1)) }))
    .check(z.minLength(1)),
});

const count = z.int().check(z.nonnegative());
const clientRef = z.string().check(z.minLength(1), z.maxLength(MAX_CLIENT_REF_CHARS));
/** An issuance id, or an id-order position like it (an export cursor). */
const issuanceId = z.string().check(z.regex(ISSUANCE_ID_PATTERN));

export const vendorListSchema = z.strictObject({
  vendors: z.array(
    z.strictObject({
      id: vendorIdSchema,
      /** All three equal for a vendor whose credentials live a fixed time. */
      ttl_seconds: z.strictObject({ min: count, max: count, default: count }),
      /** What the credential allows: single or multiple use, session caps, fixed life. */
      credential: z.string(),
      /** JSON Schema of each option the vendor's request body takes. */
      options: z.record(z.string(), z.record(z.string(), z.unknown())),
      /** How a client presents a key minted with the default options. */
      connect: connectSchema,
    }),
  ),
});

export const usageResponseSchema = z.strictObject({
  client_ref: clientRef,
  /** The UTC day counted, `YYYY-MM-DD`. */
  day: z.iso.date(),
  mints: count,
  /** Null when there is no daily quota. */
  quota: z.nullable(count),
  remaining: z.nullable(count),
  /** Vendors the caller minted for today, or that have a daily quota of their own. */
  vendors: z.partialRecord(vendorIdSchema, z.strictObject({ mints: count, quota: z.nullable(count) })),
});

export const denyStateSchema = z.strictObject({
  client_ref: clientRef,
  /** True while new keys are refused for this user. */
  denied: z.boolean(),
  reason: z.nullable(z.string()),
  until: z.nullable(z.iso.datetime()),
  since: z.nullable(z.iso.datetime()),
  actor: z.nullable(z.string()),
});

/** `GET /v1/admin/stats`: the counts of finished mint requests per UTC hour, vendor and outcome. */
export const statsResponseSchema = z.strictObject({
  since: z.iso.datetime(),
  until: z.iso.datetime(),
  hours: z.array(
    z.strictObject({
      hour: z.iso.datetime(),
      vendor: z.union([vendorIdSchema, z.literal(UNKNOWN_VENDOR)]),
      outcome: z.enum(MINT_OUTCOMES),
      count: z.int().check(z.positive()),
    }),
  ),
  distinct_users: z.array(z.strictObject({ day: z.iso.date(), count })),
});

/** `GET /v1/admin/users`: one page of a day's users. */
export const usersResponseSchema = z.strictObject({
  day: z.iso.date(),
  users: z.array(
    z.strictObject({
      client_ref: clientRef,
      mints: count,
      refusals: count,
      last_mint_at: z.nullable(z.iso.datetime()),
      vendors: z.array(z.union([vendorIdSchema, z.literal(UNKNOWN_VENDOR)])),
      daily_quota: z.nullable(count),
      deny: z.nullable(
        z.strictObject({ reason: z.string(), until: z.nullable(z.iso.datetime()), actor: z.nullable(z.string()) }),
      ),
    }),
  ),
  cursor: z.nullable(z.string()),
});

/** `GET /v1/admin/vendors`: each vendor's state, for the console's health panel. */
export const vendorStatesSchema = z.strictObject({
  vendors: z.array(
    z.strictObject({
      id: vendorIdSchema,
      state: z.enum(["configured", "not_configured", "misconfigured", "disabled"]),
      loopback: z.boolean(),
    }),
  ),
});

/** What `GET /openapi.json` answers: this document; only its top level is described here. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.literal("3.1.0"),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.record(z.string(), z.unknown()),
});

/**
 * A vendor's request fields as its answer echoes them: a field with a default
 * is always there, an optional one only when it was sent (or forced by `POLICY`).
 */
function echoed<Fields extends Record<string, z.ZodMiniType>>(fields: Fields): Record<keyof Fields, z.ZodMiniType> {
  return Object.fromEntries(
    Object.entries(fields).map(([name, field]) => {
      const def = (field as unknown as z.ZodMiniDefault).def;
      return [name, def.type === "default" ? def.innerType : field];
    }),
  ) as Record<keyof Fields, z.ZodMiniType>;
}

/** What every minted key's answer holds, whatever the vendor. */
function mintedKeyBase<V extends VendorId>(vendor: V) {
  const { min, max } = vendors[vendor].ttl;
  return {
    vendor: z.literal(vendor),
    key: z.string().check(z.minLength(1)),
    expires_at: z.iso.datetime(),
    ttl_seconds: z.int().check(z.minimum(min), z.maximum(max)),
    client_ref: clientRef,
    issuance_id: issuanceId,
    /** How the client presents the key; names places only, never a secret. */
    connect: connectSchema,
  };
}

const singleUse = z.literal(true);

/**
 * Each vendor's `201` answer: the key and the options the adapter applied
 * (`applied` in src/vendors/<vendor>.ts), which src/mint.ts spreads into the
 * answer. Strict, so that a test holding real answers to these schemas fails
 * when an adapter starts answering a field the document does not name.
 */
export const mintedKeySchemas = {
  soniox: z.strictObject({ ...mintedKeyBase("soniox"), ...echoed(vendors.soniox.fields) }),
  speechmatics: z.strictObject({ ...mintedKeyBase("speechmatics"), ...echoed(vendors.speechmatics.fields) }),
  amivoice: z.strictObject({ ...mintedKeyBase("amivoice"), ...echoed(vendors.amivoice.fields), ip_bound: z.boolean() }),
  acedata: z.strictObject({
    ...mintedKeyBase("acedata"),
    ...echoed(vendors.acedata.fields),
    host: z.optional(z.string().check(z.minLength(1), z.maxLength(253))),
  }),
  deepgram: z.strictObject(mintedKeyBase("deepgram")),
  xai: z.strictObject(mintedKeyBase("xai")),
  azure: z.strictObject({ ...mintedKeyBase("azure"), region: z.string().check(z.regex(/^[a-z][a-z0-9]{1,39}$/)) }),
  openai: z.strictObject({ ...mintedKeyBase("openai"), ...echoed(vendors.openai.fields) }),
  gemini: z.strictObject({
    ...mintedKeyBase("gemini"),
    ...echoed(vendors.gemini.fields),
    single_use: z.optional(singleUse),
  }),
  assemblyai: z.strictObject({
    ...mintedKeyBase("assemblyai"),
    ...echoed(vendors.assemblyai.fields),
    single_use: singleUse,
  }),
  elevenlabs: z.discriminatedUnion("kind", [
    z.strictObject({
      ...mintedKeyBase("elevenlabs"),
      kind: z.enum(["realtime_scribe", "tts_websocket"]),
      single_use: singleUse,
    }),
    z.strictObject({
      ...mintedKeyBase("elevenlabs"),
      kind: z.literal("agent"),
      agent_id: vendors.elevenlabs.fields.agent_id.def.innerType,
      /** The WebSocket URL to connect to; `key` is the credential inside it. */
      url: z.string().check(z.regex(/^wss?:\/\/[^\s]+$/)),
    }),
  ]),
  cartesia: z.strictObject({ ...mintedKeyBase("cartesia"), ...echoed(vendors.cartesia.fields) }),
  mistral: z.strictObject({ ...mintedKeyBase("mistral"), ...echoed(vendors.mistral.fields) }),
  gladia: z.strictObject({
    ...mintedKeyBase("gladia"),
    ...echoed(vendors.gladia.fields),
    session_id: z.string().check(z.minLength(1), z.maxLength(128)),
    single_use: singleUse,
    /** The session's WebSocket URL; `key` is the token inside it. */
    url: z.string().check(z.regex(/^wss?:\/\/[^\s]+$/)),
  }),
  livekit: z.strictObject({ ...mintedKeyBase("livekit"), ...echoed(vendors.livekit.fields) }),
  "aws-transcribe": z.strictObject({
    ...mintedKeyBase("aws-transcribe"),
    ...echoed(vendors["aws-transcribe"].fields),
    session_id: z.uuid(),
    single_use: singleUse,
    /** The presigned URL; `key` is its X-Amz-Signature. */
    url: z.string().check(z.regex(/^wss?:\/\/[^\s]+[?&]X-Amz-Signature=[0-9a-f]{64}(&|$)/)),
  }),
  "twilio-voice": z.strictObject({ ...mintedKeyBase("twilio-voice"), ...echoed(vendors["twilio-voice"].fields) }),
} satisfies Record<VendorId, z.ZodMiniType>;

/** `POST /v1/livekit/token`'s `201`, LiveKit's `TokenSourceResponse`. */
export const livekitTokenResponseSchema = z.strictObject({
  server_url: z.string().check(z.regex(/^wss?:\/\/[^\s?#]+$/)),
  participant_token: z.string().check(z.minLength(1)),
});

/** The last line of an export that ended normally, as documented: the cursor is a position in id order. */
export const exportEndLineDocSchema = z.extend(exportEndLineSchema, { cursor: issuanceId });

/** The last line of an export that failed after it started streaming, as documented. */
export const exportErrorLineDocSchema = z.extend(exportErrorLineSchema, {
  error: errorResponseSchema.shape.error,
  cursor: issuanceId,
});
