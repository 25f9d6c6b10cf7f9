import { describe, expect, it } from "vitest";
import { auditRecordsFor } from "../helpers/audit";
import { expectError, kvWithFailingWrites, masterKeys, uniqueUser } from "../helpers/broker";
import { faultUrl, taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";

/** Each vendor, the variables that point at it, and the status it answers a wrong credential with. */
const VENDORS = [
  { vendor: "soniox", baseUrlVar: "SONIOX_BASE_URL", keyVar: "SONIOX_API_KEY", wrongKeyStatus: 401 },
  { vendor: "speechmatics", baseUrlVar: "SPEECHMATICS_BASE_URL", keyVar: "SPEECHMATICS_API_KEY", wrongKeyStatus: 401 },
  { vendor: "amivoice", baseUrlVar: "AMIVOICE_BASE_URL", keyVar: "AMIVOICE_ISSUER_KEY", wrongKeyStatus: 400 },
  { vendor: "acedata", baseUrlVar: "ACEDATA_BASE_URL", keyVar: "ACEDATA_PLATFORM_TOKEN", wrongKeyStatus: 401 },
  { vendor: "openai", baseUrlVar: "OPENAI_BASE_URL", keyVar: "OPENAI_API_KEY", wrongKeyStatus: 401 },
  { vendor: "deepgram", baseUrlVar: "DEEPGRAM_BASE_URL", keyVar: "DEEPGRAM_API_KEY", wrongKeyStatus: 401 },
  { vendor: "assemblyai", baseUrlVar: "ASSEMBLYAI_BASE_URL", keyVar: "ASSEMBLYAI_API_KEY", wrongKeyStatus: 401 },
  { vendor: "elevenlabs", baseUrlVar: "ELEVENLABS_BASE_URL", keyVar: "ELEVENLABS_API_KEY", wrongKeyStatus: 401 },
  { vendor: "cartesia", baseUrlVar: "CARTESIA_BASE_URL", keyVar: "CARTESIA_API_KEY", wrongKeyStatus: 401 },
  { vendor: "gladia", baseUrlVar: "GLADIA_BASE_URL", keyVar: "GLADIA_API_KEY", wrongKeyStatus: 401 },
  { vendor: "xai", baseUrlVar: "XAI_BASE_URL", keyVar: "XAI_API_KEY", wrongKeyStatus: 401 },
  { vendor: "mistral", baseUrlVar: "MISTRAL_BASE_URL", keyVar: "MISTRAL_API_KEY", wrongKeyStatus: 401 },
  // Google answers a wrong API key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
  { vendor: "gemini", baseUrlVar: "GEMINI_BASE_URL", keyVar: "GEMINI_API_KEY", wrongKeyStatus: 400 },
  { vendor: "azure", baseUrlVar: "AZURE_SPEECH_ENDPOINT", keyVar: "AZURE_SPEECH_KEY", wrongKeyStatus: 401 },
] as const;

/** The header a vendor takes its master key in, where that is not `Authorization: Bearer <key>`. */
const MASTER_KEY_HEADERS: Record<string, (key: string) => [name: string, value: string]> = {
  deepgram: (key) => ["authorization", `Token ${key}`],
  assemblyai: (key) => ["authorization", key],
  elevenlabs: (key) => ["xi-api-key", key],
  gemini: (key) => ["x-goog-api-key", key],
  azure: (key) => ["ocp-apim-subscription-key", key],
  gladia: (key) => ["x-gladia-key", key],
};

describe.each(VENDORS)(
  "$vendor failures are translated, never passed through",
  ({ vendor, baseUrlVar, keyVar, wrongKeyStatus }) => {
    const withFault = (fault: string) => ({ env: { [baseUrlVar]: faultUrl(fault) } });

    it("maps a wrong master key to 502 upstream_auth_failed and records it", async () => {
      const user = uniqueUser();
      const response = await mint(vendor, user, { env: { [keyVar]: "not-the-right-key" } });
      const error = await expectError(response, 502, "upstream_auth_failed");
      expect(error.message).toContain("operator");
      expect(error.message).not.toContain("not-the-right-key");
      const [record] = await auditRecordsFor(user);
      expect(record).toMatchObject({
        outcome: "upstream_error",
        upstream_status: wrongKeyStatus,
        error_code: "upstream_auth_failed",
      });
      expect(record?.key_fingerprint).toBeNull();
    });

    it("maps vendor 403 to 502 upstream_auth_failed", async () => {
      await expectError(await mint(vendor, uniqueUser(), withFault("forbidden")), 502, "upstream_auth_failed");
    });

    it("maps vendor 400 to 502 upstream_rejected with the vendor's validation message", async () => {
      const error = await expectError(
        await mint(vendor, uniqueUser(), withFault("rejected")),
        502,
        "upstream_rejected",
      );
      expect(error.message).toContain("Input should be less than or equal to 3600");
    });

    it("maps vendor 422 to 502 upstream_rejected with the vendor's validation message", async () => {
      const error = await expectError(
        await mint(vendor, uniqueUser(), withFault("unprocessable")),
        502,
        "upstream_rejected",
      );
      expect(error.message).toContain("Input should be less than or equal to 3600");
    });

    it.each(["echo-401", "echo-403"])(
      "answers a vendor %s with a fixed message, never the vendor's body, which quotes the master key",
      async (fault) => {
        const error = await expectError(
          await mint(vendor, uniqueUser(), withFault(fault)),
          502,
          "upstream_auth_failed",
        );
        expect(error.message).toBe(`${vendor} rejected the broker's credentials; the operator must check them`);
      },
    );

    it("answers any other vendor 4xx with upstream_error, never the vendor's body", async () => {
      const error = await expectError(await mint(vendor, uniqueUser(), withFault("echo-404")), 502, "upstream_error");
      expect(error.message).toBe(`${vendor} failed to create a key (status 404)`);
    });

    it("passes on a vendor Retry-After given as an HTTP date, in seconds", async () => {
      const response = await mint(vendor, uniqueUser(), withFault("rate-limited-date"));
      await expectError(response, 429, "upstream_rate_limited");
      // The date has whole seconds, so 17 s from the emulator's clock reads as 16 or 17 here.
      expect(["16", "17"]).toContain(response.headers.get("retry-after"));
    });

    it("maps vendor 429 to 429 upstream_rate_limited and keeps Retry-After", async () => {
      const response = await mint(vendor, uniqueUser(), withFault("rate-limited"));
      expect(response.headers.get("retry-after")).toBe("17");
      await expectError(response, 429, "upstream_rate_limited");
    });

    it("maps vendor 5xx to 502 upstream_error without the vendor's body", async () => {
      const error = await expectError(
        await mint(vendor, uniqueUser(), withFault("server-error")),
        502,
        "upstream_error",
      );
      expect(error.message).not.toContain("Please try again");
    });

    it("maps a success body without a key to 502 upstream_error", async () => {
      await expectError(await mint(vendor, uniqueUser(), withFault("malformed")), 502, "upstream_error");
    });

    it("does not follow a vendor redirect", async () => {
      const { baseUrl, received } = taggedBaseUrl("redirect");
      const error = await expectError(
        await mint(vendor, uniqueUser(), { env: { [baseUrlVar]: baseUrl } }),
        502,
        "upstream_error",
      );
      expect(error.message).toContain("redirect");
      expect(await received()).toHaveLength(1);
    });

    it("stops reading a vendor body over 64 KiB", async () => {
      await expectError(await mint(vendor, uniqueUser(), withFault("oversized")), 502, "upstream_error");
    });

    it("stops reading a vendor body that never ends, long before the timeout", async () => {
      // A reader that buffered the whole body could only end at the 30 s timeout (504), after the test's own limit.
      const response = await mint(vendor, uniqueUser(), {
        env: { [baseUrlVar]: faultUrl("endless"), UPSTREAM_TIMEOUT_MS: "30000" },
      });
      const error = await expectError(response, 502, "upstream_error");
      expect(error.message).toContain("unexpected response");
    });

    it("gives up after UPSTREAM_TIMEOUT_MS with 504 upstream_timeout and records it", async () => {
      const user = uniqueUser();
      const response = await mint(vendor, user, {
        env: { [baseUrlVar]: faultUrl("slow"), UPSTREAM_TIMEOUT_MS: "300" },
      });
      const error = await expectError(response, 504, "upstream_timeout");
      expect(error.message).toContain("300 ms");
      const [record] = await auditRecordsFor(user);
      expect(record).toMatchObject({
        outcome: "upstream_error",
        upstream_status: null,
        error_code: "upstream_timeout",
      });
    });

    it("answers 502 upstream_error when the vendor cannot be reached", async () => {
      await expectError(
        await mint(vendor, uniqueUser(), { env: { [baseUrlVar]: "http://127.0.0.1:9" } }),
        502,
        "upstream_error",
      );
    });

    it("still returns the vendor error when the audit write for it fails", async () => {
      const response = await mint(vendor, uniqueUser(), { env: { [keyVar]: "wrong", AUDIT: kvWithFailingWrites() } });
      await expectError(response, 502, "upstream_auth_failed");
    });

    it("never sends the master key anywhere but the vendor's Authorization header", async () => {
      const { baseUrl, received } = taggedBaseUrl();
      expect((await mint(vendor, uniqueUser(), { env: { [baseUrlVar]: baseUrl } })).status).toBe(201);
      const [request] = await received();
      const masterKey = masterKeys[vendor] as string;
      const [header, value] = MASTER_KEY_HEADERS[vendor]?.(masterKey) ?? ["authorization", `Bearer ${masterKey}`];
      expect(request?.headers[header]).toBe(value);
      expect(JSON.stringify(request?.body)).not.toContain(masterKeys[vendor] as string);
    });
  },
);
