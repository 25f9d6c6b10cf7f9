import { parseDevVars, UnreadableLine } from "../scripts/config-values";
import { awsAccount } from "./emulator/aws-transcribe";
import { livekitProject } from "./emulator/livekit";
import { emulators } from "./emulator/server";
import { twilioVoiceAccount } from "./emulator/twilio-voice";
import { DEV_ACCESS_AUD, DEV_ACCESS_TEAM_DOMAIN, type DevIdentity } from "./identity";

/**
 * Which settings `npm run dev` supplies, given the names the developer set in
 * .dev.vars. A vendor whose secret is in .dev.vars is left alone, so it talks
 * to the real vendor (or to whatever base URL .dev.vars names); every other
 * vendor points at the emulator with the emulator's own fake credentials.
 */

/** An AceData application id for the emulator. */
const EMULATOR_ACEDATA_APPLICATION_ID = "00000000-0000-4000-8000-00000000acee";
/** Admin token used when .dev.vars sets none; printed at start-up. */
export const DEV_ADMIN_TOKEN = "dev-admin-token-not-for-production-00000000";

const emulatorKey = (vendor: string) => emulators.find((e) => e.vendor === vendor)?.masterKey ?? "";

/** Per vendor: the secret names that mean "configured by the developer", and the emulator settings otherwise. */
const VENDORS: { vendor: string; secrets: string[]; emulated: (url: string) => Record<string, string> }[] = [
  {
    vendor: "soniox",
    secrets: ["SONIOX_API_KEY"],
    emulated: (url) => ({ SONIOX_API_KEY: emulatorKey("soniox"), SONIOX_BASE_URL: url }),
  },
  {
    vendor: "speechmatics",
    secrets: ["SPEECHMATICS_API_KEY"],
    emulated: (url) => ({ SPEECHMATICS_API_KEY: emulatorKey("speechmatics"), SPEECHMATICS_BASE_URL: url }),
  },
  {
    vendor: "amivoice",
    secrets: ["AMIVOICE_SID", "AMIVOICE_SPW", "AMIVOICE_ISSUER_KEY"],
    emulated: (url) => ({ AMIVOICE_ISSUER_KEY: emulatorKey("amivoice"), AMIVOICE_BASE_URL: url }),
  },
  {
    vendor: "acedata",
    secrets: ["ACEDATA_PLATFORM_TOKEN"],
    emulated: (url) => ({
      ACEDATA_PLATFORM_TOKEN: emulatorKey("acedata"),
      ACEDATA_APPLICATION_ID: EMULATOR_ACEDATA_APPLICATION_ID,
      ACEDATA_BASE_URL: url,
    }),
  },
  {
    vendor: "assemblyai",
    secrets: ["ASSEMBLYAI_API_KEY"],
    emulated: (url) => ({ ASSEMBLYAI_API_KEY: emulatorKey("assemblyai"), ASSEMBLYAI_BASE_URL: url }),
  },
  {
    vendor: "gemini",
    secrets: ["GEMINI_API_KEY"],
    emulated: (url) => ({ GEMINI_API_KEY: emulatorKey("gemini"), GEMINI_BASE_URL: url }),
  },
  {
    vendor: "deepgram",
    secrets: ["DEEPGRAM_API_KEY"],
    emulated: (url) => ({ DEEPGRAM_API_KEY: emulatorKey("deepgram"), DEEPGRAM_BASE_URL: url }),
  },
  {
    vendor: "openai",
    secrets: ["OPENAI_API_KEY"],
    emulated: (url) => ({ OPENAI_API_KEY: emulatorKey("openai"), OPENAI_BASE_URL: url }),
  },
  {
    vendor: "elevenlabs",
    secrets: ["ELEVENLABS_API_KEY"],
    emulated: (url) => ({ ELEVENLABS_API_KEY: emulatorKey("elevenlabs"), ELEVENLABS_BASE_URL: url }),
  },
  {
    vendor: "mistral",
    secrets: ["MISTRAL_API_KEY"],
    emulated: (url) => ({ MISTRAL_API_KEY: emulatorKey("mistral"), MISTRAL_BASE_URL: url }),
  },
  {
    vendor: "cartesia",
    secrets: ["CARTESIA_API_KEY"],
    emulated: (url) => ({ CARTESIA_API_KEY: emulatorKey("cartesia"), CARTESIA_BASE_URL: url }),
  },
  {
    vendor: "xai",
    secrets: ["XAI_API_KEY"],
    emulated: (url) => ({ XAI_API_KEY: emulatorKey("xai"), XAI_BASE_URL: url }),
  },
  {
    vendor: "gladia",
    secrets: ["GLADIA_API_KEY"],
    emulated: (url) => ({ GLADIA_API_KEY: emulatorKey("gladia"), GLADIA_BASE_URL: url }),
  },
  {
    vendor: "azure",
    // Any of them in .dev.vars means a real resource: the emulator's endpoint beside a region would be misconfigured.
    secrets: ["AZURE_SPEECH_KEY", "AZURE_SPEECH_REGION", "AZURE_SPEECH_ENDPOINT"],
    emulated: (url) => ({ AZURE_SPEECH_KEY: emulatorKey("azure"), AZURE_SPEECH_ENDPOINT: url }),
  },
  {
    vendor: "aws-transcribe",
    // Any of them in .dev.vars means a real account: the emulator's key is valid only in its own region.
    secrets: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"],
    emulated: (url) => ({
      AWS_ACCESS_KEY_ID: awsAccount.accessKeyId,
      AWS_SECRET_ACCESS_KEY: awsAccount.secretAccessKey,
      AWS_REGION: awsAccount.region,
      AWS_TRANSCRIBE_BASE_URL: url,
    }),
  },
  {
    vendor: "twilio-voice",
    // The secret in .dev.vars means a real API key, whose account and TwiML app SIDs are the developer's to set.
    secrets: ["TWILIO_API_KEY_SECRET"],
    emulated: (url) => ({
      TWILIO_ACCOUNT_SID: twilioVoiceAccount.accountSid,
      TWILIO_API_KEY_SID: twilioVoiceAccount.apiKeySid,
      TWILIO_API_KEY_SECRET: twilioVoiceAccount.apiKeySecret,
      TWILIO_TWIML_APP_SID: twilioVoiceAccount.twimlAppSid,
      TWILIO_VOICE_BASE_URL: url,
    }),
  },
  {
    vendor: "livekit",
    // Either in .dev.vars means a real project, whose server URL is the developer's to set.
    secrets: ["LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"],
    emulated: (url) => ({
      LIVEKIT_API_KEY: livekitProject.apiKey,
      LIVEKIT_API_SECRET: livekitProject.apiSecret,
      // The emulator's signal WebSocket is on the dev server itself.
      LIVEKIT_URL: url.replace(/^http/, "ws"),
    }),
  },
];

export function devVars(devVarsNames: ReadonlySet<string>, devUrl: string, identity: DevIdentity) {
  const vars: Record<string, string> = {};
  const emulated: string[] = [];
  for (const vendor of VENDORS) {
    if (vendor.secrets.some((name) => devVarsNames.has(name))) continue;
    Object.assign(vars, vendor.emulated(devUrl));
    emulated.push(vendor.vendor);
  }
  // Any of the auth modes in .dev.vars replaces the dev identity; an identity provider preset too.
  if (!["AUTH_PROVIDER", "AUTH_JWKS_URL", "AUTH_HS256_SECRET"].some((name) => devVarsNames.has(name))) {
    Object.assign(vars, {
      AUTH_JWKS_URL: `${devUrl}/jwks.json`,
      AUTH_ISSUER: identity.issuer,
      AUTH_AUDIENCE: identity.audience,
    });
  }
  // NATIVE_APPS_ONLY in .dev.vars takes the origins over too: with "true", the demo's would contradict it.
  if (!devVarsNames.has("ALLOWED_ORIGINS") && !devVarsNames.has("NATIVE_APPS_ONLY")) {
    vars.ALLOWED_ORIGINS = `${devUrl},${devUrl.replace("127.0.0.1", "localhost")}`;
  }
  if (!devVarsNames.has("ADMIN_TOKEN")) vars.ADMIN_TOKEN = DEV_ADMIN_TOKEN;
  // The dev identity's Access team guards the admin API beside the token, unless .dev.vars names a real team.
  if (!["ACCESS_TEAM_DOMAIN", "ACCESS_AUD", "ACCESS_JWKS_URL"].some((name) => devVarsNames.has(name))) {
    Object.assign(vars, {
      ACCESS_TEAM_DOMAIN: DEV_ACCESS_TEAM_DOMAIN,
      ACCESS_AUD: DEV_ACCESS_AUD,
      ACCESS_JWKS_URL: `${devUrl}/cdn-cgi/access/certs`,
    });
  }
  return { vars, emulated };
}

/**
 * The browser origins the broker under `npm run dev` admits, for the start-up banner:
 * the dev default when `devVars` supplied one (`--var` wins over wrangler.toml), else
 * what .dev.vars sets. Empty when a broken .dev.vars line hides it; wrangler reports that line.
 */
export function devAllowedOrigins(vars: Record<string, string>, devVarsText: string): string[] {
  const value = vars.ALLOWED_ORIGINS ?? devVarsValue(devVarsText, "ALLOWED_ORIGINS") ?? "";
  return value
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "");
}

function devVarsValue(text: string, name: string): string | undefined {
  try {
    return parseDevVars(text)[name];
  } catch (error) {
    if (error instanceof UnreadableLine) return undefined;
    throw error;
  }
}

/** The names a .dev.vars file sets (KEY=VALUE lines; # comments). */
export function namesInDevVars(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match?.[1] && match[2]?.trim()) names.add(match[1]);
  }
  return names;
}
