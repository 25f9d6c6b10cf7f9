import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../app-env";
import { requireEndUser } from "../auth/middleware";
import type { Deps } from "../deps";
import { brokerError } from "../errors";
import { readJsonObject } from "../http/body";
import { parseOrThrow } from "../http/validation";
import { mintKey } from "../mint";
import { countMints } from "../stats/counting";
import { mintContext } from "./keys";

/**
 * POST /v1/livekit/token: LiveKit's standard token endpoint, which every LiveKit
 * client SDK's endpoint `TokenSource` calls. It takes LiveKit's request, mints
 * through the same flow as `POST /v1/keys/livekit` (auth, POLICY, burst limit,
 * quota, deny, audit) and answers LiveKit's `201 {server_url, participant_token}`.
 * @see https://docs.livekit.io/frontends/build/authentication/endpoint/
 */

/** Fields of LiveKit's `TokenSourceRequest` a client may not set here, and why; LiveKit asks for a 4xx. */
export const LIVEKIT_REFUSED_FIELDS: Record<string, string> = {
  participant_identity: "the identity is always the signed-in user's client_ref",
  room_config: "room configuration and agent dispatch are the operator's, not the client's",
  participant_attributes: "participant attributes are not supported by this broker",
};

/** The request's fields this endpoint takes, each mapped to the `livekit` option it sets. */
export const livekitTokenRequestSchema = z.strictObject({
  room_name: z.optional(z.string()),
  participant_name: z.optional(z.string()),
  participant_metadata: z.optional(z.string()),
});

export function livekitRoutes(deps: Pick<Deps, "now" | "fetch" | "countMint">) {
  const counting = countMints(deps.countMint, "livekit");
  return new Hono<AppEnv>().post("/token", counting, requireEndUser, async (c) => {
    // As POST /v1/keys/{vendor}: every mint is audited, so a missing AUDIT binding is refused first.
    c.var.config.auditNamespace();
    c.var.logFields.vendor = "livekit";
    const body = await readJsonObject(c.req.raw);
    for (const [field, why] of Object.entries(LIVEKIT_REFUSED_FIELDS)) {
      // An empty object sets nothing, so it is taken as absent.
      if (Object.hasOwn(body, field) && !isEmptyObject(body[field])) {
        throw brokerError("invalid_request", `invalid LiveKit token request: ${field} cannot be set: ${why}`);
      }
      delete body[field];
    }
    const request = parseOrThrow(livekitTokenRequestSchema, body, "LiveKit token request");
    const options = {
      ...(request.room_name === undefined ? {} : { room: request.room_name }),
      ...(request.participant_name === undefined ? {} : { name: request.participant_name }),
      ...(request.participant_metadata === undefined ? {} : { metadata: request.participant_metadata }),
    };
    const minted = await mintKey("livekit", options, mintContext(c, deps));
    c.var.logFields.issuance_id = minted.issuance_id;
    return c.json({ server_url: minted.connect.endpoint, participant_token: minted.key }, 201);
  });
}

function isEmptyObject(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0;
}
