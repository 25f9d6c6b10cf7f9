import { Hono } from "hono";
import * as z from "zod/mini";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth/middleware";
import { DEFAULT_USERS_PAGE_SIZE, MAX_STATS_WINDOW_MS, MAX_USERS_PAGE_SIZE } from "../constants";
import type { Deps } from "../deps";
import { brokerError } from "../errors";
import { parseOrThrow } from "../http/validation";
import { readStats, readUsers } from "../stats/shards";
import { currentDeny, utcDay } from "../user-state/client";
import { vendorIdSchema } from "../vendors/registry";

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const limitMessage = `limit must be an integer from 1 to ${MAX_USERS_PAGE_SIZE}`;

export const statsQuerySchema = z.strictObject({
  since: z.optional(z.iso.datetime({ offset: true })),
  until: z.optional(z.iso.datetime({ offset: true })),
  vendor: z.optional(vendorIdSchema),
});

export const usersQuerySchema = z.strictObject({
  day: z.optional(z.iso.date()),
  limit: z.optional(
    z.pipe(
      z.pipe(z.string().check(z.regex(/^\d{1,9}$/, limitMessage)), z.transform(Number)),
      z.int().check(z.minimum(1, limitMessage), z.maximum(MAX_USERS_PAGE_SIZE, limitMessage)),
    ),
  ),
  cursor: z.optional(z.string().check(z.maxLength(1024))),
});

/** GET /v1/admin/stats and GET /v1/admin/users: the mint counts (src/stats/), for the operator (`requireAdmin`). */
export function statsRoutes({ now }: Deps) {
  return new Hono<AppEnv>()
    .get("/stats", requireAdmin, async (c) => {
      const query = parseOrThrow(statsQuerySchema, c.req.query(), "stats query");
      const until = query.until === undefined ? now() : new Date(query.until);
      // By default the 24 hours up to `until`, the current hour included.
      const since =
        query.since === undefined
          ? new Date(Math.floor(until.getTime() / HOUR_MS) * HOUR_MS - 23 * HOUR_MS)
          : new Date(query.since);
      if (since >= until) throw brokerError("invalid_request", "invalid stats query: since must be before until");
      if (until.getTime() - since.getTime() > MAX_STATS_WINDOW_MS) {
        throw brokerError("invalid_request", "invalid stats query: since and until may be at most 7 days apart");
      }
      const namespace = c.var.config.mintStatsNamespace();
      const counts = await reading(() =>
        readStats(namespace, { since, until, vendor: query.vendor, days: daysOf(since, until) }),
      );
      return c.json({
        since: since.toISOString(),
        until: until.toISOString(),
        hours: counts.hours,
        distinct_users: counts.distinctUsers,
      });
    })
    .get("/users", requireAdmin, async (c) => {
      const query = parseOrThrow(usersQuerySchema, c.req.query(), "users query");
      const { config } = c.var;
      const at = now();
      const day = query.day ?? utcDay(at);
      const after = query.cursor === undefined ? null : decodeUsersCursor(query.cursor, day);
      const limit = query.limit ?? DEFAULT_USERS_PAGE_SIZE;
      const namespace = config.mintStatsNamespace();
      const dailyQuota = config.dailyMintQuota();
      const userStates = config.userStateNamespace();
      const page = await reading(() => readUsers(namespace, { day, after, limit }));
      // The deny state is read from the deny list (each user's object), not kept with the counts.
      const users = await Promise.all(
        page.users.map(async (user) => {
          const deny = await currentDeny(userStates, user.client_ref, at);
          return {
            ...user,
            daily_quota: dailyQuota,
            deny: deny && { reason: deny.reason, until: deny.until, actor: deny.actor },
          };
        }),
      );
      const last = page.users.at(-1);
      return c.json({ day, users, cursor: page.more && last ? encodeUsersCursor(day, last.client_ref) : null });
    });
}

/** The UTC days a window touches, oldest first; `until` itself is not in the window. */
function daysOf(since: Date, until: Date): string[] {
  const days: string[] = [];
  for (let ms = Date.parse(`${utcDay(since)}T00:00:00Z`); ms < until.getTime(); ms += DAY_MS) {
    days.push(utcDay(new Date(ms)));
  }
  return days;
}

/** One read of the shards; any failure is `503 stats_unavailable`. */
async function reading<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw brokerError("stats_unavailable", "the mint counts could not be read; retry later", {
      internal: `mint stats read failed: ${error instanceof Error ? error.name : "unknown"}`,
    });
  }
}

/** base64url of `[day, last client_ref returned]`: bound to its day, so another day's page is not answered with it. */
export function encodeUsersCursor(day: string, after: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify([day, after]));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function decodeUsersCursor(cursor: string, day: string): string {
  let fields: unknown;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    fields = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
  } catch {
    fields = null;
  }
  if (!Array.isArray(fields) || fields.length !== 2 || typeof fields[1] !== "string") {
    throw brokerError("invalid_request", "cursor is not one this API returned");
  }
  if (fields[0] !== day) {
    throw brokerError("invalid_request", "cursor was returned for another day; send it with the same day");
  }
  return fields[1];
}
