/**
 * Not a target: the stack's libraries alone, using the APIs the broker uses of
 * them (Hono's app and router, zod/mini's schema kinds and checks, jose's
 * jwtVerify on a local key set and SignJWT for the tokens it signs itself), with none of the broker's own code. Bundled and
 * gzipped as the broker is (bundle.ts), it is the least a bundle on this stack
 * can weigh. Update it when the broker starts using another of their APIs.
 */
import { Hono } from "hono";
import { base64url, createLocalJWKSet, errors, jwtVerify, SignJWT } from "jose";
import * as z from "zod/mini";

const body = z.strictObject({
  text: z.optional(
    z.string().check(
      z.minLength(1),
      z.maxLength(64),
      z.regex(/^[a-z]+$/),
      z.refine((text) => text !== "none", "not none"),
    ),
  ),
  count: z.nullable(z.int().check(z.minimum(1), z.maximum(9), z.positive(), z.nonnegative())),
  ratio: z.number(),
  flag: z.boolean(),
  kind: z.enum(["a", "b"]),
  tags: z.array(z.literal("x")),
  table: z.record(z.string(), z.unknown()),
  some: z.partialRecord(z.enum(["a"]), z.string()),
  at: z.union([z.iso.datetime({ offset: true }), z.iso.date(), z.uuid()]),
  piped: z.pipe(
    z.string(),
    z.transform((text) => text.length),
  ),
  loose: z.looseObject({}),
  either: z.discriminatedUnion("type", [z.object({ type: z.literal("a") }), z.object({ type: z.literal("b") })]),
  more: z.extend(z.object({}), { x: z.string() }),
});

const keys = createLocalJWKSet({ keys: [] });
const app = new Hono();
app.use(async (c, next) => {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
});
app.post("/v1/keys/:vendor", async (c) => {
  const parsed = z.safeParse(body, await c.req.json());
  try {
    await jwtVerify(c.req.header("Authorization") ?? "", keys, { algorithms: ["RS256"] });
  } catch (error) {
    if (error instanceof errors.JOSEError) return c.json({ error: error.code }, 401);
  }
  const signed = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32));
  return c.json({ ok: parsed.success, vendor: c.req.param("vendor"), id: base64url.encode("x"), signed });
});
app.route(
  "/v1/more",
  new Hono().get("/", (c) => c.text("")),
);
app.notFound((c) => c.json({}, 404));
app.onError((_error, c) => c.json({}, 500));

export default app;
