import { env as workerEnv } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import type { Env } from "../../src/env";
import {
  ADMIN_TOKEN,
  call,
  captureLogs,
  HS256_SECRET,
  kvWithFailingWrites,
  masterKeys,
  uniqueUser,
} from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { signToken } from "../helpers/tokens";

/** Everything the audit namespace holds: keys, values and metadata, as text. */
async function dumpAuditNamespace(): Promise<string> {
  const kv = (workerEnv as unknown as Env).AUDIT;
  const parts: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ cursor });
    for (const key of page.keys) {
      parts.push(key.name, JSON.stringify(key.metadata ?? null), (await kv.get(key.name)) ?? "");
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return parts.join("\n");
}

const amivoiceAccount = inject("amivoiceAccount");

/** Per vendor: the variables that point at it and hold its secret. */
const VENDORS = {
  soniox: { baseVar: "SONIOX_BASE_URL", keyVar: "SONIOX_API_KEY" },
  speechmatics: { baseVar: "SPEECHMATICS_BASE_URL", keyVar: "SPEECHMATICS_API_KEY" },
  amivoice: { baseVar: "AMIVOICE_BASE_URL", keyVar: "AMIVOICE_ISSUER_KEY" },
  acedata: { baseVar: "ACEDATA_BASE_URL", keyVar: "ACEDATA_PLATFORM_TOKEN" },
};

describe("secrets stay secret", () => {
  it("keeps keys, vendor secrets and JWTs out of logs, audit records and errors", async () => {
    const secrets: string[] = [
      masterKeys.soniox as string,
      masterKeys.speechmatics as string,
      HS256_SECRET,
      ADMIN_TOKEN,
    ];
    const bodies: string[] = [];

    const { lines } = await captureLogs(async () => {
      for (const [vendor, { baseVar, keyVar }] of Object.entries(VENDORS)) {
        const user = uniqueUser();
        const token = await signToken(user);
        secrets.push(token);
        const ok = await mint(vendor, user);
        const { key } = (await ok.clone().json()) as { key: string };
        secrets.push(key);
        bodies.push(await ok.text().then((text) => text.replace(key, "<minted key>")));

        for (const env of [
          { [baseVar]: faultUrl("rejected") },
          { [baseVar]: faultUrl("server-error") },
          { [baseVar]: faultUrl("malformed") },
          { [baseVar]: faultUrl("oversized") },
          { [keyVar]: "wrong-master-key-0000000000" },
          { AUDIT: kvWithFailingWrites() },
        ]) {
          bodies.push(await (await mint(vendor, user, { env })).text());
        }
      }
      // AmiVoice with service credentials, and with both credential modes set (misconfigured).
      const serviceMode = {
        AMIVOICE_ISSUER_KEY: undefined,
        AMIVOICE_SID: amivoiceAccount.sid,
        AMIVOICE_SPW: amivoiceAccount.spw,
      };
      const serviceMint = await mint("amivoice", uniqueUser(), { env: serviceMode });
      const serviceKey = ((await serviceMint.clone().json()) as { key: string }).key;
      secrets.push(serviceKey);
      bodies.push((await serviceMint.text()).replace(serviceKey, "<minted key>"));
      bodies.push(
        await (
          await mint("amivoice", uniqueUser(), { env: { ...serviceMode, AMIVOICE_ISSUER_KEY: masterKeys.amivoice } })
        ).text(),
      );

      const expired = await signToken("x", { claims: { exp: 1 } });
      secrets.push(expired);
      bodies.push(await (await call("/v1/vendors", { headers: { Authorization: `Bearer ${expired}` } })).text());
      bodies.push(
        await (
          await call("/v1/vendors", {
            headers: { Authorization: `Bearer ${await signToken("x", { alg: "HS256" })}` },
            env: { AUTH_JWKS_URL: undefined, AUTH_HS256_SECRET: "too-short-secret" },
          })
        ).text(),
      );
      secrets.push("too-short-secret");
      bodies.push(await (await call("/v1/audit", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}x` } })).text());
    });

    // The captured output is not empty, so the search below means something.
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.join("\n")).toContain("upstream_auth_failed");
    const audit = await dumpAuditNamespace();
    expect(audit).toContain("upstream_error");

    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      for (const [where, text] of [
        ["logs", lines.join("\n")],
        ["audit", audit],
        ["responses", bodies.join("\n")],
      ] as const) {
        expect(text.includes(secret), `${where} contain a secret`).toBe(false);
      }
    }
  });
});
