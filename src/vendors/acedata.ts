import * as z from "zod/mini";
import type { VarReader } from "../config";
import { misconfigured } from "../errors";
import type { Connect } from "./connect";
import type { MintInput, MintedKey, VendorAdapter } from "./types";
import { parseVendorJson, tryJson, type VendorFailureReading } from "./upstream";

/** @see https://platform.acedata.cloud/documents (Create Key) */
const DEFAULT_BASE_URL = "https://platform.acedata.cloud";
const PATH = "/api/v1/credentials/";

interface AceDataSettings {
  platformToken: string;
  applicationId: string;
  baseUrl: string;
  /** Operator's cap on `limited_amount`, and its default when set. */
  maxAmount: number | undefined;
  /** Domain every key is bound to, when set. */
  host: string | undefined;
}

const fields = {
  limited_amount: z.optional(z.number().check(z.positive("limited_amount must be a positive number"))),
};

type AceDataOptions = z.output<z.ZodMiniObject<typeof fields>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const createdCredential = z.object({
  id: z.optional(z.nullable(z.string())),
  token: z.string().check(z.minLength(1)),
  expired_at: z.optional(z.nullable(z.iso.datetime({ offset: true, local: false }))),
});

/** Django REST Framework errors: `{"detail": "..."}` or `{"field": ["message", ...]}`. */
const errorBody = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

export const acedata = {
  name: "acedata",
  ttl: { min: 60, max: 86_400, default: 3600 },
  secretVars: ["ACEDATA_PLATFORM_TOKEN"],
  credential: "a real API credential, usable until it expires or has spent limited_amount",
  fields,

  checkSettings(options: AceDataOptions, settings: AceDataSettings): string | undefined {
    const { maxAmount } = settings;
    return maxAmount !== undefined && options.limited_amount !== undefined && options.limited_amount > maxAmount
      ? `limited_amount must be at most ${maxAmount} on this broker`
      : undefined;
  },

  settings(vars: VarReader): AceDataSettings | undefined {
    const platformToken = vars.optional("ACEDATA_PLATFORM_TOKEN");
    if (!platformToken) return undefined;
    const applicationId = vars.optional("ACEDATA_APPLICATION_ID");
    if (!applicationId || !UUID.test(applicationId)) {
      throw misconfigured(
        "ACEDATA_APPLICATION_ID",
        "AceData: ACEDATA_APPLICATION_ID must be set to the application's UUID",
      );
    }
    const maxAmountText = vars.optional("ACEDATA_MAX_AMOUNT");
    const maxAmount = maxAmountText === undefined ? undefined : Number(maxAmountText);
    if (maxAmount !== undefined && !(Number.isFinite(maxAmount) && maxAmount > 0)) {
      throw misconfigured("ACEDATA_MAX_AMOUNT", "AceData: ACEDATA_MAX_AMOUNT must be a positive number");
    }
    const host = vars.optional("ACEDATA_HOST");
    if (host !== undefined && !HOSTNAME.test(host)) {
      throw misconfigured("ACEDATA_HOST", "AceData: ACEDATA_HOST must be a domain name such as app.example.com");
    }
    return {
      platformToken,
      applicationId,
      baseUrl: vars.baseUrl("ACEDATA_BASE_URL", DEFAULT_BASE_URL),
      maxAmount,
      host,
    };
  },

  connect(): Connect {
    // A credential for all of AceData's HTTP APIs, so there is no one endpoint.
    return { transport: "http", endpoint: null, credential: { in: "header", name: "Authorization", scheme: "Bearer" } };
  },

  readFailure(_status: number, text: string): VendorFailureReading {
    const parsed = z.safeParse(errorBody, tryJson(text));
    if (!parsed.success) return {};
    const messages = Object.entries(parsed.data).map(([field, value]) => {
      const text = Array.isArray(value) ? value.join(" ") : value;
      return field === "detail" ? text : `${field}: ${text}`;
    });
    return { message: messages.join("; ") };
  },

  async mint({
    settings,
    options,
    ttlSeconds,
    now,
    send,
  }: MintInput<AceDataSettings, AceDataOptions>): Promise<MintedKey> {
    const limitedAmount = options.limited_amount ?? settings.maxAmount;
    // Always an expiry: AceData treats a missing or null expired_at as a key that never expires.
    const expiredAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString();
    const reply = await send({
      url: settings.baseUrl + PATH,
      headers: {
        Authorization: `Bearer ${settings.platformToken}`,
        "Content-Type": "application/json",
        Accept: "application/json",
      },
      body: JSON.stringify({
        application_id: settings.applicationId,
        expired_at: expiredAt,
        limited_amount: limitedAmount,
        host: settings.host,
      }),
    });
    const created = parseVendorJson(this.name, reply, createdCredential, { key: "token", vendorKeyId: "id" });
    return {
      key: created.token,
      // A missing or null expired_at is a credential that never expires; the mint flow refuses it.
      expiresAt: created.expired_at ? new Date(created.expired_at) : null,
      applied: { limited_amount: limitedAmount, host: settings.host },
      vendorKeyId: created.id ?? undefined,
    };
  },
} satisfies VendorAdapter<AceDataSettings, AceDataOptions>;
