import { describe, expect, it } from "vitest";
import { getConfig } from "../../../src/config";
import type { Env } from "../../../src/env";
import { ConfigProblem } from "../../../src/errors";
import { brokerEnv, call, expectError, HS256_SECRET, uniqueUser } from "../../helpers/broker";
import { nowSeconds, PRESET_ONLY, ProviderKeys, withToken } from "./provider-keys";

/** The auth settings `AUTH_PROVIDER` (and anything else in `env`) yields, read as the routes read them. */
function auth(env: Partial<Env>) {
  return getConfig(brokerEnv({ AUTH_JWKS_URL: undefined, ...PRESET_ONLY, ...env })).auth();
}

/** The ConfigProblem `auth()` throws for `env`. */
function problem(env: Partial<Env>): ConfigProblem {
  try {
    auth(env);
  } catch (error) {
    if (error instanceof ConfigProblem) return error;
    throw error;
  }
  throw new Error("expected a configuration problem");
}

describe("AUTH_PROVIDER derives the JWKS URL, issuer and audience", () => {
  it.each<[string, Partial<Env>, Record<string, unknown>]>([
    [
      "firebase",
      { AUTH_PROVIDER: "firebase:keys-demo-7f3a" },
      {
        jwksUrl: "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
        issuer: "https://securetoken.google.com/keys-demo-7f3a",
        audience: "keys-demo-7f3a",
        algorithms: ["RS256"],
      },
    ],
    [
      "auth0",
      { AUTH_PROVIDER: "auth0:keys-demo.eu.auth0.com", AUTH_AUDIENCE: "https://api.keys-demo.example" },
      {
        jwksUrl: "https://keys-demo.eu.auth0.com/.well-known/jwks.json",
        issuer: "https://keys-demo.eu.auth0.com/",
        audience: "https://api.keys-demo.example",
        algorithms: ["RS256"],
      },
    ],
    [
      "clerk",
      { AUTH_PROVIDER: "clerk:clerk.keys-demo.example" },
      {
        jwksUrl: "https://clerk.keys-demo.example/.well-known/jwks.json",
        issuer: "https://clerk.keys-demo.example",
        audience: undefined,
        algorithms: ["RS256"],
      },
    ],
    [
      "supabase",
      { AUTH_PROVIDER: "supabase:qwertyuiopasdfghjklz" },
      {
        jwksUrl: "https://qwertyuiopasdfghjklz.supabase.co/auth/v1/.well-known/jwks.json",
        issuer: "https://qwertyuiopasdfghjklz.supabase.co/auth/v1",
        audience: "authenticated",
        algorithms: ["ES256", "RS256"],
      },
    ],
    [
      "cognito",
      { AUTH_PROVIDER: "cognito:eu-west-1/eu-west-1_Ab12Cd34E", AUTH_AUDIENCE: "5r8q1v2k3m4n5b6c7d8e9f0g1h" },
      {
        jwksUrl: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E/.well-known/jwks.json",
        issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E",
        // Checked on client_id or aud, by token_use, in place of jose's aud check.
        audience: undefined,
        algorithms: ["RS256"],
      },
    ],
  ])("for %s", (_id, env, expected) => {
    const config = auth(env);
    expect(config.mode).toBe("jwks");
    if (config.mode !== "jwks") return;
    expect({
      jwksUrl: config.jwksUrl.href,
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms,
    }).toEqual(expected);
  });

  it("gives every preset without an audience a claim check in its place", () => {
    for (const env of [
      { AUTH_PROVIDER: "clerk:clerk.keys-demo.example" },
      { AUTH_PROVIDER: "cognito:eu-west-1/eu-west-1_Ab12Cd34E", AUTH_AUDIENCE: "5r8q1v2k3m4n5b6c7d8e9f0g1h" },
    ]) {
      const config = auth(env);
      expect(config.audience).toBeUndefined();
      expect(config.checkClaims).toBeTypeOf("function");
    }
  });

  it("lets explicit AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE win", () => {
    const config = auth({
      AUTH_PROVIDER: "firebase:keys-demo-7f3a",
      AUTH_JWKS_URL: "https://keys.example.com/jwks.json",
      AUTH_ISSUER: "https://issuer.example.com",
      AUTH_AUDIENCE: "explicit-audience",
    });
    expect(config).toMatchObject({ mode: "jwks", issuer: "https://issuer.example.com", audience: "explicit-audience" });
    expect(config.mode === "jwks" && config.jwksUrl.href).toBe("https://keys.example.com/jwks.json");
  });

  it("leaves configuration without AUTH_PROVIDER as it was", () => {
    const config = auth({ AUTH_JWKS_URL: "https://keys.example.com/jwks.json", AUTH_ISSUER: "i", AUTH_AUDIENCE: "a" });
    expect(config).toMatchObject({ mode: "jwks", issuer: "i", audience: "a" });
    expect(config.mode === "jwks" && config.algorithms).toBeUndefined();
    expect(config.checkClaims).toBeUndefined();
  });

  it("reads ALLOWED_ORIGINS only for Clerk, so a bad one breaks no other preset", () => {
    const badOrigins = { ALLOWED_ORIGINS: "https://*.example.com" };
    expect(auth({ AUTH_PROVIDER: "firebase:keys-demo-7f3a", ...badOrigins }).mode).toBe("jwks");
    expect(problem({ AUTH_PROVIDER: "clerk:clerk.keys-demo.example", ...badOrigins }).variable).toBe("ALLOWED_ORIGINS");
  });
});

describe("explicit AUTH_ISSUER over a preset, end to end", () => {
  it("accepts the explicit issuer and refuses the derived one", async () => {
    const kid = "a3b762f871cdb3bae0044c649622fc1396eda3e3";
    const keys = await ProviderKeys.publish({ alg: "RS256", kid });
    const env = {
      AUTH_PROVIDER: "firebase:keys-demo-7f3a",
      AUTH_JWKS_URL: keys.jwksUrl,
      AUTH_ISSUER: "https://custom-issuer.example",
      AUTH_AUDIENCE: undefined,
    };
    const now = nowSeconds();
    const claims = { aud: "keys-demo-7f3a", sub: uniqueUser(), iat: now, auth_time: now, exp: now + 600 };
    const explicit = await keys.sign(kid, { ...claims, iss: "https://custom-issuer.example" });
    expect((await withToken(explicit, env)).status).toBe(200);
    const derived = await keys.sign(kid, { ...claims, iss: "https://securetoken.google.com/keys-demo-7f3a" });
    await expectError(await withToken(derived, env), 401, "unauthenticated");
  });
});

/** Values no message could contain by chance, so finding one in a body means it leaked. */
const LEAKY = "leaky5c1f0e";

describe("a bad AUTH_PROVIDER is misconfigured, naming the variable and never the value", () => {
  const BAD: Array<[string, Partial<Env>, string]> = [
    ["an unknown provider", { AUTH_PROVIDER: `okta:${LEAKY}.okta.com` }, "AUTH_PROVIDER"],
    ["no parameter", { AUTH_PROVIDER: LEAKY }, "AUTH_PROVIDER"],
    ["a prototype key as the provider", { AUTH_PROVIDER: `__proto__:${LEAKY}` }, "AUTH_PROVIDER"],
    ["a Firebase project name, not its id", { AUTH_PROVIDER: `firebase:My App ${LEAKY}` }, "AUTH_PROVIDER"],
    ["a Firebase project id too short", { AUTH_PROVIDER: "firebase:abc" }, "AUTH_PROVIDER"],
    ["an empty Firebase project id", { AUTH_PROVIDER: "firebase:" }, "AUTH_PROVIDER"],
    [
      "an Auth0 domain as a URL",
      { AUTH_PROVIDER: `auth0:https://${LEAKY}.us.auth0.com/`, AUTH_AUDIENCE: "x" },
      "AUTH_PROVIDER",
    ],
    [
      "an Auth0 domain with a path",
      { AUTH_PROVIDER: `auth0:${LEAKY}.us.auth0.com/x`, AUTH_AUDIENCE: "x" },
      "AUTH_PROVIDER",
    ],
    [
      "an Auth0 domain with a port",
      { AUTH_PROVIDER: `auth0:${LEAKY}.auth0.com:443`, AUTH_AUDIENCE: "x" },
      "AUTH_PROVIDER",
    ],
    ["Auth0 without AUTH_AUDIENCE", { AUTH_PROVIDER: `auth0:${LEAKY}.us.auth0.com` }, "AUTH_AUDIENCE"],
    ["a Clerk host with a scheme", { AUTH_PROVIDER: `clerk:https://clerk.${LEAKY}.example` }, "AUTH_PROVIDER"],
    ["a Clerk host with userinfo", { AUTH_PROVIDER: `clerk:${LEAKY}@clerk.example.com` }, "AUTH_PROVIDER"],
    [
      "Clerk with ALLOWED_ORIGINS empty",
      { AUTH_PROVIDER: `clerk:clerk.${LEAKY}.example`, ALLOWED_ORIGINS: "" },
      "AUTH_PROVIDER",
    ],
    [
      "a Supabase project URL, not its ref",
      { AUTH_PROVIDER: `supabase:https://${LEAKY}abcdefghi.supabase.co` },
      "AUTH_PROVIDER",
    ],
    ["a Supabase ref in uppercase", { AUTH_PROVIDER: "supabase:QWERTYUIOPASDFGHJKLZ" }, "AUTH_PROVIDER"],
    [
      "a Cognito pool without the region",
      { AUTH_PROVIDER: `cognito:eu-west-1_${LEAKY}`, AUTH_AUDIENCE: "c" },
      "AUTH_PROVIDER",
    ],
    [
      "a Cognito region that is not one",
      { AUTH_PROVIDER: `cognito:${LEAKY}/eu-west-1_Ab12`, AUTH_AUDIENCE: "c" },
      "AUTH_PROVIDER",
    ],
    [
      "a Cognito region that is not one, though the pool id starts with it",
      { AUTH_PROVIDER: `cognito:${LEAKY}/${LEAKY}_Ab12`, AUTH_AUDIENCE: "c" },
      "AUTH_PROVIDER",
    ],
    [
      "a Cognito pool in another region",
      { AUTH_PROVIDER: `cognito:eu-west-1/us-east-1_${LEAKY}`, AUTH_AUDIENCE: "c" },
      "AUTH_PROVIDER",
    ],
    [
      "a Cognito pool id with a path",
      { AUTH_PROVIDER: `cognito:eu-west-1/eu-west-1_${LEAKY}/x`, AUTH_AUDIENCE: "c" },
      "AUTH_PROVIDER",
    ],
    [
      "a Cognito China region",
      { AUTH_PROVIDER: `cognito:cn-north-1/cn-north-1_${LEAKY}`, AUTH_AUDIENCE: "c" },
      "AUTH_PROVIDER",
    ],
    ["Cognito without AUTH_AUDIENCE", { AUTH_PROVIDER: `cognito:eu-west-1/eu-west-1_${LEAKY}` }, "AUTH_AUDIENCE"],
    [
      "a shared secret for a provider that signs with a JWKS",
      { AUTH_PROVIDER: `firebase:${LEAKY}-project`, AUTH_HS256_SECRET: HS256_SECRET },
      "AUTH_HS256_SECRET",
    ],
  ];

  it.each(BAD)("%s", async (_case, env, variable) => {
    expect(problem(env).variable).toBe(variable);

    const response = await call("/healthz", { env: { AUTH_JWKS_URL: undefined, ...PRESET_ONLY, ...env } });
    expect(response.status).toBe(503);
    const text = await response.text();
    const body = JSON.parse(text) as { status: string; problems: Array<{ variable: string; problem: string }> };
    expect(body.problems.map((p) => p.variable)).toContain(variable);
    expect(text).not.toContain(LEAKY);
    expect(text).not.toContain(HS256_SECRET);

    const error = await expectError(
      await withToken("not-checked", { AUTH_JWKS_URL: undefined, ...PRESET_ONLY, ...env }),
      500,
      "misconfigured",
    );
    expect(error.message).toContain(variable);
    expect(error.message).not.toContain(LEAKY);
  });

  it("lists the presets when the provider is unknown", () => {
    expect(problem({ AUTH_PROVIDER: "okta:x.okta.com" }).message).toContain(
      "firebase:<project id>, auth0:<tenant domain>, clerk:<frontend API host>, supabase:<project ref>, cognito:<region>/<user pool id>",
    );
  });

  it("accepts the shapes each provider documents", () => {
    for (const env of [
      { AUTH_PROVIDER: "firebase:demo-project" },
      { AUTH_PROVIDER: "auth0:login.example.com", AUTH_AUDIENCE: "https://api.example.com" },
      { AUTH_PROVIDER: "auth0:dev-k3x9abcd.us.auth0.com", AUTH_AUDIENCE: "https://api.example.com" },
      { AUTH_PROVIDER: "clerk:happy-otter-42.clerk.accounts.dev" },
      { AUTH_PROVIDER: " supabase:abcdefghijklmnopqrst " },
      { AUTH_PROVIDER: "cognito:us-gov-west-1/us-gov-west-1_aB3dE5fG7", AUTH_AUDIENCE: "client" },
      { AUTH_PROVIDER: "cognito:ap-southeast-2/ap-southeast-2_0a1B2c3D4", AUTH_AUDIENCE: "client" },
      { AUTH_PROVIDER: "supabase:abcdefghijklmnopqrst", AUTH_HS256_SECRET: HS256_SECRET },
    ]) {
      expect(() => auth(env), JSON.stringify(env)).not.toThrow();
    }
  });
});
