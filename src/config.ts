import {
  DEFAULT_AUDIT_RETENTION_DAYS,
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  MIN_ADMIN_TOKEN_CHARS,
  MIN_HS256_SECRET_BYTES,
} from "./constants";
import type { Env } from "./env";
import { misconfigured } from "./errors";

/**
 * The only reader of `env`. Each part of the configuration is checked the first
 * time it is needed and remembered per `env` object, so that one bad setting
 * (say, AmiVoice credentials) breaks only the routes that use it, with a
 * `misconfigured` error that names the variable and never its value.
 */

export type AuthConfig =
  | {
      mode: "jwks";
      jwksUrl: URL;
      issuer: string;
      audience: string;
      clientRefClaim: string;
    }
  | {
      mode: "hs256";
      secret: Uint8Array;
      issuer?: string;
      audience?: string;
      clientRefClaim: string;
    };

/** What vendor adapters may read: named vars, already trimmed and checked. */
export interface VarReader {
  /** The value, or undefined when unset or blank. */
  optional(name: string): string | undefined;
  /** A vendor base URL: https, or http on a loopback host (local emulators). */
  baseUrl(name: string, fallback: string): string;
  /** `true` or `false`; unset means false. */
  flag(name: string): boolean;
}

export interface BrokerConfig {
  auth(): AuthConfig;
  /**
   * The `AUDIT` KV namespace. Throws `misconfigured` when it is not bound, so
   * routes that record or read the audit trail ask for it before any vendor call.
   */
  auditNamespace(): KVNamespace;
  /** Undefined when `ADMIN_TOKEN` is unset: the audit API is then disabled. */
  adminToken(): string | undefined;
  allowedOrigins(): ReadonlySet<string>;
  upstreamTimeoutMs(): number;
  auditRetentionSeconds(): number;
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
  return {
    vars,
    auth: once(() => readAuth(env, vars)),
    auditNamespace: once(() => readAuditNamespace(env)),
    adminToken: once(() => readAdminToken(vars)),
    allowedOrigins: once(() => readAllowedOrigins(vars)),
    upstreamTimeoutMs: once(() => positiveInteger(vars, "UPSTREAM_TIMEOUT_MS", DEFAULT_UPSTREAM_TIMEOUT_MS, 60_000)),
    auditRetentionSeconds: once(
      () => positiveInteger(vars, "AUDIT_RETENTION_DAYS", DEFAULT_AUDIT_RETENTION_DAYS, 3650) * 86_400,
    ),
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
  const optional = (name: string): string | undefined => {
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

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

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

function readAuth(env: Env, vars: VarReader): AuthConfig {
  const jwksUrl = vars.optional("AUTH_JWKS_URL");
  const secret = vars.optional("AUTH_HS256_SECRET");
  const issuer = vars.optional("AUTH_ISSUER");
  const audience = vars.optional("AUTH_AUDIENCE");
  const clientRefClaim = vars.optional("CLIENT_REF_CLAIM") ?? "sub";

  if (jwksUrl && secret) {
    throw misconfigured(
      "AUTH_JWKS_URL",
      "AUTH_JWKS_URL and AUTH_HS256_SECRET are both set; configure exactly one auth mode",
    );
  }
  if (jwksUrl) {
    if (!isAllowedBaseUrl(jwksUrl.split("?")[0] ?? jwksUrl)) {
      throw misconfigured("AUTH_JWKS_URL", "AUTH_JWKS_URL must be an https URL (http is allowed only for localhost)");
    }
    if (!issuer || !audience) {
      throw misconfigured(
        issuer ? "AUTH_AUDIENCE" : "AUTH_ISSUER",
        "JWKS mode needs AUTH_ISSUER and AUTH_AUDIENCE to be set",
      );
    }
    return { mode: "jwks", jwksUrl: new URL(jwksUrl), issuer, audience, clientRefClaim };
  }
  if (secret) {
    // A secret is used byte for byte, so whitespace around it (a pasted newline,
    // say) is refused rather than trimmed: trimming would verify with a
    // different key than the one the token issuer signs with.
    const exact = String((env as unknown as Record<string, unknown>).AUTH_HS256_SECRET);
    if (exact !== secret) {
      throw misconfigured(
        "AUTH_HS256_SECRET",
        "AUTH_HS256_SECRET has leading or trailing whitespace; set it again without it",
      );
    }
    const bytes = new TextEncoder().encode(exact);
    if (bytes.byteLength < MIN_HS256_SECRET_BYTES) {
      throw misconfigured(
        "AUTH_HS256_SECRET",
        `AUTH_HS256_SECRET must be at least ${MIN_HS256_SECRET_BYTES} bytes long`,
      );
    }
    return { mode: "hs256", secret: bytes, issuer, audience, clientRefClaim };
  }
  throw misconfigured("AUTH_JWKS_URL", "end-user auth is not configured: set AUTH_JWKS_URL or AUTH_HS256_SECRET");
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

function readAdminToken(vars: VarReader): string | undefined {
  const token = vars.optional("ADMIN_TOKEN");
  if (token !== undefined && token.length < MIN_ADMIN_TOKEN_CHARS) {
    throw misconfigured("ADMIN_TOKEN", `ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_CHARS} characters long`);
  }
  return token;
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

function positiveInteger(vars: VarReader, name: string, fallback: number, max: number): number {
  const text = vars.optional(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw misconfigured(name, `${name} must be a whole number from 1 to ${max}`);
  }
  return value;
}
