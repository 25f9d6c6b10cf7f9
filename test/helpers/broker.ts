import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env as workerEnv } from "cloudflare:workers";
import { inject, vi } from "vitest";
import worker, { createApp } from "../../src/index";
import type { Env } from "../../src/env";

export const emulatorUrl = inject("emulatorUrl");
export const masterKeys = inject("masterKeys");
export const awsAccount = inject("awsAccount");
export const twilioVoiceAccount = inject("twilioVoiceAccount");
export const livekitProject = inject("livekitProject");

/** An AceData application id as the operator would configure it. */
export const ACEDATA_APPLICATION_ID = "107f8d0f-e465-4a7e-a49e-d633d26f7aa2";

export const ISSUER = "https://idp.test.example";
export const AUDIENCE = "edge-key-broker-tests";
export const HS256_SECRET = "hs256-test-secret-that-is-long-enough-0123";
export const ADMIN_TOKEN = "admin-token-for-tests-0123456789abcdef0123";

/** A broker configured like production: JWKS auth, every vendor on the emulator, a real KV namespace. */
export function brokerEnv(overrides: Partial<Env> = {}): Env {
  return {
    ...(workerEnv as unknown as Env),
    AUTH_JWKS_URL: `${emulatorUrl}/jwks.json`,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    ADMIN_TOKEN,
    ALLOWED_ORIGINS: "https://app.example.com,http://localhost:5173",
    SONIOX_API_KEY: masterKeys.soniox,
    SONIOX_BASE_URL: emulatorUrl,
    SPEECHMATICS_API_KEY: masterKeys.speechmatics,
    SPEECHMATICS_BASE_URL: emulatorUrl,
    AMIVOICE_ISSUER_KEY: masterKeys.amivoice,
    AMIVOICE_BASE_URL: emulatorUrl,
    ACEDATA_PLATFORM_TOKEN: masterKeys.acedata,
    ACEDATA_APPLICATION_ID,
    ACEDATA_BASE_URL: emulatorUrl,
    OPENAI_API_KEY: masterKeys.openai,
    OPENAI_BASE_URL: emulatorUrl,
    DEEPGRAM_API_KEY: masterKeys.deepgram,
    DEEPGRAM_BASE_URL: emulatorUrl,
    ASSEMBLYAI_API_KEY: masterKeys.assemblyai,
    ASSEMBLYAI_BASE_URL: emulatorUrl,
    GEMINI_API_KEY: masterKeys.gemini,
    GEMINI_BASE_URL: emulatorUrl,
    ELEVENLABS_API_KEY: masterKeys.elevenlabs,
    ELEVENLABS_BASE_URL: emulatorUrl,
    AZURE_SPEECH_KEY: masterKeys.azure,
    AZURE_SPEECH_ENDPOINT: emulatorUrl,
    MISTRAL_API_KEY: masterKeys.mistral,
    MISTRAL_BASE_URL: emulatorUrl,
    CARTESIA_API_KEY: masterKeys.cartesia,
    CARTESIA_BASE_URL: emulatorUrl,
    GLADIA_API_KEY: masterKeys.gladia,
    GLADIA_BASE_URL: emulatorUrl,
    XAI_API_KEY: masterKeys.xai,
    XAI_BASE_URL: emulatorUrl,
    AWS_ACCESS_KEY_ID: awsAccount.accessKeyId,
    AWS_SECRET_ACCESS_KEY: awsAccount.secretAccessKey,
    AWS_REGION: awsAccount.region,
    AWS_TRANSCRIBE_BASE_URL: emulatorUrl,
    TWILIO_ACCOUNT_SID: twilioVoiceAccount.accountSid,
    TWILIO_API_KEY_SID: twilioVoiceAccount.apiKeySid,
    TWILIO_API_KEY_SECRET: twilioVoiceAccount.apiKeySecret,
    TWILIO_TWIML_APP_SID: twilioVoiceAccount.twimlAppSid,
    TWILIO_VOICE_BASE_URL: emulatorUrl,
    LIVEKIT_API_KEY: livekitProject.apiKey,
    LIVEKIT_API_SECRET: livekitProject.apiSecret,
    LIVEKIT_URL: emulatorUrl.replace(/^http/, "ws"),
    ...overrides,
  };
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A value to send as JSON, or a string sent as is. */
  body?: unknown;
  /** Overrides on top of `brokerEnv()`. */
  env?: Partial<Env>;
  /** The broker's clock; the real one when unset. */
  now?: () => Date;
}

/** The real audit namespace. */
export const auditKv = (workerEnv as unknown as Env).AUDIT;

/** The real audit namespace with some methods replaced, to simulate KV failures and quirks. */
export function auditKvWith(
  overrides: Partial<Record<"get" | "getWithMetadata" | "list" | "put" | "delete", unknown>>,
) {
  return {
    get: auditKv.get.bind(auditKv),
    getWithMetadata: auditKv.getWithMetadata.bind(auditKv),
    list: auditKv.list.bind(auditKv),
    put: auditKv.put.bind(auditKv),
    delete: auditKv.delete.bind(auditKv),
    ...overrides,
  } as unknown as KVNamespace;
}

/** The real audit namespace, except that every write fails as in a KV outage. */
export function kvWithFailingWrites(): KVNamespace {
  return auditKvWith({ put: () => Promise.reject(new Error("simulated KV outage")) });
}

/** Sends one request through the real Worker entry point. */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  let body: string | undefined;
  if (typeof options.body === "string") body = options.body;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const request = new Request(`https://broker.test${path}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
  const env = brokerEnv(options.env);
  const ctx = createExecutionContext();
  const app = options.now ? createApp({ now: options.now, fetch: (input, init) => fetch(input, init) }) : worker;
  const response = await app.fetch(request, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A fresh end-user id, so tests sharing the KV namespace and emulator can find their own records. */
export function uniqueUser(label = "user"): string {
  return `${label}-${crypto.randomUUID()}`;
}

export interface ErrorJson {
  error: { code: string; message: string; request_id: string };
}

/** Asserts the documented error envelope and returns it. */
export async function expectError(response: Response, status: number, code: string): Promise<ErrorJson["error"]> {
  const text = await response.text();
  if (response.status !== status) {
    throw new Error(`expected ${status} ${code}, got ${response.status}: ${text}`);
  }
  const body = JSON.parse(text) as ErrorJson;
  if (body.error?.code !== code) throw new Error(`expected code ${code}, got ${text}`);
  if (body.error.request_id !== response.headers.get("x-request-id")) {
    throw new Error("error request_id does not match X-Request-Id");
  }
  return body.error;
}

/** Records every console line written while `run` executes. */
export async function captureLogs<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
    }),
  );
  try {
    return { result: await run(), lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
