import { describe, expect, inject, it } from "vitest";
import { getConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { configuredSecrets } from "../../src/secrets";
import { MAX_VENDOR_MESSAGE_CHARS, safeVendorText } from "../../src/vendors/vendor-text";
import { expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { faultUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";

const amivoiceAccount = inject("amivoiceAccount");

/** Each vendor with credentials the emulator's echo faults will quote back. */
const SETUPS = [
  { vendor: "soniox", env: { SONIOX_BASE_URL: "" }, secrets: [masterKeys.soniox] },
  { vendor: "speechmatics", env: { SPEECHMATICS_BASE_URL: "" }, secrets: [masterKeys.speechmatics] },
  { vendor: "amivoice", env: { AMIVOICE_BASE_URL: "" }, secrets: [masterKeys.amivoice] },
  {
    vendor: "amivoice (service id and password)",
    env: {
      AMIVOICE_BASE_URL: "",
      AMIVOICE_ISSUER_KEY: undefined,
      AMIVOICE_SID: amivoiceAccount.sid,
      AMIVOICE_SPW: amivoiceAccount.spw,
    },
    secrets: [amivoiceAccount.sid, amivoiceAccount.spw],
  },
  { vendor: "acedata", env: { ACEDATA_BASE_URL: "" }, secrets: [masterKeys.acedata] },
  { vendor: "openai", env: { OPENAI_BASE_URL: "" }, secrets: [masterKeys.openai] },
  { vendor: "deepgram", env: { DEEPGRAM_BASE_URL: "" }, secrets: [masterKeys.deepgram] },
  { vendor: "assemblyai", env: { ASSEMBLYAI_BASE_URL: "" }, secrets: [masterKeys.assemblyai] },
  { vendor: "elevenlabs", env: { ELEVENLABS_BASE_URL: "" }, secrets: [masterKeys.elevenlabs] },
  { vendor: "cartesia", env: { CARTESIA_BASE_URL: "" }, secrets: [masterKeys.cartesia] },
  { vendor: "gladia", env: { GLADIA_BASE_URL: "" }, secrets: [masterKeys.gladia] },
  { vendor: "xai", env: { XAI_BASE_URL: "" }, secrets: [masterKeys.xai] },
  { vendor: "mistral", env: { MISTRAL_BASE_URL: "" }, secrets: [masterKeys.mistral] },
  { vendor: "gemini", env: { GEMINI_BASE_URL: "" }, secrets: [masterKeys.gemini] },
  { vendor: "azure", env: { AZURE_SPEECH_ENDPOINT: "" }, secrets: [masterKeys.azure] },
].map((setup) => ({ ...setup, id: setup.vendor.split(" ")[0] as string, secrets: setup.secrets as string[] }));

const CONTROL_CHARACTER = /[\p{Cc}\p{Cf}]/u;

describe.each(SETUPS)("$vendor validation messages that quote our credentials", ({ id, env, secrets }) => {
  const baseUrlVar = Object.keys(env)[0] as string;

  it.each(["echo-400", "echo-422"])("%s: passes the message on with every secret redacted", async (fault) => {
    const error = await expectError(
      await mint(id, uniqueUser(), { env: { ...env, [baseUrlVar]: faultUrl(fault) } }),
      502,
      "upstream_rejected",
    );
    // The message is forwarded (the fault's own words are there), but not what it quoted.
    expect(error.message).toContain("Invalid credentials");
    expect(error.message).toContain("[redacted]");
    for (const secret of secrets) expect(error.message).not.toContain(secret);
    expect(error.message).not.toMatch(CONTROL_CHARACTER);
    expect(error.message).not.toMatch(/Bearer (?!\[redacted\])/);
  });
});

describe("configuredSecrets", () => {
  const SECRET_VARS = [
    "SONIOX_API_KEY",
    "SPEECHMATICS_API_KEY",
    "AMIVOICE_SID",
    "AMIVOICE_SPW",
    "AMIVOICE_ISSUER_KEY",
    "ACEDATA_PLATFORM_TOKEN",
    "ASSEMBLYAI_API_KEY",
    "DEEPGRAM_API_KEY",
    "ELEVENLABS_API_KEY",
    "GEMINI_API_KEY",
    "AZURE_SPEECH_KEY",
    "ADMIN_TOKEN",
    "AUTH_HS256_SECRET",
  ];

  it("returns the value of every secret variable, so each is scrubbed from vendor text", () => {
    const env = Object.fromEntries(SECRET_VARS.map((name) => [name, `value-of-${name}-0123456789abcdef`]));
    const secrets = configuredSecrets(getConfig(env as unknown as Env).vars);
    expect(secrets).toEqual(expect.arrayContaining(Object.values(env)));
  });

  it("leaves out secrets that are unset", () => {
    const secrets = configuredSecrets(getConfig({ SONIOX_API_KEY: "only-this-one" } as unknown as Env).vars);
    expect(secrets).toEqual(["only-this-one"]);
  });
});

describe("safeVendorText", () => {
  const secrets = ["master-key-0123456789", "sid/with+odd&chars", "hs256 secret with spaces"];

  it("redacts every configured secret, raw and form-encoded, and any bearer token", () => {
    const text =
      "bad key master-key-0123456789; sid=sid%2Fwith%2Bodd%26chars; hs256 secret with spaces; " +
      "Authorization: Bearer some.other.token";
    const safe = safeVendorText(text, secrets);
    expect(safe).toBe("bad key [redacted]; sid=[redacted]; [redacted]; Authorization: Bearer [redacted]");
  });

  it("removes control characters before searching, so one hidden inside a secret cannot split it", () => {
    expect(safeVendorText("key master\u0000-key-\u202e0123456789 end", secrets)).toBe("key [redacted] end");
  });

  it("redacts a secret with a newline and a double space that the vendor echoes, however it spaces it", () => {
    const secret = "first line\nsecond  line-0123456789";
    expect(safeVendorText(`Invalid credentials: "${secret}".`, [secret])).toBe('Invalid credentials: "[redacted]".');
    // Echoed with its line break and spaces written differently.
    const respaced = "first line\r\nsecond \t line-0123456789";
    expect(safeVendorText(`Invalid credentials: "${respaced}".`, [secret])).toBe('Invalid credentials: "[redacted]".');
  });

  it("never treats a secret of only spaces as something to redact", () => {
    expect(safeVendorText("a b  c", [" ", "\n\t"])).toBe("a b c");
  });

  it("keeps one line of at most 300 characters, cut after redaction", () => {
    const safe = safeVendorText(`${"a\n".repeat(140)}master-key-0123456789${"b".repeat(500)}`, secrets);
    expect(safe).not.toContain("\n");
    expect(safe).toHaveLength(MAX_VENDOR_MESSAGE_CHARS + 1);
    expect(safe.endsWith("…")).toBe(true);
    expect(safe).toContain("[redacted]");
    expect(safe).not.toContain("master-key");
  });
});
