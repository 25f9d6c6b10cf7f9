import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { ADMIN_TOKEN, call, captureLogs, emulatorUrl, expectError, uniqueUser } from "../helpers/broker";
import { jwksFetches, taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";

interface Health {
  status: string;
  problems?: Array<{ variable: string; problem: string }>;
}

async function health(env: Partial<Env> = {}): Promise<{ response: Response; text: string; body: Health }> {
  const response = await call("/healthz", { env });
  const text = await response.text();
  return { response, text, body: JSON.parse(text) as Health };
}

/** Values no message could contain by chance, so finding one in a body means it leaked. */
const LEAKY = "leaky-value-5c1f0e";

/** One broken setting per case: what is set, and the variable `/healthz` must name. */
const BROKEN: Array<[string, Partial<Env>, string]> = [
  ["no auth mode", { AUTH_JWKS_URL: undefined }, "AUTH_JWKS_URL"],
  ["a JWKS URL that is not https", { AUTH_JWKS_URL: `http://${LEAKY}.example/jwks.json` }, "AUTH_JWKS_URL"],
  [
    "an HS256 secret with a trailing newline",
    { AUTH_JWKS_URL: undefined, AUTH_HS256_SECRET: `${LEAKY}-hs256-secret-0123456789abcdef\n` },
    "AUTH_HS256_SECRET",
  ],
  ["a short CLIENT_REF_SECRET", { CLIENT_REF_SECRET: `${LEAKY}-short` }, "CLIENT_REF_SECRET"],
  ["a short ADMIN_TOKEN", { ADMIN_TOKEN: `${LEAKY}-admin` }, "ADMIN_TOKEN"],
  [
    "a wildcard in ALLOWED_ORIGINS",
    { ALLOWED_ORIGINS: `https://app.example.com,https://*.${LEAKY}.example` },
    "ALLOWED_ORIGINS",
  ],
  [
    "NATIVE_APPS_ONLY true with origins listed",
    { NATIVE_APPS_ONLY: "true", ALLOWED_ORIGINS: `https://${LEAKY}.example` },
    "NATIVE_APPS_ONLY",
  ],
  ["a NATIVE_APPS_ONLY that is not a flag", { NATIVE_APPS_ONLY: LEAKY }, "NATIVE_APPS_ONLY"],
  ["an UPSTREAM_TIMEOUT_MS of 0", { UPSTREAM_TIMEOUT_MS: "0" }, "UPSTREAM_TIMEOUT_MS"],
  ["an AUDIT_RETENTION_DAYS past ten years", { AUDIT_RETENTION_DAYS: "3651" }, "AUDIT_RETENTION_DAYS"],
  ["a negative DAILY_MINT_QUOTA", { DAILY_MINT_QUOTA: "-1" }, "DAILY_MINT_QUOTA"],
  ["a POLICY that is not JSON", { POLICY: `{"soniox": ${LEAKY}` } as Partial<Env>, "POLICY"],
  [
    "a POLICY with a value of the wrong type",
    { POLICY: `{"soniox": {"enabled": "${LEAKY}"}}` } as Partial<Env>,
    "POLICY",
  ],
  ["a Soniox base URL that is not https", { SONIOX_BASE_URL: `http://${LEAKY}.example` }, "SONIOX_BASE_URL"],
  [
    "a Speechmatics base URL with a query",
    { SPEECHMATICS_BASE_URL: `https://x.example?k=${LEAKY}` },
    "SPEECHMATICS_BASE_URL",
  ],
  [
    "AmiVoice with both credential modes",
    { AMIVOICE_SID: `${LEAKY}-sid`, AMIVOICE_SPW: `${LEAKY}-spw` },
    "AMIVOICE_ISSUER_KEY",
  ],
  [
    "an AMIVOICE_REQUIRE_IP_BINDING that is not a flag",
    { AMIVOICE_REQUIRE_IP_BINDING: LEAKY },
    "AMIVOICE_REQUIRE_IP_BINDING",
  ],
  ["an AceData application id that is not a UUID", { ACEDATA_APPLICATION_ID: LEAKY }, "ACEDATA_APPLICATION_ID"],
  [
    "a forced option that the vendor's own settings refuse",
    { POLICY: JSON.stringify({ acedata: { options: { limited_amount: { force: 5 } } } }), ACEDATA_MAX_AMOUNT: "3" },
    "POLICY",
  ],
  ["no AUDIT binding", { AUDIT: undefined }, "AUDIT"],
  ["an AUDIT binding that is not KV", { AUDIT: LEAKY as unknown as KVNamespace }, "AUDIT"],
  ["no USER_STATE binding", { USER_STATE: undefined }, "USER_STATE"],
  ["no MINT_STATS binding", { MINT_STATS: undefined }, "MINT_STATS"],
  ["no ASSETS binding", { ASSETS: undefined }, "ASSETS"],
];

describe("GET /healthz", () => {
  it("answers ok without auth, with a request id", async () => {
    const response = await call("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers ok for NATIVE_APPS_ONLY true with ALLOWED_ORIGINS empty, and names the contradiction when origins are listed", async () => {
    expect((await health({ NATIVE_APPS_ONLY: "true", ALLOWED_ORIGINS: "" })).body).toEqual({ status: "ok" });
    const { body } = await health({ NATIVE_APPS_ONLY: "true" });
    expect(body.problems).toEqual([
      { variable: "NATIVE_APPS_ONLY", problem: expect.stringMatching(/NATIVE_APPS_ONLY is true, .*ALLOWED_ORIGINS/) },
    ]);
  });

  it.each(BROKEN)("answers 503 degraded for %s, naming the variable and never the value", async (_, env, variable) => {
    const { response, text, body } = await health(env);
    expect(response.status).toBe(503);
    expect(body).toEqual({ status: "degraded", problems: [{ variable, problem: expect.any(String) }] });
    expect(body.problems?.[0]?.problem).toContain(variable);
    expect(text).not.toContain(LEAKY);
  });

  it("lists every problem at once", async () => {
    const { response, body } = await health({
      ADMIN_TOKEN: "short",
      ACEDATA_APPLICATION_ID: "not-a-uuid",
      AUDIT: undefined,
    });
    expect(response.status).toBe(503);
    expect(body.problems?.map((problem) => problem.variable).sort()).toEqual([
      "ACEDATA_APPLICATION_ID",
      "ADMIN_TOKEN",
      "AUDIT",
    ]);
  });

  it("reports a bad CLIENT_REF_SECRET even when another auth setting is wrong too", async () => {
    const { body } = await health({ AUTH_JWKS_URL: undefined, AUTH_HS256_SECRET: "short", CLIENT_REF_SECRET: "short" });
    expect(body.problems?.map((problem) => problem.variable).sort()).toEqual([
      "AUTH_HS256_SECRET",
      "CLIENT_REF_SECRET",
    ]);
  });

  it("keeps every route that does not use a broken setting working", async () => {
    const env = { ACEDATA_APPLICATION_ID: LEAKY, ADMIN_TOKEN: "short" };
    expect((await health(env)).response.status).toBe(503);

    expect((await mint("soniox", uniqueUser(), { env })).status).toBe(201);
    const error = await expectError(await mint("acedata", uniqueUser(), { env }), 500, "misconfigured");
    expect(error.message).toContain("ACEDATA_APPLICATION_ID");
    await expectError(
      await call("/v1/audit", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, env }),
      500,
      "misconfigured",
    );
  });

  it("never shows or logs a secret's value", async () => {
    const secrets = {
      AUTH_JWKS_URL: undefined,
      AUTH_HS256_SECRET: ` ${LEAKY}-hs256-secret-with-a-leading-space`,
      ADMIN_TOKEN: `${LEAKY}-a`,
      SONIOX_API_KEY: `${LEAKY}-soniox-key`,
      SONIOX_BASE_URL: `ftp://${LEAKY}.example`,
    };
    const { result, lines } = await captureLogs(() => health(secrets));
    expect(result.response.status).toBe(503);
    expect(result.body.problems?.map((problem) => problem.variable)).toEqual([
      "AUTH_HS256_SECRET",
      "ADMIN_TOKEN",
      "SONIOX_BASE_URL",
    ]);
    expect(lines.join("\n")).toContain("AUTH_HS256_SECRET,ADMIN_TOKEN,SONIOX_BASE_URL");
    for (const text of [result.text, lines.join("\n")]) expect(text).not.toContain(LEAKY);
  });

  it("makes no network call: neither the key set nor a vendor is fetched", async () => {
    const query = `health=${crypto.randomUUID()}`;
    const soniox = taggedBaseUrl();
    const response = await call("/healthz", {
      env: { AUTH_JWKS_URL: `${emulatorUrl}/jwks.json?${query}`, SONIOX_BASE_URL: soniox.baseUrl },
    });
    expect(response.status).toBe(200);
    expect(await jwksFetches(query)).toBe(0);
    expect(await soniox.received()).toEqual([]);
  });

  it("answers 500 internal_error, not degraded, when a check fails with something other than a config problem", async () => {
    const broken = {
      toString() {
        throw new TypeError("not a string");
      },
    } as unknown as string;
    await expectError(await call("/healthz", { env: { ADMIN_TOKEN: broken } }), 500, "internal_error");
  });
});
