import { afterEach, describe, expect, it, vi } from "vitest";
import { getConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { configuredSecrets } from "../../src/secrets";
import { auditRecord, auditRecordsFor } from "../helpers/audit";
import {
  ADMIN_TOKEN,
  brokerEnv,
  call,
  captureLogs,
  expectError,
  HS256_SECRET,
  ISSUER,
  uniqueUser,
} from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { type MintCall, mint } from "../helpers/mint";

const SECRET = "client-ref-secret-for-tests-5d0c9a7e1f";
const PSEUDONYMS: Partial<Env> = { CLIENT_REF_SECRET: SECRET };
const HS256_MODE: Partial<Env> = { AUTH_JWKS_URL: undefined, AUTH_HS256_SECRET: HS256_SECRET, AUTH_ISSUER: undefined };
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * The pseudonym as issue 8 defines it, with the issuer escaped as issue 18 does (each
 * `\\` and `|` preceded by a `\\`), computed here without the broker's code.
 */
async function expectedPseudonym(issuer: string, value: string, secret = SECRET): Promise<string> {
  const escaped = [...issuer].map((char) => (char === "\\" || char === "|" ? `\\${char}` : char)).join("");
  return hmacPseudonym(`${escaped}|${value}`, secret);
}

/** `u_` and 22 characters of base64url(HMAC-SHA256(secret, input)). */
async function hmacPseudonym(input: string, secret = SECRET): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(input)));
  const base64 = btoa(String.fromCharCode(...mac));
  const base64url = base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return `u_${base64url.slice(0, 22)}`;
}

interface Minted {
  client_ref: string;
  issuance_id: string;
  key: string;
}

/** Mints with pseudonyms on and returns the answer. */
async function mintAs(vendor: string, user: string, options: MintCall = {}): Promise<Minted> {
  const response = await mint(vendor, user, { ...options, env: { ...PSEUDONYMS, ...options.env } });
  if (response.status !== 201) throw new Error(`mint: ${response.status} ${await response.text()}`);
  return (await response.json()) as Minted;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("pseudonymous client_ref (CLIENT_REF_SECRET)", () => {
  it.each([
    ["soniox", "client_reference_id"],
    ["speechmatics", "client_ref"],
  ])("answers, sends %s and records the pseudonym, never the user id", async (vendor, field) => {
    const user = uniqueUser();
    const pseudonym = await expectedPseudonym(ISSUER, user);
    expect(pseudonym).toMatch(/^u_[A-Za-z0-9_-]{22}$/);

    const minted = await mintAs(vendor, user);
    expect(minted.client_ref).toBe(pseudonym);

    const [request, ...more] = await receivedFor(pseudonym);
    expect(more).toEqual([]);
    expect((request?.body as Record<string, unknown>)[field]).toBe(pseudonym);
    expect(await receivedFor(user)).toEqual([]);

    expect(await auditRecord(minted.issuance_id)).toMatchObject({
      client_ref: pseudonym,
      issuer: ISSUER,
      subject: user,
    });
    expect((await auditRecordsFor(pseudonym)).map((record) => record.id)).toEqual([minted.issuance_id]);
    expect(await auditRecordsFor(user)).toEqual([]);
  });

  it("gives the same user the same pseudonym every time", async () => {
    const user = uniqueUser();
    const first = await mintAs("soniox", user);
    const second = await mintAs("speechmatics", user);
    expect(second.client_ref).toBe(first.client_ref);
    expect((await auditRecordsFor(first.client_ref)).map((record) => record.id)).toEqual([
      second.issuance_id,
      first.issuance_id,
    ]);
  });

  it("gives another subject, another issuer or no issuer another pseudonym", async () => {
    const user = uniqueUser();
    const asUser = (claims: Record<string, unknown>, omit: string[] = []) =>
      mintAs("soniox", user, { token: { alg: "HS256", claims, omit }, env: HS256_MODE });

    const refs = [
      (await asUser({ iss: "https://a.example" })).client_ref,
      (await asUser({ iss: "https://b.example" })).client_ref,
      (await asUser({}, ["iss"])).client_ref,
      (
        await mintAs("soniox", `${user}-2`, {
          token: { alg: "HS256", claims: { iss: "https://a.example" } },
          env: HS256_MODE,
        })
      ).client_ref,
    ];
    expect(refs).toEqual([
      await expectedPseudonym("https://a.example", user),
      await expectedPseudonym("https://b.example", user),
      await expectedPseudonym("", user),
      await expectedPseudonym("https://a.example", `${user}-2`),
    ]);
    expect(new Set(refs).size).toBe(4);
  });

  it.each([
    // Joined with a bare "|", the two pairs share one input: "A|x|y".
    ["A|x", "y", "A", "x|y"],
    // Joined after escaping "|" alone, the two pairs share one input: "A\\||y".
    ["A\\", "|y", "A|", "y"],
  ])("gives (%j, %j) and (%j, %j) two pseudonyms", async (issuerA, valueA, issuerB, valueB) => {
    // A prefix common to both issuers keeps their collision, and this run's pairs its own.
    const prefix = uniqueUser();
    const refs = [];
    for (const [issuer, value] of [
      [`${prefix}${issuerA}`, valueA],
      [`${prefix}${issuerB}`, valueB],
    ] as const) {
      const minted = await mintAs("soniox", value, {
        token: { alg: "HS256", claims: { iss: issuer } },
        env: HS256_MODE,
      });
      expect(minted.client_ref).toBe(await expectedPseudonym(issuer, value));
      refs.push(minted.client_ref);
    }
    expect(refs[0]).not.toBe(refs[1]);
  });

  it("keeps the pseudonym an issuer without | or \\ always had, whatever the value holds", async () => {
    const value = `${uniqueUser()}|x\\y`;
    const minted = await mintAs("soniox", value);
    expect(minted.client_ref).toBe(await hmacPseudonym(`${ISSUER}|${value}`));
  });

  it("depends on the secret", async () => {
    const user = uniqueUser();
    const other = "another-client-ref-secret-0123456789ab";
    const minted = await mintAs("soniox", user, { env: { CLIENT_REF_SECRET: other } });
    expect(minted.client_ref).toBe(await expectedPseudonym(ISSUER, user, other));
    expect(minted.client_ref).not.toBe(await expectedPseudonym(ISSUER, user));
  });

  it("hashes the CLIENT_REF_CLAIM value and still records sub as the subject", async () => {
    const user = uniqueUser();
    const minted = await mintAs("soniox", user, {
      token: { claims: { uid: user, sub: "the-sub" } },
      env: { CLIENT_REF_CLAIM: "uid" },
    });
    expect(minted.client_ref).toBe(await expectedPseudonym(ISSUER, user));
    expect(await auditRecord(minted.issuance_id)).toMatchObject({ client_ref: minted.client_ref, subject: "the-sub" });
  });

  it("keys the rate limit by the pseudonym", async () => {
    const user = uniqueUser();
    const keys: string[] = [];
    const limiter = {
      limit: async ({ key }: { key: string }) => {
        keys.push(key);
        return { success: true };
      },
    };
    const minted = await mintAs("soniox", user, { env: { MINT_RATE_LIMITER: limiter } });
    expect(keys).toEqual([minted.client_ref]);
  });

  it("lets the operator deny a user by the pseudonym", async () => {
    const user = uniqueUser();
    const { client_ref } = await mintAs("soniox", user);
    const denied = await call("/v1/admin/deny", {
      headers: admin,
      body: { client_ref, reason: "pseudonym test" },
      env: PSEUDONYMS,
    });
    expect(denied.status).toBe(200);
    await expectError(await mint("soniox", user, { env: PSEUDONYMS }), 403, "forbidden");
    expect((await call(`/v1/admin/deny/${client_ref}`, { method: "DELETE", headers: admin })).status).toBe(200);
    expect((await mint("soniox", user, { env: PSEUDONYMS })).status).toBe(201);
  });

  it("imports the HMAC key once per secret per isolate", async () => {
    const secret = `client-ref-secret-${crypto.randomUUID()}`;
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    for (let i = 0; i < 3; i++) await mintAs("soniox", uniqueUser(), { env: { CLIENT_REF_SECRET: secret } });
    const hmacImports = importKey.mock.calls.filter(
      ([, , algorithm, , usages]) => (algorithm as { name?: string }).name === "HMAC" && usages.includes("sign"),
    );
    expect(hmacImports).toHaveLength(1);
  });

  it("never shows or logs the secret", async () => {
    const user = uniqueUser();
    const { result, lines } = await captureLogs(async () => {
      const response = await mint("soniox", user, { env: PSEUDONYMS });
      const text = await response.text();
      const { issuance_id } = JSON.parse(text) as Minted;
      const audit = await (await call(`/v1/audit/${issuance_id}`, { headers: admin, env: PSEUDONYMS })).text();
      return [text, audit].join("\n");
    });
    expect(result).toContain("u_");
    const logs = lines.join("\n");
    expect(logs).toContain(await expectedPseudonym(ISSUER, user));
    const sent = JSON.stringify(await receivedFor(await expectedPseudonym(ISSUER, user)));
    for (const text of [result, logs, sent]) expect(text).not.toContain(SECRET);
    // The user id stays between the broker and its operator: only the audit record's subject holds it.
    for (const text of [logs, sent]) expect(text).not.toContain(user);
  });

  it("counts the secret among those scrubbed from vendor text", () => {
    expect(configuredSecrets(getConfig(brokerEnv(PSEUDONYMS)).vars)).toContain(SECRET);
  });
});

describe("CLIENT_REF_SECRET configuration", () => {
  const modes: Array<[string, Partial<Env>]> = [
    ["JWKS mode", {}],
    ["HS256 mode", HS256_MODE],
  ];

  it.each(modes)("refuses a secret under 32 bytes in %s with 500 misconfigured, never naming it", async (_, mode) => {
    const short = "s".repeat(31);
    const response = await mint("soniox", uniqueUser(), {
      token: mode === HS256_MODE ? { alg: "HS256" } : {},
      env: { ...mode, CLIENT_REF_SECRET: short },
    });
    const error = await expectError(response, 500, "misconfigured");
    expect(error.message).toContain("CLIENT_REF_SECRET");
    expect(error.message).toContain("32 bytes");
    expect(error.message).not.toContain(short);
  });

  it.each([
    ["32 ASCII characters", "s".repeat(32)],
    ["16 two-byte characters", "é".repeat(16)],
  ])("accepts a secret of %s (32 bytes)", async (_, secret) => {
    const user = uniqueUser();
    const minted = await mintAs("soniox", user, { env: { CLIENT_REF_SECRET: secret } });
    expect(minted.client_ref).toBe(await expectedPseudonym(ISSUER, user, secret));
  });

  it.each([
    ["a trailing newline", `${SECRET}\n`],
    ["a leading space", ` ${SECRET}`],
  ])("refuses a secret with %s rather than trimming it", async (_, secret) => {
    const error = await expectError(
      await mint("soniox", uniqueUser(), { env: { CLIENT_REF_SECRET: secret } }),
      500,
      "misconfigured",
    );
    expect(error.message).toContain("CLIENT_REF_SECRET");
    expect(error.message).toContain("whitespace");
    expect(error.message).not.toContain(SECRET);
  });

  it("leaves client_ref as the claim when unset", async () => {
    const user = uniqueUser();
    const response = await mint("soniox", user);
    expect(await response.json()).toMatchObject({ client_ref: user });
  });
});
