import { describe, expect, it } from "vitest";
import { FAULT_BODY_MARK, FAULT_RETRY_AFTER_SECONDS } from "../../dev/emulator/faults";
import type { Env } from "../../src/env";
import type { VendorId } from "../../src/vendors/registry";
import { auditRecordsFor } from "../helpers/audit";
import { auditKv, call, captureLogs, expectError, uniqueUser } from "../helpers/broker";
import { arrivedElsewhere, taggedBaseUrl } from "../helpers/emulator";
import { signToken } from "../helpers/tokens";

/**
 * Vendor chaos: every emulator fault against every vendor, through the real
 * route. Each must answer the documented error, hand out no key, keep every
 * vendor secret (raw, URL-encoded, form-encoded) out of the response, the log
 * lines and the audit record, and be audited as `upstream_error`.
 */

type SecretVar =
  | "SONIOX_API_KEY"
  | "SPEECHMATICS_API_KEY"
  | "AMIVOICE_ISSUER_KEY"
  | "AMIVOICE_SID"
  | "AMIVOICE_SPW"
  | "ACEDATA_PLATFORM_TOKEN"
  | "DEEPGRAM_API_KEY"
  | "OPENAI_API_KEY"
  | "ASSEMBLYAI_API_KEY"
  | "GEMINI_API_KEY"
  | "ELEVENLABS_API_KEY"
  | "CARTESIA_API_KEY"
  | "MISTRAL_API_KEY"
  | "GLADIA_API_KEY"
  | "XAI_API_KEY"
  | "AZURE_SPEECH_KEY";

interface Setup {
  name: string;
  vendor: VendorId;
  baseUrlVar: keyof Env;
  /** The vendor's secrets, set to the chaos values below for every case. */
  secretVars: SecretVar[];
  env?: Partial<Env>;
  body?: unknown;
}

/** Every vendor, and each way one is called differently (AmiVoice's form credentials, ElevenLabs' GET). */
const SETUPS: Setup[] = [
  { name: "soniox", vendor: "soniox", baseUrlVar: "SONIOX_BASE_URL", secretVars: ["SONIOX_API_KEY"] },
  {
    name: "speechmatics",
    vendor: "speechmatics",
    baseUrlVar: "SPEECHMATICS_BASE_URL",
    secretVars: ["SPEECHMATICS_API_KEY"],
  },
  {
    name: "amivoice with an issuer key",
    vendor: "amivoice",
    baseUrlVar: "AMIVOICE_BASE_URL",
    secretVars: ["AMIVOICE_ISSUER_KEY"],
  },
  {
    name: "amivoice with sid and spw in the form",
    vendor: "amivoice",
    baseUrlVar: "AMIVOICE_BASE_URL",
    secretVars: ["AMIVOICE_SID", "AMIVOICE_SPW"],
    env: { AMIVOICE_ISSUER_KEY: undefined },
  },
  { name: "acedata", vendor: "acedata", baseUrlVar: "ACEDATA_BASE_URL", secretVars: ["ACEDATA_PLATFORM_TOKEN"] },
  { name: "deepgram", vendor: "deepgram", baseUrlVar: "DEEPGRAM_BASE_URL", secretVars: ["DEEPGRAM_API_KEY"] },
  { name: "openai", vendor: "openai", baseUrlVar: "OPENAI_BASE_URL", secretVars: ["OPENAI_API_KEY"] },
  {
    name: "azure (plain-text token)",
    vendor: "azure",
    baseUrlVar: "AZURE_SPEECH_ENDPOINT",
    secretVars: ["AZURE_SPEECH_KEY"],
  },
  {
    name: "assemblyai (GET)",
    vendor: "assemblyai",
    baseUrlVar: "ASSEMBLYAI_BASE_URL",
    secretVars: ["ASSEMBLYAI_API_KEY"],
  },
  { name: "gemini", vendor: "gemini", baseUrlVar: "GEMINI_BASE_URL", secretVars: ["GEMINI_API_KEY"] },
  {
    name: "elevenlabs single-use token",
    vendor: "elevenlabs",
    baseUrlVar: "ELEVENLABS_BASE_URL",
    secretVars: ["ELEVENLABS_API_KEY"],
  },
  {
    name: "elevenlabs agent signed URL (GET)",
    vendor: "elevenlabs",
    baseUrlVar: "ELEVENLABS_BASE_URL",
    secretVars: ["ELEVENLABS_API_KEY"],
    body: { kind: "agent", agent_id: "agent_chaos" },
  },
  { name: "cartesia", vendor: "cartesia", baseUrlVar: "CARTESIA_BASE_URL", secretVars: ["CARTESIA_API_KEY"] },
  { name: "xai", vendor: "xai", baseUrlVar: "XAI_BASE_URL", secretVars: ["XAI_API_KEY"] },
  { name: "gladia", vendor: "gladia", baseUrlVar: "GLADIA_BASE_URL", secretVars: ["GLADIA_API_KEY"] },
  { name: "mistral", vendor: "mistral", baseUrlVar: "MISTRAL_BASE_URL", secretVars: ["MISTRAL_API_KEY"] },
];

/**
 * A secret whose URL-encoded and form-encoded forms differ from it (space, `/`, `+`, `&`, `=`, `%`), so
 * that a vendor quoting a form body, or a URL, shows it in a form a raw search would miss.
 */
const chaosSecret = (name: SecretVar) => `${name.toLowerCase()} chaos/secret+1&x=%41=`;

/** Each secret as sent raw, URL-encoded and form-encoded. */
function secretForms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
}

/** A timeout short enough to keep the slow cases fast, for the faults that only a timeout can end. */
const SHORT_TIMEOUT_MS = "300";
/** For the endless body: a reader without the 64 KiB cap would run into this and answer 504 instead. */
const ENDLESS_TIMEOUT_MS = "3000";

interface Case {
  fault: string;
  status: number;
  code: "upstream_error" | "upstream_timeout" | "upstream_rate_limited";
  /** The vendor status the audit record keeps; null when no status line was read. */
  upstreamStatus: number | null;
  /** The Retry-After values the broker may answer (a date has whole seconds, so it reads one less); none if absent. */
  retryAfter?: string[];
  timeoutMs?: string;
  /** Text the error message must hold. */
  message?: string;
}

const RETRY_SECONDS = [FAULT_RETRY_AFTER_SECONDS];
const RETRY_DATE = [String(Number(FAULT_RETRY_AFTER_SECONDS) - 1), FAULT_RETRY_AFTER_SECONDS];

/** A vendor status alone, with `Retry-After` in seconds, and with it as an HTTP date. */
function statusCases(status: number, broker: Pick<Case, "status" | "code">): Case[] {
  const rateLimited = status === 429;
  return [
    { fault: `status-${status}`, ...broker, upstreamStatus: status },
    {
      fault: `status-${status}-retry-seconds`,
      ...broker,
      upstreamStatus: status,
      retryAfter: rateLimited ? RETRY_SECONDS : undefined,
    },
    {
      fault: `status-${status}-retry-date`,
      ...broker,
      upstreamStatus: status,
      retryAfter: rateLimited ? RETRY_DATE : undefined,
    },
  ];
}

const UPSTREAM_ERROR = { status: 502, code: "upstream_error" } as const;

/** Every fault, with the documented answer (docs/api.md, Errors: 504 upstream_timeout, 502 upstream_error, 429). */
const CASES: Case[] = [
  { fault: "slow", status: 504, code: "upstream_timeout", upstreamStatus: null, timeoutMs: SHORT_TIMEOUT_MS },
  { fault: "stalled-body", status: 504, code: "upstream_timeout", upstreamStatus: null, timeoutMs: SHORT_TIMEOUT_MS },
  { fault: "reset", ...UPSTREAM_ERROR, upstreamStatus: null, message: "could not be reached" },
  { fault: "reset-mid-body", ...UPSTREAM_ERROR, upstreamStatus: null, message: "could not be reached" },
  { fault: "empty-200", ...UPSTREAM_ERROR, upstreamStatus: 200, message: "unexpected response" },
  { fault: "empty-201", ...UPSTREAM_ERROR, upstreamStatus: 201, message: "unexpected response" },
  { fault: "malformed-200", ...UPSTREAM_ERROR, upstreamStatus: 200, message: "unexpected response" },
  { fault: "malformed-201", ...UPSTREAM_ERROR, upstreamStatus: 201, message: "unexpected response" },
  {
    fault: "endless",
    ...UPSTREAM_ERROR,
    upstreamStatus: 201,
    timeoutMs: ENDLESS_TIMEOUT_MS,
    message: "unexpected response",
  },
  { fault: "html-200", ...UPSTREAM_ERROR, upstreamStatus: 200, message: "unexpected response" },
  { fault: "html-502", ...UPSTREAM_ERROR, upstreamStatus: 502, message: "(status 502)" },
  ...statusCases(500, UPSTREAM_ERROR),
  ...statusCases(502, UPSTREAM_ERROR),
  ...statusCases(503, UPSTREAM_ERROR),
  ...statusCases(429, { status: 429, code: "upstream_rate_limited" }),
  { fault: "redirect-302", ...UPSTREAM_ERROR, upstreamStatus: 302, message: "redirect" },
  { fault: "redirect-307", ...UPSTREAM_ERROR, upstreamStatus: 307, message: "redirect" },
];

/** Every chaos secret, for the search of the whole audit namespace at the end. */
const ALL_SECRETS = [...new Set(SETUPS.flatMap((setup) => setup.secretVars))].map(chaosSecret);

/** Where `text` holds one of `secrets` in any form, or the fault body's mark; undefined when it holds none. */
function leak(text: string, secrets: string[]): string | undefined {
  for (const secret of secrets) {
    for (const form of secretForms(secret)) if (text.includes(form)) return form;
  }
  return text.includes(FAULT_BODY_MARK) ? FAULT_BODY_MARK : undefined;
}

describe.each(SETUPS)("vendor chaos: $name", (setup) => {
  const secretEnv = Object.fromEntries(setup.secretVars.map((name) => [name, chaosSecret(name)]));

  it.each(CASES)(
    "answers $fault with $status $code, no key, no secret, audited",
    async ({ fault, status, code, upstreamStatus, retryAfter, timeoutMs, message }) => {
      const user = uniqueUser("chaos");
      const token = await signToken(user);
      const { baseUrl, received } = taggedBaseUrl(fault);
      const env: Partial<Env> = {
        ...setup.env,
        ...secretEnv,
        [setup.baseUrlVar]: baseUrl,
        ...(timeoutMs === undefined ? {} : { UPSTREAM_TIMEOUT_MS: timeoutMs }),
      };

      const { result: response, lines } = await captureLogs(() =>
        call(`/v1/keys/${setup.vendor}`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}` },
          body: setup.body ?? {},
          env,
        }),
      );
      const text = await response.clone().text();

      // The vendor was asked exactly once, and nothing was sent to the host a redirect pointed at.
      const requests = await received();
      expect(arrivedElsewhere(requests)).toEqual([]);
      expect(requests).toHaveLength(1);

      const error = await expectError(response, status, code);
      if (message !== undefined) expect(error.message).toContain(message);
      // The error envelope only: no key, no url.
      expect(Object.keys(JSON.parse(text) as object)).toEqual(["error"]);

      if (retryAfter === undefined) expect(response.headers.get("retry-after")).toBeNull();
      else expect(retryAfter).toContain(response.headers.get("retry-after"));

      // The request log line says what happened, so the search below has something to search.
      const log = lines.join("\n");
      expect(log).toContain(`"code":"${code}"`);

      const records = await auditRecordsFor(user);
      expect(records).toHaveLength(1);
      const [record] = records;
      expect(record).toMatchObject({
        vendor: setup.vendor,
        outcome: "upstream_error",
        error_code: code,
        upstream_status: upstreamStatus,
        key_fingerprint: null,
        vendor_key_id: null,
        request_id: response.headers.get("x-request-id"),
      });

      const secrets = [...Object.values(secretEnv), token];
      const headers = JSON.stringify([...response.headers]);
      for (const [where, searched] of [
        ["response body", text],
        ["response headers", headers],
        ["log lines", log],
        ["audit record", JSON.stringify(record)],
      ] as const) {
        expect(leak(searched, secrets), `${where} hold a secret or the vendor's body`).toBeUndefined();
      }
    },
  );
});

/** Everything the audit namespace holds: keys, values and metadata, as text. */
async function dumpAuditNamespace(): Promise<string> {
  const parts: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await auditKv.list({ cursor });
    for (const key of page.keys) {
      parts.push(key.name, JSON.stringify(key.metadata ?? null), (await auditKv.get(key.name)) ?? "");
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return parts.join("\n");
}

describe("vendor chaos: the audit namespace", () => {
  // Runs after the cases above (a file's tests run in order), over every record and index entry they wrote.
  it("holds no chaos secret in any key, value or metadata", async () => {
    const audit = await dumpAuditNamespace();
    expect(audit).toContain("upstream_timeout");
    expect(leak(audit, ALL_SECRETS)).toBeUndefined();
  });
});
