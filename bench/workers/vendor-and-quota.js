/**
 * Target G: F plus the one call a mint makes to the user's Durable Object
 * (issue 8's daily quota and deny), on the shipped UserState class from the
 * bundle: the floor for a broker that keeps those, since every mint must make
 * both calls. No JWT is verified; the user is told apart by the token's last
 * characters (its signature): one object per user, as many as A′ reaches.
 */
import { UserState } from "./broker.js";
import { callVendor } from "./vendor-only.js";

export { UserState };

const USER_NAME_CHARS = 16;

export default {
  async fetch(request, env) {
    await request.arrayBuffer();
    const user = (request.headers.get("Authorization") ?? "").slice(-USER_NAME_CHARS);
    const now = Date.now();
    const reservation = await env.USER_STATE.get(env.USER_STATE.idFromName(user)).reserve({
      day: new Date(now).toISOString().slice(0, 10),
      vendor: "soniox",
      limits: { total: Number(env.DAILY_MINT_QUOTA), vendor: null },
      now,
    });
    if (reservation.outcome !== "reserved") return Response.json(reservation, { status: 429 });
    return callVendor(env);
  },
};
