import * as z from "zod/mini";
import type { VarReader } from "../config";
import { misconfigured } from "../errors";
import { type Connect, endpointFor } from "./connect";
import { presignUrl } from "./sigv4-presign";
import type { MintInput, MintedKey, VendorAdapter } from "./types";

/**
 * Amazon Transcribe streaming over WebSocket: the broker presigns the
 * connection URL itself (SigV4 query signing), so a mint makes no call to AWS.
 * @see https://docs.aws.amazon.com/transcribe/latest/dg/streaming-websocket.html
 */
const PATH = "/stream-transcription-websocket";
const SERVICE = "transcribe";
/** The region's streaming host; AWS signs and verifies the `host` with its port. */
const regionBaseUrl = (region: string) => `https://transcribestreaming.${region}.amazonaws.com:8443`;
/** An AWS region name (`us-east-1`, `eu-central-2`, `us-gov-west-1`). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** Unset and not identifying the language, the stream is in US English. */
const DEFAULT_LANGUAGE_CODE = "en-US";

/** `LanguageCode` of Transcribe streaming (aws-sdk-js-v3 client-transcribe-streaming `models/enums.ts`). */
// prettier-ignore
const AWS_TRANSCRIBE_LANGUAGE_CODES = [
  "af-ZA", "am-ET", "ar-AE", "ar-SA", "be-BY", "bg-BG", "bn-IN", "bs-BA", "ca-ES", "ckb-IQ", "ckb-IR", "cs-CZ",
  "cy-WL", "da-DK", "de-CH", "de-DE", "el-GR", "en-AB", "en-AU", "en-GB", "en-IE", "en-IN", "en-NZ", "en-US",
  "en-WL", "en-ZA", "es-ES", "es-MX", "es-US", "et-ET", "eu-ES", "fa-AF", "fa-IR", "fi-FI", "fr-CA", "fr-FR",
  "gl-ES", "gu-IN", "he-IL", "hi-IN", "hr-HR", "ht-HT", "hu-HU", "hy-AM", "id-ID", "is-IS", "it-IT", "ja-JP",
  "jv-ID", "kab-DZ", "ka-GE", "kk-KZ", "km-KH", "kn-IN", "ko-KR", "lg-IN", "lt-LT", "lv-LV", "mk-MK", "ml-IN",
  "mr-IN", "ms-MY", "my-MM", "ne-NP", "nl-NL", "no-NO", "or-IN", "pa-IN", "pl-PL", "ps-AF", "pt-BR", "pt-PT",
  "ro-RO", "ru-RU", "si-LK", "sk-SK", "sl-SI", "so-SO", "sq-AL", "sr-RS", "su-ID", "sv-SE", "sw-BI", "sw-KE",
  "sw-RW", "sw-TZ", "sw-UG", "ta-IN", "te-IN", "th-TH", "tl-PH", "tr-TR", "uk-UA", "uz-UZ", "vi-VN", "zh-CN",
  "zh-HK", "zh-TW", "zu-ZA",
] as const;
const LANGUAGE_CODES: ReadonlySet<string> = new Set(AWS_TRANSCRIBE_LANGUAGE_CODES);

const SAMPLE_RATE_RULE = "sample_rate must be an integer from 8000 to 48000 (Hz)";
const LANGUAGE_OPTIONS_RULE =
  "language_options must be two or more Transcribe streaming language codes, comma-separated, " +
  "at most one dialect per language (en-US,es-US)";

function languageList(text: string): string[] {
  return text.split(",");
}

/** The language part of a code: `en` of `en-US`, `ckb` of `ckb-IQ`. */
function languageOf(code: string): string {
  return code.split("-")[0] ?? code;
}

const fields = {
  /** `language-code`; unset (and not identifying the language), en-US. */
  language_code: z.optional(z.enum(AWS_TRANSCRIBE_LANGUAGE_CODES)),
  /** `identify-language`: Transcribe identifies the language among `language_options`. */
  identify_language: z._default(z.boolean(), false),
  /** `language-options`, comma-separated; AWS refuses two dialects of one language in a stream. */
  language_options: z.optional(
    z.string().check(
      z.refine((text) => {
        const codes = languageList(text);
        const languages = new Set(codes.map(languageOf));
        return codes.length >= 2 && languages.size === codes.length && codes.every((code) => LANGUAGE_CODES.has(code));
      }, LANGUAGE_OPTIONS_RULE),
    ),
  ),
  /** `media-encoding`: `MediaEncoding`. */
  media_encoding: z._default(z.enum(["pcm", "ogg-opus", "flac"]), "pcm"),
  /** `sample-rate`: `MediaSampleRateHertz`, 8000..48000. */
  sample_rate: z._default(z.int().check(z.minimum(8000, SAMPLE_RATE_RULE), z.maximum(48000, SAMPLE_RATE_RULE)), 16000),
};

type AwsTranscribeOptions = z.output<z.ZodMiniObject<typeof fields>>;

export interface AwsTranscribeSettings {
  accessKeyId: string;
  secretAccessKey: string;
  /** With temporary (STS) credentials; it travels in the URL, as AWS requires. */
  sessionToken: string | undefined;
  region: string;
  /** The streaming host: the region's, or `AWS_TRANSCRIBE_BASE_URL` (a FIPS host, the emulator). */
  baseUrl: string;
}

export const awsTranscribe = {
  name: "aws-transcribe",
  // AWS refuses a presigned URL whose X-Amz-Expires is over 300 seconds.
  ttl: { min: 1, max: 300, default: 60 },
  secretVars: ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"],
  credential:
    "a presigned URL that starts a Transcribe stream with the language and audio settings it was signed with, " +
    "until it expires (a stream started in time may run past it); a second stream with it ends the first, " +
    "so it is single use: never cached or shared",
  fields,

  checkOptions(options: AwsTranscribeOptions): string | undefined {
    if (options.identify_language) {
      if (options.language_code !== undefined) return "language_code cannot be sent with identify_language";
      if (options.language_options === undefined) return "identify_language needs language_options";
    } else if (options.language_options !== undefined) {
      return "language_options is only for identify_language";
    }
    return undefined;
  },

  // language_code always applies: identify_language is another way to choose the language, so a
  // POLICY rule on language_code must refuse it rather than be skipped (identification gets 400).
  optionApplies(name: string, options: AwsTranscribeOptions): boolean {
    return name !== "language_options" || options.identify_language;
  },

  settings(vars: VarReader): AwsTranscribeSettings | undefined {
    const accessKeyId = vars.optional("AWS_ACCESS_KEY_ID");
    if (!accessKeyId) return undefined;
    const secretAccessKey = vars.optional("AWS_SECRET_ACCESS_KEY");
    if (!secretAccessKey) {
      throw misconfigured(
        "AWS_SECRET_ACCESS_KEY",
        "AWS Transcribe: AWS_SECRET_ACCESS_KEY must be set with AWS_ACCESS_KEY_ID",
      );
    }
    const region = vars.optional("AWS_REGION");
    if (region === undefined || !REGION.test(region)) {
      throw misconfigured("AWS_REGION", "AWS Transcribe: AWS_REGION must be a region name such as us-east-1");
    }
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken: vars.optional("AWS_SESSION_TOKEN"),
      region,
      baseUrl: vars.baseUrl("AWS_TRANSCRIBE_BASE_URL", regionBaseUrl(region)),
    };
  },

  connect(): Connect {
    // The presigned URL carries the credential and every setting: the client opens it as given.
    return { transport: "websocket", endpoint: null, credential: { in: "url" } };
  },

  // Nothing is sent to AWS, so there is no vendor answer to read.
  readFailure: () => ({}),

  async mint({ settings, options, ttlSeconds, now }: MintInput<AwsTranscribeSettings, AwsTranscribeOptions>) {
    const defaultBaseUrl = regionBaseUrl(settings.region);
    const url = new URL(endpointFor(settings.baseUrl, defaultBaseUrl, `wss://${new URL(defaultBaseUrl).host}${PATH}`));
    const languageCode = options.identify_language ? undefined : (options.language_code ?? DEFAULT_LANGUAGE_CODE);
    // AWS's own id for the stream (it answers it as x-amzn-transcribe-session-id). Signed with the rest, it
    // names the URL in the audit, where the signature itself, being the credential, is kept only as a fingerprint;
    // and AWS ends a stream when another starts with its session id, so a URL carries one stream at a time.
    const sessionId = crypto.randomUUID();
    const query = {
      ...(languageCode === undefined
        ? { "identify-language": "true", "language-options": options.language_options }
        : { "language-code": languageCode }),
      "media-encoding": options.media_encoding,
      "sample-rate": String(options.sample_rate),
      "session-id": sessionId,
    };
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
    // SigV4 times are whole seconds: the URL is signed, and expires, on the second `now` falls in.
    const signedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const signed = await presignUrl({
      url,
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      sessionToken: settings.sessionToken,
      region: settings.region,
      service: SERVICE,
      signedAt,
      expiresInSeconds: ttlSeconds,
    });
    const applied = {
      language_code: languageCode,
      identify_language: options.identify_language,
      language_options: options.language_options,
      media_encoding: options.media_encoding,
      sample_rate: options.sample_rate,
      session_id: sessionId,
      // A second stream with the URL ends the first (ConflictException): never cached or shared.
      single_use: true,
    };
    return {
      key: signed.signature,
      url: signed.url.toString(),
      // AWS stops taking the URL X-Amz-Expires seconds after X-Amz-Date.
      expiresAt: new Date(signedAt.getTime() + ttlSeconds * 1000),
      applied,
      vendorKeyId: sessionId,
    } satisfies MintedKey;
  },
} satisfies VendorAdapter<AwsTranscribeSettings, AwsTranscribeOptions>;
