import { identityProvider, identityProviderIds, identityProviders } from "./auth/providers";
import type { AudienceRule, ClaimCheck, JwksAlgorithm, ProviderInput, ProviderSettings } from "./auth/providers/types";
import {
  DEFAULT_AUDIT_RETENTION_DAYS,
  DEFAULT_DAILY_MINT_QUOTA,
  MAX_DAILY_MINT_QUOTA,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  MIN_ADMIN_TOKEN_CHARS,
  MIN_HS256_SECRET_BYTES,
} from "./constants";
import type { Env, Setting } from "./env";
import { misconfigured } from "./errors";
import { parsePolicy } from "./policy/schema";
import type { Policy } from "./policy/types";

/**
 * The only reader of `env`. Each part of the configuration is checked the first
 * time it is needed and remembered per `env` object, so that one bad setting
 * (say, AmiVoice credentials) breaks only the routes that use it, with a
 * `misconfigured` error that names the variable and never its value.
 */

export type AuthConfig =
  | ({
      mode: "jwks";
      jwksUrl: URL;
      issuer: string;
      /** The preset's algorithms (`AUTH_PROVIDER`); unset, the JWKS may use RS256, ES256 or EdDSA. */
      algorithms?: readonly JwksAlgorithm[];
      clientRefClaim: string;
      /** `CLIENT_REF_SECRET`, exactly as set: when present, `client_ref` is a pseudonym keyed by it. */
      clientRefSecret: string | undefined;
    } & AudienceRule)
  | {
      mode: "hs256";
      secret: Uint8Array;
      issuer?: string;
      audience?: string;
      /** The preset's own claim rules (Supabase's `role`). */
      checkClaims?: ClaimCheck;
      clientRefClaim: string;
      clientRefSecret: string | undefined;
    };

/** Cloudflare Access in front of the admin API (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`). */
export interface AccessConfig {
  /** `https://<team domain>`: the `iss` of the team's tokens. */
  issuer: string;
  /** The Access application's audience tag. */
  audience: string;
  /** The team's key set, `https://<team domain>/cdn-cgi/access/certs`, or `ACCESS_JWKS_URL`. */
  jwksUrl: URL;
}

/** What vendor adapters may read: named vars, already trimmed and checked. */
export interface VarReader {
  /** The value, or undefined when unset or blank. */
  optional(name: Setting): string | undefined;
  /** A vendor base URL: https, or http on a loopback host (local emulators). */
  baseUrl(name: Setting, fallback: string): string;
  /** `true` or `false`; unset means false. */
  flag(name: Setting): boolean;
}

export interface BrokerConfig {
  auth(): AuthConfig;
  /** `CLIENT_REF_SECRET` when set (pseudonymous client_ref); also part of `auth()`. */
  clientRefSecret(): string | undefined;
  /**
   * The `AUDIT` KV namespace. Throws `misconfigured` when it is not bound, so
   * routes that record or read the audit trail ask for it before any vendor call.
   */
  auditNamespace(): KVNamespace;
  /** The `USER_STATE` Durable Object namespace: per-user quota counts and the denylist. */
  userStateNamespace(): DurableObjectNamespace;
  /** The `MINT_STATS` Durable Object namespace: the mint counts' shards (src/stats/). */
  mintStatsNamespace(): DurableObjectNamespace;
  /** The `ASSETS` binding: the static assets (wrangler.toml `[assets]`), which hold the OpenAPI document. */
  assets(): Fetcher;
  /** Keys one client_ref may receive per UTC day, across vendors; null when `DAILY_MINT_QUOTA` is 0. */
  dailyMintQuota(): number | null;
  /** Undefined when `ADMIN_TOKEN` is unset. */
  adminToken(): string | undefined;
  /** Undefined when Access is not set up. With neither this nor `ADMIN_TOKEN`, the admin API is disabled. */
  access(): AccessConfig | undefined;
  allowedOrigins(): ReadonlySet<string>;
  /**
   * `NATIVE_APPS_ONLY`: true declares that no browser calls the broker, so an empty
   * `ALLOWED_ORIGINS` is meant (`npm run deploy` refuses it otherwise). It changes no
   * answer: CORS follows `ALLOWED_ORIGINS` alone. Throws when origins are listed too.
   */
  nativeAppsOnly(): boolean;
  upstreamTimeoutMs(): number;
  auditRetentionSeconds(): number;
  /** `POLICY`: per-vendor enablement, TTL and option rules, claim gates and daily quotas (src/policy/). */
  policy(): Policy;
  vars: VarReader;
}

const configs = new WeakMap<Env, BrokerConfig>();

export function getConfig(env: Env): BrokerConfig {
  let config = configs.get(env);
  if (!config) {
    config = buildConfig(env);
    configs.set(env, config);
  }
  return config;
}

function buildConfig(env: Env): BrokerConfig {
  const vars = varReader(env);
  // Its own accessor, so that a health check reports it even when another auth setting is wrong too.
  const clientRefSecret = once(() => exactSecret(env, vars, "CLIENT_REF_SECRET", MIN_CLIENT_REF_SECRET_BYTES));
  const allowedOrigins = once(() => readAllowedOrigins(vars));
  return {
    vars,
    auth: once(() => readAuth(env, vars, clientRefSecret, allowedOrigins)),
    clientRefSecret,
    auditNamespace: once(() => readAuditNamespace(env)),
    userStateNamespace: once(() => readDurableObjectNamespace(env, "USER_STATE")),
    mintStatsNamespace: once(() => readDurableObjectNamespace(env, "MINT_STATS")),
    assets: once(() => readAssets(env)),
    dailyMintQuota: once(() => readDailyMintQuota(vars)),
    adminToken: once(() => readAdminToken(vars)),
    access: once(() => readAccess(vars)),
    allowedOrigins,
    nativeAppsOnly: once(() => readNativeAppsOnly(vars, allowedOrigins)),
    upstreamTimeoutMs: once(() => positiveInteger(vars, "UPSTREAM_TIMEOUT_MS", DEFAULT_UPSTREAM_TIMEOUT_MS, 60_000)),
    auditRetentionSeconds: once(
      () => positiveInteger(vars, "AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS, 3650) * 86_400,
    ),
    // Read raw: a [vars.POLICY] table in wrangler.toml arrives as an object, not JSON text.
    policy: once(() => parsePolicy((env as unknown as Record<string, unknown>).POLICY)),
  };
}

/** Memoises a result or the error thrown computing it. */
function once<T>(compute: () => T): () => T {
  let outcome: { value: T } | { error: unknown } | undefined;
  return () => {
    if (!outcome) {
      try {
        outcome = { value: compute() };
      } catch (error) {
        outcome = { error };
      }
    }
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  };
}

function varReader(env: Env): VarReader {
  const raw = env as unknown as Record<string, unknown>;
  const optional = (name: Setting): string | undefined => {
    const value = raw[name];
    if (value === undefined || value === null) return undefined;
    const text = String(value).trim();
    return text === "" ? undefined : text;
  };
  return {
    optional,
    baseUrl(name, fallback) {
      const text = optional(name) ?? fallback;
      if (!isAllowedBaseUrl(text)) {
        throw misconfigured(name, `${name} must be an https URL (http is allowed only for localhost)`);
      }
      return text.replace(/\/+$/, "");
    },
    flag(name) {
      const text = optional(name)?.toLowerCase();
      if (text === undefined || text === "false") return false;
      if (text === "true") return true;
      throw misconfigured(name, `${name} must be true or false`);
    },
  };
}

export const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isAllowedBaseUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.search || url.hash || url.username || url.password) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
}

function readAuth(
  env: Env,
  vars: VarReader,
  readClientRefSecret: () => string | undefined,
  readAllowedOrigins: () => ReadonlySet<string>,
): AuthConfig {
  const explicitJwksUrl = vars.optional("AUTH_JWKS_URL");
  const secret = vars.optional("AUTH_HS256_SECRET");
  const issuer = vars.optional("AUTH_ISSUER");
  const audience = vars.optional("AUTH_AUDIENCE");
  const clientRefClaim = vars.optional("CLIENT_REF_CLAIM") ?? "sub";
  // Read whatever the mode, so that a typo is reported even where it changes nothing.
  const allowAnonymous = vars.flag("AUTH_ALLOW_ANONYMOUS");
  const preset = readPreset(vars, { audience, allowAnonymous, allowedOrigins: readAllowedOrigins });

  if (explicitJwksUrl && secret) {
    throw misconfigured(
      "AUTH_JWKS_URL",
      "AUTH_JWKS_URL and AUTH_HS256_SECRET are both set; configure exactly one auth mode",
    );
  }
  if (preset && secret && !preset.sharedSecret) {
    throw misconfigured(
      "AUTH_HS256_SECRET",
      `AUTH_HS256_SECRET is set, but ${preset.name} signs its tokens with asymmetric keys (its JWKS): unset AUTH_HS256_SECRET`,
    );
  }
  // Explicit AUTH_* vars win over what the preset derives; AUTH_AUDIENCE went into the preset already.
  const jwksUrl = explicitJwksUrl ?? (secret ? undefined : preset?.settings.jwksUrl);
  if (jwksUrl) {
    if (!isAllowedBaseUrl(jwksUrl.split("?")[0] ?? jwksUrl)) {
      throw misconfigured("AUTH_JWKS_URL", "AUTH_JWKS_URL must be an https URL (http is allowed only for localhost)");
    }
    const clientRefSecret = readClientRefSecret();
    const common = { mode: "jwks", jwksUrl: new URL(jwksUrl), clientRefClaim, clientRefSecret } as const;
    if (preset) {
      const { settings } = preset;
      return {
        ...common,
        issuer: issuer ?? settings.issuer,
        algorithms: settings.algorithms,
        ...audienceRule(settings),
      };
    }
    if (!issuer || !audience) {
      throw misconfigured(
        issuer ? "AUTH_AUDIENCE" : "AUTH_ISSUER",
        "JWKS mode needs AUTH_ISSUER and AUTH_AUDIENCE to be set",
      );
    }
    return { ...common, issuer, audience };
  }
  if (secret) {
    const exact = exactSecret(env, vars, "AUTH_HS256_SECRET", MIN_HS256_SECRET_BYTES) as string;
    const clientRefSecret = readClientRefSecret();
    return {
      mode: "hs256",
      secret: new TextEncoder().encode(exact),
      issuer: issuer ?? preset?.settings.issuer,
      audience: preset ? preset.settings.audience : audience,
      checkClaims: preset?.settings.checkClaims,
      clientRefClaim,
      clientRefSecret,
    };
  }
  throw misconfigured(
    "AUTH_JWKS_URL",
    "end-user auth is not configured: set AUTH_PROVIDER, AUTH_JWKS_URL or AUTH_HS256_SECRET",
  );
}

/** The audience rule alone, without the preset's other settings. */
function audienceRule(settings: ProviderSettings): AudienceRule {
  return settings.audience === undefined
    ? { checkClaims: settings.checkClaims }
    : { audience: settings.audience, checkClaims: settings.checkClaims };
}

const PROVIDER_USAGE = `AUTH_PROVIDER must be one of ${identityProviderIds.map((id) => identityProviders[id].usage).join(", ")}`;

/**
 * `AUTH_PROVIDER`, `<provider>:<parameter>`: the settings of a known identity
 * provider (src/auth/providers/), or undefined when unset.
 */
function readPreset(
  vars: VarReader,
  input: Omit<ProviderInput, "parameter">,
): { name: string; sharedSecret: boolean; settings: ProviderSettings } | undefined {
  const text = vars.optional("AUTH_PROVIDER");
  if (text === undefined) return undefined;
  const colon = text.indexOf(":");
  const provider = colon > 0 ? identityProvider(text.slice(0, colon)) : undefined;
  if (!provider) throw misconfigured("AUTH_PROVIDER", PROVIDER_USAGE);
  const parameter = text.slice(colon + 1).trim();
  const settings = provider.derive({ ...input, parameter });
  return { name: provider.name, sharedSecret: provider.sharedSecret, settings };
}

/** Shortest `CLIENT_REF_SECRET` accepted: an HMAC-SHA256 key at least as long as the hash. */
const MIN_CLIENT_REF_SECRET_BYTES = 32;

/**
 * A secret used byte for byte; undefined when unset. Whitespace around it (a
 * pasted newline, say) is refused rather than trimmed: trimming would use a
 * different key than the one the other side holds.
 */
function exactSecret(env: Env, vars: VarReader, name: Setting, minBytes: number): string | undefined {
  const trimmed = vars.optional(name);
  if (trimmed === undefined) return undefined;
  const exact = String((env as unknown as Record<string, unknown>)[name]);
  if (exact !== trimmed) {
    throw misconfigured(name, `${name} has leading or trailing whitespace; set it again without it`);
  }
  if (new TextEncoder().encode(exact).byteLength < minBytes) {
    throw misconfigured(name, `${name} must be at least ${minBytes} bytes long`);
  }
  return exact;
}

const KV_METHODS = ["get", "getWithMetadata", "put", "list"] as const;

function readAuditNamespace(env: Env): KVNamespace {
  const binding: unknown = (env as unknown as Record<string, unknown>).AUDIT;
  if (binding === undefined || binding === null) {
    throw misconfigured(
      "AUDIT",
      'AUDIT is not bound: add a [[kv_namespaces]] entry with binding = "AUDIT" to wrangler.toml',
    );
  }
  // Duck-typed: a KV binding has no runtime class to check with instanceof,
  // and tests wrap the real namespace to simulate outages. `getWithMetadata`
  // tells KV apart from an R2 bucket, which also has get, put and list.
  const kv = binding as Partial<Record<(typeof KV_METHODS)[number], unknown>>;
  if (!KV_METHODS.every((method) => typeof kv[method] === "function")) {
    throw misconfigured("AUDIT", "AUDIT must be a KV namespace binding");
  }
  return binding as KVNamespace;
}

function readDurableObjectNamespace(env: Env, name: "USER_STATE" | "MINT_STATS"): DurableObjectNamespace {
  const binding = (env as unknown as Record<string, unknown>)[name] as
    Partial<Record<"idFromName" | "get", unknown>> | undefined;
  if (binding === undefined || binding === null) {
    throw misconfigured(
      name,
      `${name} is not bound: add a [[durable_objects.bindings]] entry with name = "${name}" to wrangler.toml`,
    );
  }
  if (typeof binding.idFromName !== "function" || typeof binding.get !== "function") {
    throw misconfigured(name, `${name} must be a Durable Object namespace binding`);
  }
  return binding as unknown as DurableObjectNamespace;
}

function readAssets(env: Env): Fetcher {
  const binding = (env as unknown as Record<string, unknown>).ASSETS as Partial<Record<"fetch", unknown>> | undefined;
  if (typeof binding?.fetch !== "function") {
    throw misconfigured(
      "ASSETS",
      'ASSETS is not bound: keep the [assets] block with binding = "ASSETS" in wrangler.toml',
    );
  }
  return binding as Fetcher;
}

function readDailyMintQuota(vars: VarReader): number | null {
  const text = vars.optional("DAILY_MINT_QUOTA");
  if (text === undefined) return DEFAULT_DAILY_MINT_QUOTA;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > MAX_DAILY_MINT_QUOTA) {
    throw misconfigured(
      "DAILY_MINT_QUOTA",
      `DAILY_MINT_QUOTA must be a whole number from 0 (no quota) to ${MAX_DAILY_MINT_QUOTA}`,
    );
  }
  return value === 0 ? null : value;
}

function readAdminToken(vars: VarReader): string | undefined {
  const token = vars.optional("ADMIN_TOKEN");
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_CHARS) {
    throw misconfigured("ADMIN_TOKEN", `ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_CHARS} characters long`);
  }
  return token;
}

/**
 * Access is on when both its settings are set; one without the other, or a key set URL
 * without them, is a half-done setup that must not silently leave the API to the token alone.
 */
function readAccess(vars: VarReader): AccessConfig | undefined {
  const teamDomain = vars.optional("ACCESS_TEAM_DOMAIN")?.toLowerCase();
  const audience = vars.optional("ACCESS_AUD");
  const jwksUrl = vars.optional("ACCESS_JWKS_URL");
  if (teamDomain === undefined && audience === undefined) {
    if (jwksUrl !== undefined) {
      throw misconfigured("ACCESS_JWKS_URL", "ACCESS_JWKS_URL is set, but ACCESS_TEAM_DOMAIN and ACCESS_AUD are not");
    }
    return undefined;
  }
  if (teamDomain === undefined || audience === undefined) {
    const missing = teamDomain === undefined ? "ACCESS_TEAM_DOMAIN" : "ACCESS_AUD";
    throw misconfigured(missing, "Cloudflare Access needs both ACCESS_TEAM_DOMAIN and ACCESS_AUD to be set");
  }
  if (!isHostName(teamDomain)) {
    throw misconfigured(
      "ACCESS_TEAM_DOMAIN",
      "ACCESS_TEAM_DOMAIN must be a bare host name such as myteam.cloudflareaccess.com, with no scheme, port or path",
    );
  }
  if (jwksUrl !== undefined && !isAccessKeySetUrl(jwksUrl, teamDomain)) {
    throw misconfigured(
      "ACCESS_JWKS_URL",
      "ACCESS_JWKS_URL must be an https URL on ACCESS_TEAM_DOMAIN, or a URL on localhost (for an emulator)",
    );
  }
  const issuer = `https://${teamDomain}`;
  return { issuer, audience, jwksUrl: new URL(jwksUrl ?? `${issuer}/cdn-cgi/access/certs`) };
}

/**
 * Whoever serves the Access key set can sign admin tokens, so an override may only move the
 * key set on the team's own host, or to a local emulator.
 */
function isAccessKeySetUrl(text: string, teamDomain: string): boolean {
  if (!isAllowedBaseUrl(text)) return false;
  const { hostname } = new URL(text);
  return hostname === teamDomain || LOOPBACK_HOSTS.has(hostname);
}

/** A host-name label (RFC 1123): letters, digits and inner hyphens, at most 63. */
const HOST_NAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Two or more host-name labels, as a team domain is. */
function isHostName(text: string): boolean {
  const labels = text.split(".");
  return text.length <= 253 && labels.length >= 2 && labels.every((label) => HOST_NAME_LABEL.test(label));
}

const BARE_ORIGIN_HINT =
  "write each as scheme://host[:port] in lowercase, like https://app.example.com, with no wildcard, path, trailing slash, query or credentials";

function readAllowedOrigins(vars: VarReader): ReadonlySet<string> {
  const origins = new Set<string>();
  const entries = (vars.optional("ALLOWED_ORIGINS") ?? "").split(",");
  for (const [index, entry] of entries.entries()) {
    const origin = entry.trim();
    if (origin === "") continue;
    if (!isBareOrigin(origin)) {
      // The position, never the value, so the message cannot leak what was set.
      throw misconfigured(
        "ALLOWED_ORIGINS",
        `ALLOWED_ORIGINS entry ${index + 1} is not a bare origin: ${BARE_ORIGIN_HINT}`,
      );
    }
    origins.add(origin);
  }
  return origins;
}

/** `NATIVE_APPS_ONLY`, refused when it contradicts `ALLOWED_ORIGINS`. */
function readNativeAppsOnly(vars: VarReader, readAllowedOrigins: () => ReadonlySet<string>): boolean {
  const nativeAppsOnly = vars.flag("NATIVE_APPS_ONLY");
  if (nativeAppsOnly && readAllowedOrigins().size > 0) {
    throw misconfigured(
      "NATIVE_APPS_ONLY",
      "NATIVE_APPS_ONLY is true, which declares that no browser calls the broker, but ALLOWED_ORIGINS lists origins: " +
        "empty ALLOWED_ORIGINS if only native apps call it, or set NATIVE_APPS_ONLY to false",
    );
  }
  return nativeAppsOnly;
}

/** One DNS label: letters, digits, hyphens and underscores, not starting or ending with a hyphen. */
const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/**
 * An origin exactly as a browser sends it in `Origin`: http or https, and equal
 * to its own `new URL(text).origin`, which refuses paths, a trailing slash,
 * queries, credentials, default ports and uppercase. The URL parser accepts
 * `*` and other characters in a host, so the host must also be an IP address
 * or dot-separated DNS labels: `https://*.example.com` would otherwise be kept
 * and silently never match.
 */
function isBareOrigin(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  if (url.origin !== text) return false;
  const host = url.hostname;
  if (host.startsWith("[") && host.endsWith("]")) return true; // IPv6, already validated and normalised
  return host.split(".").every((label) => HOST_LABEL.test(label));
}

function positiveInteger(vars: VarReader, name: Setting, fallback: number, max: number): number {
  const text = vars.optional(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw misconfigured(name, `${name} must be a whole number from 1 to ${max}`);
  }
  return value;
}
