/// <reference path="./generated/worker-configuration.d.ts" />

/**
 * Bindings, vars and secrets of the Worker, from `Cloudflare.Env`, which
 * `npm run cf-typegen` generates out of wrangler.toml and the names in
 * .dev.vars.example (docs/configuration.md documents each one).
 *
 * Vars and secrets are optional here on purpose: `config.ts` reads them,
 * checks them and names what is missing. They may also arrive as numbers,
 * booleans or, for POLICY, an object, when written unquoted in wrangler.toml.
 * `AUDIT`, `USER_STATE`, `MINT_STATS` and `ASSETS` are typed as bound, as wrangler.toml binds them,
 * and `config.ts` still checks them at run time; `MINT_RATE_LIMITER` may be
 * removed to turn the burst limit off.
 */
type Generated = Cloudflare.Env;
type Bound = "AUDIT" | "USER_STATE" | "MINT_STATS" | "ASSETS";
/** The name of a var or secret; reading any other name is a type error, so Env cannot fall behind the code. */
export type Setting = { [Name in keyof Generated]: Generated[Name] extends string ? Name : never }[keyof Generated];

export type Env = Pick<Generated, Bound> & {
  MINT_RATE_LIMITER?: Generated["MINT_RATE_LIMITER"];
} & {
  [Name in Setting]?: string | number | boolean | Record<string, unknown>;
};
