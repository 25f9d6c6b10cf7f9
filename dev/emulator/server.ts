import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { acedata } from "./acedata";
import { amivoice } from "./amivoice";
import { deepgram } from "./deepgram";
import { elevenlabs } from "./elevenlabs";
import { assemblyai } from "./assemblyai";
import { streamEndlessly } from "./endless";
import { taggedJwks } from "./jwks";
import { KeyRegistry } from "./keys";
import { openai } from "./openai";
import { soniox } from "./soniox";
import { speechmatics } from "./speechmatics";
import {
  type EmulatorReply,
  type KeyUseEndpoint,
  matchesPath,
  type RecordedRequest,
  type VendorEmulator,
} from "./types";

/**
 * A local stand-in for the vendors, used by the tests and by `npm run dev`.
 *
 *   POST {issuance path}                  the vendor's issuance API, enforcing its documented rules
 *   POST /fault/{fault}/{issuance path}   the same vendor, answering with an injected failure
 *   POST /t/{tag}/…                       any of the above, recorded under a test's own tag
 *   WS   {speech path}                    the vendor's speech WebSocket, checking the minted key
 *   POST /v1/chat/completions             AceData's AI API, checking the minted credential
 *   GET  /jwks.json                       the identity provider's public keys (fetches are recorded)
 *   GET  /jwks-unavailable                an identity provider that is down
 *   GET  /t/{tag}/jwks.json               a test's own identity provider, switched by
 *   POST /__emulator/jwks/{tag}           {"mode":"up"|"down"|"oversized","keys"?:[…]} (see jwks.ts)
 *   GET  /__emulator/requests             every vendor and JWKS request received so far
 */
export const emulators: VendorEmulator[] = [
  soniox,
  speechmatics,
  amivoice,
  acedata,
  assemblyai,
  deepgram,
  openai,
  // Two issuance endpoints: single-use tokens and agent signed URLs.
  ...elevenlabs,
];

export const FAULTS = [
  "rate-limited",
  "rate-limited-date",
  "server-error",
  "rejected",
  "forbidden",
  "redirect",
  "oversized",
  "endless",
  "malformed",
  "slow",
  "unprocessable",
  "echo-400",
  "echo-401",
  "echo-403",
  "echo-404",
  "echo-422",
  "expiry-far",
  "expiry-never",
] as const;
export type Fault = (typeof FAULTS)[number];

/** Seconds sent in `Retry-After` by the rate-limited fault. */
export const FAULT_RETRY_AFTER_SECONDS = "17";
/** The echo faults are named this, then the status they answer with: `echo-400` answers 400. */
const ECHO_FAULT_PREFIX = "echo-";
/** How long the slow fault waits before answering. */
const SLOW_FAULT_DELAY_MS = 2_000;
/** An expiry far beyond any TTL the broker may ask for, for the expiry-far fault. */
const FAR_EXPIRY = "2099-01-01T00:00:00.000Z";
/** The emulator keeps this many recorded requests, so a long dev session does not grow without bound. */
const MAX_RECORDED_REQUESTS = 10_000;

export interface Emulator {
  /** Answers the request if it is the emulator's; resolves false otherwise. */
  handleHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Takes a WebSocket upgrade if it is for a speech endpoint; false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export function createEmulator(options: { publicJwks: unknown }): Emulator {
  const recorded: RecordedRequest[] = [];
  const keys = new KeyRegistry();
  const sockets = new WebSocketServer({ noServer: true });
  const remember = (request: RecordedRequest) => {
    recorded.push(request);
    if (recorded.length > MAX_RECORDED_REQUESTS) recorded.shift();
  };
  const testJwks = taggedJwks(options.publicJwks as { keys: unknown[] }, (tag, req, url) =>
    remember(record("jwks", tag, req, url, "")),
  );

  return {
    async handleHttp(req, res) {
      const url = new URL(req.url ?? "/", "http://emulator");
      if (req.method === "GET" && url.pathname === "/jwks.json") {
        remember(record("jwks", undefined, req, url, ""));
        send(res, jsonReply(200, options.publicJwks));
        return true;
      }
      if (req.method === "GET" && url.pathname === "/jwks-unavailable") {
        send(res, jsonReply(503, { error: "down" }));
        return true;
      }
      if (await testJwks.handleHttp(req, res, url)) return true;
      if (req.method === "GET" && url.pathname === "/__emulator/requests") {
        send(res, jsonReply(200, recorded));
        return true;
      }
      if (req.method !== "POST" && req.method !== "GET") return false;

      const keyUse = keyUses().find((k) => k.kind === "http" && matchesPath(k.path, url.pathname));
      if (keyUse?.kind === "http" && req.method === keyUse.method) {
        const rawBody = await readBody(req);
        send(res, keyUse.handle({ headers: req.headers, rawBody, remoteIp: remoteIp(req), keys }));
        return true;
      }

      const [, tag, fault, path] = /^(?:\/t\/([\w-]+))?(?:\/fault\/([a-z0-9-]+))?(\/.*)$/.exec(
        url.pathname,
      ) as unknown as [string, string | undefined, Fault | undefined, string];
      const emulator = emulators.find((e) => matchesPath(e.path, path) && e.method === req.method);
      if (!emulator) return false;
      const rawBody = await readBody(req);
      remember(record(emulator.vendor, tag, req, url, rawBody));
      const issue = () => emulator.handle({ path, query: url.searchParams, headers: req.headers, rawBody, keys });
      if (fault === undefined) send(res, issue());
      else await applyFault(res, fault, emulator, issue, { headers: req.headers, rawBody });
      return true;
    },

    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? "/", "http://emulator");
      const keyUse = keyUses().find((k) => k.kind === "websocket" && matchesPath(k.path, url.pathname));
      if (keyUse?.kind !== "websocket") return false;
      const context = { query: url.searchParams, headers: req.headers, remoteIp: remoteIp(req), keys };
      const refusal = keyUse.refuse?.(context);
      if (refusal) {
        refuseUpgrade(socket, refusal);
        return true;
      }
      sockets.handleUpgrade(req, socket, head, (ws) => keyUse.open(ws, context));
      return true;
    },
  };
}

/** Every vendor's key-use endpoints. */
function keyUses(): KeyUseEndpoint[] {
  return emulators.flatMap((e) => e.keyUse);
}

export interface EmulatorServer {
  url: string;
  close(): Promise<void>;
}

/** The emulator alone on a free loopback port, as the tests use it. */
export async function startEmulator(options: { publicJwks: unknown }): Promise<EmulatorServer> {
  const emulator = createEmulator(options);
  const server = createServer((req, res) => {
    emulator
      .handleHttp(req, res)
      .then((handled) => {
        if (!handled) send(res, jsonReply(404, { error: "not found" }));
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  server.on("upgrade", (req, socket, head) => {
    if (!emulator.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Answers a WebSocket handshake with a plain HTTP reply instead of upgrading. */
function refuseUpgrade(socket: Duplex, reply: EmulatorReply): void {
  const headers = { ...reply.headers, "content-length": String(Buffer.byteLength(reply.body)), connection: "close" };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(`HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ""}\r\n${lines.join("")}\r\n${reply.body}`);
}

/** The peer's address as a vendor would see it, IPv4-mapped IPv6 unwrapped. */
function remoteIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

async function applyFault(
  res: ServerResponse,
  fault: Fault,
  emulator: VendorEmulator,
  normal: () => EmulatorReply,
  received: { headers: IncomingMessage["headers"]; rawBody: string },
) {
  switch (fault) {
    case "rate-limited": {
      const reply = emulator.errorReply(
        429,
        "Requests per minute limit for temporary API key creation has been exceeded.",
      );
      return send(res, { ...reply, headers: { ...reply.headers, "retry-after": FAULT_RETRY_AFTER_SECONDS } });
    }
    case "rate-limited-date": {
      const reply = emulator.errorReply(429, "Too many requests");
      const retryAt = new Date(Date.now() + Number(FAULT_RETRY_AFTER_SECONDS) * 1000).toUTCString();
      return send(res, { ...reply, headers: { ...reply.headers, "retry-after": retryAt } });
    }
    case "server-error":
      return send(res, emulator.errorReply(500, "The server encountered an error. Please try again."));
    case "rejected":
      return send(res, emulator.errorReply(400, "Input should be less than or equal to 3600"));
    case "forbidden":
      return send(res, emulator.errorReply(403, "Forbidden"));
    case "unprocessable":
      return send(res, emulator.errorReply(422, "ttl: Input should be less than or equal to 3600"));
    case "echo-400":
    case "echo-401":
    case "echo-403":
    case "echo-404":
    case "echo-422":
      return send(res, emulator.errorReply(Number(fault.slice(ECHO_FAULT_PREFIX.length)), echoCredentials(received)));
    case "expiry-far":
    case "expiry-never":
      return send(res, withExpiry(normal(), fault === "expiry-far" ? FAR_EXPIRY : null));
    case "redirect":
      return send(res, { status: 307, headers: { location: "http://127.0.0.1:9/elsewhere" }, body: "" });
    case "malformed":
      return send(res, emulator.malformedReply);
    case "oversized": {
      // Chunked, with no Content-Length, so only a streaming cap can catch it.
      res.writeHead(201, { "content-type": "application/json" });
      res.write('{"api_key":"temp:x","key_value":"x","padding":"');
      for (let i = 0; i < 80; i++) res.write("x".repeat(1024));
      return res.end('"}');
    }
    case "endless":
      return streamEndlessly(res, 201, '{"api_key":"temp:x","key_value":"x","padding":"', '"}');
    case "slow":
      await new Promise((resolve) => setTimeout(resolve, SLOW_FAULT_DELAY_MS));
      if (!res.destroyed) send(res, normal());
      return;
    default:
      return send(res, jsonReply(404, { error: `unknown fault ${String(fault)}` }));
  }
}

/**
 * Where the echo faults hide a control character in each quote: early, inside the
 * header's "Bearer" ("Bear\u0007er …"), so only a scrubber that removes control
 * characters before it searches still finds the bearer token.
 */
const HIDDEN_CONTROL_AT = 4;

/**
 * A careless vendor's error message that quotes the credentials it was sent
 * (header and body), with a control character hidden inside each quote, as a
 * test of the broker's scrubbing.
 */
function echoCredentials({ headers, rawBody }: { headers: IncomingMessage["headers"]; rawBody: string }): string {
  const hide = (text: string) => `${text.slice(0, HIDDEN_CONTROL_AT)}\u0007${text.slice(HIDDEN_CONTROL_AT)}`;
  // ElevenLabs takes its key in xi-api-key, with no Authorization header.
  const [name, value] =
    headers.authorization === undefined && typeof headers["xi-api-key"] === "string"
      ? ["xi-api-key", headers["xi-api-key"]]
      : ["Authorization", headers.authorization ?? ""];
  return `Invalid credentials: ${name} ${hide(value)} in request ${hide(rawBody)}`;
}

/** The vendor's normal success, with its expiry replaced: far in the future, or null (never expires). */
function withExpiry(reply: EmulatorReply, expiry: string | null): EmulatorReply {
  const body = JSON.parse(reply.body) as Record<string, unknown>;
  for (const field of ["expires_at", "expired_at"]) if (field in body) body[field] = expiry;
  return { ...reply, body: JSON.stringify(body) };
}

function record(
  vendor: string,
  tag: string | undefined,
  req: IncomingMessage,
  url: URL,
  rawBody: string,
): RecordedRequest {
  return {
    vendor,
    tag: tag ?? null,
    method: req.method ?? "",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    body: parseBody(req.headers["content-type"], rawBody),
    at: new Date().toISOString(),
  };
}

function parseBody(contentType: string | undefined, rawBody: string): unknown {
  if (contentType?.startsWith("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(rawBody));
  }
  try {
    return JSON.parse(rawBody);
  } catch {
    return rawBody;
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export function jsonReply(status: number, value: unknown): EmulatorReply {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(value) };
}

export function send(res: ServerResponse, reply: EmulatorReply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}
