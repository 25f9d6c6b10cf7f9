import { describe, expect, inject, it } from "vitest";
import type { Env } from "../../src/env";
import {
  ADMIN_TOKEN,
  auditKv,
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
  const kv = auditKv;
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

/** AmiVoice with its service id and password instead of an issuer key. */
const AMIVOICE_SERVICE_MODE = {
  AMIVOICE_ISSUER_KEY: undefined,
  AMIVOICE_SID: amivoiceAccount.sid,
  AMIVOICE_SPW: amivoiceAccount.spw,
};

/** Shared-secret auth instead of JWKS, so that the HS256 secret is configured too. */
const HS256_MODE = { AUTH_JWKS_URL: undefined, AUTH_HS256_SECRET: HS256_SECRET };

/** Each way a vendor is set up, with the variables that point at it and hold its secret. */
const SETUPS: Array<{ vendor: string; baseVar: string; keyVar: string; env?: Partial<Env> }> = [
  { vendor: "soniox", baseVar: "SONIOX_BASE_URL", keyVar: "SONIOX_API_KEY" },
  { vendor: "speechmatics", baseVar: "SPEECHMATICS_BASE_URL", keyVar: "SPEECHMATICS_API_KEY" },
  { vendor: "amivoice", baseVar: "AMIVOICE_BASE_URL", keyVar: "AMIVOICE_ISSUER_KEY" },
  { vendor: "amivoice", baseVar: "AMIVOICE_BASE_URL", keyVar: "AMIVOICE_SPW", env: AMIVOICE_SERVICE_MODE },
  { vendor: "acedata", baseVar: "ACEDATA_BASE_URL", keyVar: "ACEDATA_PLATFORM_TOKEN" },
  { vendor: "openai", baseVar: "OPENAI_BASE_URL", keyVar: "OPENAI_API_KEY" },
  { vendor: "deepgram", baseVar: "DEEPGRAM_BASE_URL", keyVar: "DEEPGRAM_API_KEY" },
  { vendor: "azure", baseVar: "AZURE_SPEECH_ENDPOINT", keyVar: "AZURE_SPEECH_KEY" },
  { vendor: "assemblyai", baseVar: "ASSEMBLYAI_BASE_URL", keyVar: "ASSEMBLYAI_API_KEY" },
  { vendor: "gemini", baseVar: "GEMINI_BASE_URL", keyVar: "GEMINI_API_KEY" },
  { vendor: "elevenlabs", baseVar: "ELEVENLABS_BASE_URL", keyVar: "ELEVENLABS_API_KEY" },
  { vendor: "cartesia", baseVar: "CARTESIA_BASE_URL", keyVar: "CARTESIA_API_KEY" },
  { vendor: "xai", baseVar: "XAI_BASE_URL", keyVar: "XAI_API_KEY" },
  { vendor: "gladia", baseVar: "GLADIA_BASE_URL", keyVar: "GLADIA_API_KEY" },
  { vendor: "mistral", baseVar: "MISTRAL_BASE_URL", keyVar: "MISTRAL_API_KEY" },
];

/** Vendor failures, several of which quote the credentials the vendor was sent. */
const FAULTS = [
  "rejected",
  "unprocessable",
  "echo-400",
  "echo-401",
  "echo-403",
  "echo-422",
  "server-error",
  "malformed",
  "oversized",
  "expiry-far",
];

describe("secrets stay secret", () => {
  // About 130 requests, each searched afterwards; the default 5 s is too short on a loaded machine.
  it("keeps every configured secret, minted keys and JWTs out of logs, audit records and errors", async () => {
    const secrets: string[] = [
      ...Object.values(masterKeys),
      amivoiceAccount.sid,
      amivoiceAccount.spw,
      HS256_SECRET,
      ADMIN_TOKEN,
    ];
    // Every emulated vendor's master key, AmiVoice's sid and spw, the HS256 secret and the admin token.
    expect(secrets).toHaveLength(Object.keys(masterKeys).length + 4);
    const bodies: string[] = [];

    const { lines } = await captureLogs(async () => {
      for (const authMode of [{}, HS256_MODE]) {
        for (const setup of SETUPS) {
          const user = uniqueUser();
          const base = { ...setup.env, ...authMode };
          const token = await signToken(user, authMode === HS256_MODE ? { alg: "HS256" } : {});
          secrets.push(token);
          const mintAs = (env: Partial<Env>) =>
            mint(setup.vendor, user, { headers: { Authorization: `Bearer ${token}` }, env: { ...base, ...env } });

          const ok = await mintAs({});
          expect(ok.status).toBe(201);
          const { key } = (await ok.clone().json()) as { key: string };
          secrets.push(key);
          // Every copy: a vendor that issues a URL (Gladia) answers the key inside it too.
          bodies.push((await ok.text()).replaceAll(key, "<minted key>"));

          const failures: Partial<Env>[] = [
            ...FAULTS.map((fault) => ({ [setup.baseVar]: faultUrl(fault) })),
            { [setup.keyVar]: "wrong-master-key-0000000000" },
            { AUDIT: kvWithFailingWrites() },
          ];
          for (const env of failures) bodies.push(await (await mintAs(env)).text());
        }
      }
      // AmiVoice with both credential modes set (misconfigured).
      bodies.push(
        await (
          await mint("amivoice", uniqueUser(), {
            env: { ...AMIVOICE_SERVICE_MODE, AMIVOICE_ISSUER_KEY: masterKeys.amivoice },
          })
        ).text(),
      );

      // LiveKit tokens are signed by the broker: no vendor to fail, so its failures are settings, bodies and the audit.
      for (const [path, body] of [
        ["/v1/keys/livekit", { room: "secrets" }],
        ["/v1/livekit/token", { room_name: "secrets" }],
      ] as const) {
        const user = uniqueUser();
        const token = await signToken(user);
        secrets.push(token);
        const request = (env: Partial<Env>, sent: unknown = body) =>
          call(path, { method: "POST", headers: { Authorization: `Bearer ${token}` }, body: sent, env });
        const ok = await request({});
        expect(ok.status).toBe(201);
        const answer = (await ok.clone().json()) as { key?: string; participant_token?: string };
        const key = answer.key ?? answer.participant_token ?? "";
        secrets.push(key);
        bodies.push((await ok.text()).replaceAll(key, "<minted key>"));
        for (const env of [
          { LIVEKIT_API_SECRET: "short-livekit-secret" },
          { LIVEKIT_URL: "https://not-a-websocket.example" },
          { AUDIT: kvWithFailingWrites() },
        ]) {
          bodies.push(await (await request(env)).text());
        }
        bodies.push(await (await request({}, { ...body, bad: true })).text());
      }
      secrets.push("short-livekit-secret");

      // Twilio Voice tokens are signed by the broker too: its failures are settings, bodies, identities and the audit.
      const voiceUser = uniqueUser();
      const voiceToken = await signToken(voiceUser);
      secrets.push(voiceToken);
      const mintVoice = (env: Partial<Env>, body: unknown = { incoming: true }) =>
        mint("twilio-voice", voiceUser, { headers: { Authorization: `Bearer ${voiceToken}` }, body, env });
      const voice = await mintVoice({});
      expect(voice.status).toBe(201);
      const { key: voiceKey } = (await voice.clone().json()) as { key: string };
      // The token, and its signature alone.
      secrets.push(voiceKey, voiceKey.split(".")[2] ?? "");
      bodies.push((await voice.text()).replaceAll(voiceKey, "<minted key>"));
      for (const env of [
        { TWILIO_ACCOUNT_SID: "not-an-account-sid" },
        { TWILIO_TWIML_APP_SID: undefined },
        { AUDIT: kvWithFailingWrites() },
      ]) {
        bodies.push(await (await mintVoice(env)).text());
      }
      bodies.push(await (await mintVoice({}, { incoming: "yes" })).text());
      bodies.push(await (await mint("twilio-voice", "auth0|not-a-voice-identity")).text());

      // AWS Transcribe URLs are presigned by the broker: its failures are settings, bodies and the audit.
      const awsUser = uniqueUser();
      const awsToken = await signToken(awsUser);
      secrets.push(awsToken);
      const mintAws = (env: Partial<Env>, body: unknown = {}) =>
        mint("aws-transcribe", awsUser, { headers: { Authorization: `Bearer ${awsToken}` }, body, env });
      const presigned = await mintAws({});
      expect(presigned.status).toBe(201);
      // The signature is the key; the URL around it carries it too.
      const { key: awsKey } = (await presigned.clone().json()) as { key: string };
      secrets.push(awsKey);
      bodies.push((await presigned.text()).replaceAll(awsKey, "<minted key>"));
      for (const env of [
        { AWS_SECRET_ACCESS_KEY: undefined },
        { AWS_REGION: "not a region" },
        { AWS_TRANSCRIBE_BASE_URL: "http://transcribe.example" },
        { AUDIT: kvWithFailingWrites() },
      ]) {
        bodies.push(await (await mintAws(env)).text());
      }
      bodies.push(await (await mintAws({}, { identify_language: true })).text());

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

    // What was captured holds the failures above, so the search below means something.
    expect(lines.length).toBeGreaterThan(100);
    const responses = bodies.join("\n");
    for (const code of ["upstream_auth_failed", "upstream_rejected", "upstream_error", "audit_unavailable"]) {
      expect(responses).toContain(code);
    }
    expect(responses).toContain("[redacted]");
    const audit = await dumpAuditNamespace();
    expect(audit).toContain("upstream_error");

    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      for (const [where, text] of [
        ["logs", lines.join("\n")],
        ["audit", audit],
        ["responses", responses],
      ] as const) {
        expect(text.includes(secret), `${where} contain a secret`).toBe(false);
      }
    }
  }, 60_000);
});
