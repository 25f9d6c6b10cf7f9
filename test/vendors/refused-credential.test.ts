import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import type { Env } from "../../src/env";
import { createApp } from "../../src/index";
import { auditRecordsFor } from "../helpers/audit";
import { brokerEnv, captureLogs, expectError, uniqueUser } from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { expectWithheldCredential } from "../helpers/withheld";
import { bearer } from "../helpers/tokens";

/**
 * A vendor answered 2xx with a credential that the broker refused. The credential exists at the
 * vendor, so it counts against the user's quota, and its audit record and log line carry its
 * fingerprint, so that the operator can find and revoke it.
 */

const AGENT = "agent_3701k3ttaq12ewp8b7qv5rfyszkz";
const QUOTA_OF_ONE = { DAILY_MINT_QUOTA: "1" };

const BASE_URL_VARS = {
  soniox: "SONIOX_BASE_URL",
  openai: "OPENAI_BASE_URL",
  acedata: "ACEDATA_BASE_URL",
  deepgram: "DEEPGRAM_BASE_URL",
  assemblyai: "ASSEMBLYAI_BASE_URL",
  elevenlabs: "ELEVENLABS_BASE_URL",
} as const;
type Vendor = keyof typeof BASE_URL_VARS;

const BODIES: Partial<Record<Vendor, unknown>> = { elevenlabs: { kind: "agent", agent_id: AGENT } };

/** Mints from the emulator answering with `fault`, as `user`, with a daily quota of one. */
function mintFaulted(vendor: Vendor, user: string, fault?: string) {
  const env = { ...QUOTA_OF_ONE, ...(fault ? { [BASE_URL_VARS[vendor]]: faultUrl(fault) } : {}) } as Partial<Env>;
  return mint(vendor, user, { body: BODIES[vendor] ?? {}, env });
}

describe.each([
  { vendor: "soniox", fault: "expiry-far" },
  { vendor: "acedata", fault: "expiry-never" },
  { vendor: "soniox", fault: "expiry-garbled" },
  { vendor: "soniox", fault: "expiry-null" },
  { vendor: "openai", fault: "expiry-garbled" },
  { vendor: "openai", fault: "expiry-null" },
  { vendor: "acedata", fault: "expiry-garbled" },
  { vendor: "deepgram", fault: "expiry-garbled" },
  { vendor: "assemblyai", fault: "expiry-garbled" },
  { vendor: "assemblyai", fault: "expiry-null" },
  { vendor: "elevenlabs", fault: "url-elsewhere" },
] as const)("$vendor answering $fault", ({ vendor, fault }) => {
  it("is 502 vendor_credential_refused; the credential counts against the quota and is audited", async () => {
    const user = uniqueUser();
    const { result: response, lines } = await captureLogs(() => mintFaulted(vendor, user, fault));
    const text = await response.clone().text();
    const error = await expectError(response, 502, "vendor_credential_refused");
    expect(error.message).toContain(`${vendor} issued a credential that the broker refused`);
    expect(text).not.toMatch(/"key"|"url"/);

    const record = await expectWithheldCredential(vendor, user, lines);
    expect(record?.upstream_status).toBeGreaterThanOrEqual(200);

    // The slot stays used: with a quota of one, the user's next key is refused.
    await expectError(await mintFaulted(vendor, user), 429, "quota_exceeded");
  });
});

describe("a vendor answer that holds no credential", () => {
  it.each(["soniox", "deepgram", "elevenlabs"] as const)(
    "is 502 upstream_error for %s, and gives the quota slot back",
    async (vendor) => {
      const user = uniqueUser();
      await expectError(await mintFaulted(vendor, user, "malformed"), 502, "upstream_error");
      const [record] = await auditRecordsFor(user);
      expect(record).toMatchObject({ error_code: "upstream_error", key_fingerprint: null });
      expect((await mintFaulted(vendor, user)).status).toBe(201);
    },
  );
});

/** A vendor the test answers itself, at this base URL; everything else (the JWKS) goes to the network. */
const VENDOR_BASE_URL = "https://vendor.test";

async function mintAnswered(vendor: Vendor, answer: unknown, user = uniqueUser()) {
  const fetchStub = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(`${VENDOR_BASE_URL}/`)) return fetch(input, init);
    return new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  };
  const request = new Request(`https://broker.test/v1/keys/${vendor}`, {
    method: "POST",
    headers: { ...(await bearer(user)), "content-type": "application/json" },
    body: JSON.stringify(BODIES[vendor] ?? {}),
  });
  const env = brokerEnv({ ...QUOTA_OF_ONE, [BASE_URL_VARS[vendor]]: VENDOR_BASE_URL });
  const ctx = createExecutionContext();
  const response = await createApp({ now: () => new Date(), fetch: fetchStub }).fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return { response, user };
}

describe("the fingerprint of a refused credential", () => {
  const ACEDATA_ID = "c1d2e3f4-a5b6-7890-cdef-1234567890ab";

  it.each([
    ["deepgram", "an expires_in of 0", { access_token: "dg.jwt.refused", expires_in: 0 }, "dg.jwt.refused"],
    ["soniox", "an epoch expires_at", { api_key: "temp:refused", expires_at: 1_900_000_000 }, "temp:refused"],
    ["openai", "an expires_at past any date", { value: "ek_refused", expires_at: 1e20 }, "ek_refused"],
    ["acedata", "an unreadable expired_at", { id: ACEDATA_ID, token: "sk-refused", expired_at: "soon" }, "sk-refused"],
    [
      "elevenlabs",
      "a signed URL on another host",
      { signed_url: `wss://elsewhere.example/v1/convai/conversation?agent_id=${AGENT}&conversation_signature=cvtkn_x` },
      "cvtkn_x",
    ],
  ] as const)(
    "is the %s credential's, for %s, and the credential itself stays out",
    async (vendor, _case, answer, credential) => {
      const { result, lines } = await captureLogs(() => mintAnswered(vendor, answer));
      const { response, user } = result;
      const text = await response.clone().text();
      await expectError(response, 502, "vendor_credential_refused");
      const [record] = await auditRecordsFor(user);
      for (const seen of [text, lines.join("\n"), JSON.stringify(record)]) expect(seen).not.toContain(credential);
      expect(record).toMatchObject({
        error_code: "vendor_credential_refused",
        upstream_status: 200,
        key_fingerprint: await keyFingerprint(credential),
        vendor_key_id: vendor === "acedata" ? ACEDATA_ID : null,
        expires_at: null,
      });
      await expectError((await mintAnswered(vendor, answer, user)).response, 429, "quota_exceeded");
    },
  );
});
