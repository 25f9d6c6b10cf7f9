import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { acedata } from "./acedata";
import { amivoice } from "./amivoice";
import { awsTranscribe } from "./aws-transcribe";
import { deepgram } from "./deepgram";
import { elevenlabs } from "./elevenlabs";
import { assemblyai } from "./assemblyai";
import { cartesia } from "./cartesia";
import { azure } from "./azure";
import { xai } from "./xai";
import { streamEndlessly } from "./endless";
import { type FaultContext, type FaultPlan, planFault } from "./faults";
import { taggedJwks } from "./jwks";
import { gemini } from "./gemini";
import { gladia } from "./gladia";
import { mistral } from "./mistral";
import { KeyRegistry } from "./keys";
import { livekit } from "./livekit";
import { openai } from "./openai";
import { soniox } from "./soniox";
import { speechmatics } from "./speechmatics";
import { twilioVoice } from "./twilio-voice";
import {
  type EmulatorReply,
  type IncomingHeaders,
  type KeyUseEndpoint,
  matchesPath,
  type RecordedRequest,
  type SignedVendorEmulator,
  type VendorEmulator,
} from "./types";

/**
 * A local stand-in for the vendors, used by the tests and by `npm run dev`.
 *
 *   POST {issuance path}                  the vendor's issuance API, enforcing its documented rules
 *   POST /fault/{fault}/{issuance path}   the same vendor, answering with an injected failure (see faults.ts)
 *   POST /t/{tag}/…                       any of the above, recorded under a test's own tag
 *   WS   {speech path}                    the vendor's speech WebSocket, checking the minted key
 *   POST /v1/chat/completions             AceData's AI API, checking the minted credential
 *   GET  /jwks.json                       the identity provider's public keys (fetches are recorded)
 *   GET  /jwks-unavailable                an identity provider that is down
 *   GET  /cdn-cgi/access/certs            a Cloudflare Access team's key set, when given (ACCESS_JWKS_URL)
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
  gemini,
  // Two issuance endpoints: single-use tokens and agent signed URLs.
  ...elevenlabs,
  cartesia,
  azure,
  gladia,
  xai,
  mistral,
];

/** Vendors whose credentials the broker signs itself: only where the credentials are used. */
export const signedVendors: SignedVendorEmulator[] = [twilioVoice, awsTranscribe, livekit];

/** The emulator keeps this many recorded requests, so a long dev session does not grow without bound. */
const MAX_RECORDED_REQUESTS = 10_000;
/** What a request that reached the redirect faults' other host is recorded as. */
export const REDIRECT_TARGET = "redirect-target";
/** A redirect fault's target when no other host is listening: the discard port, where nothing answers. */
const NOWHERE_ORIGIN = "http://127.0.0.1:9";
/** A stalled body gives up by itself after this long, in case its reader never hangs up. */
const STALLED_REPLY_LIMIT_MS = 60_000;
/** Padding the oversized fault writes: over the broker's 64 KiB cap. */
const OVERSIZED_PADDING_KIB = 80;

export interface Emulator {
  /** Answers the request if it is the emulator's; resolves false otherwise. */
  handleHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Takes a WebSocket upgrade if it is for a speech endpoint; false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Records a request that reached the redirect faults' other host, whatever its method and path,
   * as vendor `redirect-target` under its `/t/{tag}`: it is there only if a redirect was followed.
   */
  recordRedirected(req: IncomingMessage): Promise<void>;
}

export interface EmulatorOptions {
  publicJwks: unknown;
  /** The Access team's public keys, served where Cloudflare serves them; without them, that path is 404. */
  accessJwks?: unknown;
  /**
   * The other host the redirect faults point at (startEmulator's recorder); without one they
   * point at a port where nothing listens.
   */
  redirectOrigin?: string;
}

export function createEmulator(options: EmulatorOptions): Emulator {
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
      if (req.method === "GET" && url.pathname === "/cdn-cgi/access/certs" && options.accessJwks) {
        send(res, jsonReply(200, options.accessJwks));
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
      ) as unknown as [string, string | undefined, string | undefined, string];
      const emulator = claimant(
        emulators.filter((e) => matchesPath(e.path, path) && e.method === req.method),
        req.headers,
      );
      if (!emulator) return false;
      const rawBody = await readBody(req);
      remember(record(emulator.vendor, tag, req, url, rawBody));
      const issue = () => emulator.handle({ path, query: url.searchParams, headers: req.headers, rawBody, keys });
      if (fault === undefined) send(res, issue());
      else {
        // The same path and query on another host, under the same tag, so a test finds what arrived there.
        const redirectTarget = `${options.redirectOrigin ?? NOWHERE_ORIGIN}${tag ? `/t/${tag}` : ""}${path}${url.search}`;
        await applyFault(res, fault, {
          errorReply: (status, message) => emulator.errorReply(status, message),
          malformedReply: emulator.malformedReply,
          normal: issue,
          received: { headers: req.headers, rawBody },
          redirectTarget,
        });
      }
      return true;
    },

    async recordRedirected(req) {
      const url = new URL(req.url ?? "/", "http://emulator");
      const tag = /^\/t\/([\w-]+)\//.exec(url.pathname)?.[1];
      remember(record(REDIRECT_TARGET, tag, req, url, await readBody(req)));
    },

    handleUpgrade(req, socket, head) {
      // @google/genai joins its base URL's trailing `/` to `/ws/…`; Google's host takes the `//`, and so does this one.
      const url = new URL((req.url ?? "/").replace(/^\/{2,}/, "/"), "http://emulator");
      const keyUse = claimant(
        keyUses().filter(
          (k): k is Extract<KeyUseEndpoint, { kind: "websocket" }> =>
            k.kind === "websocket" && matchesPath(k.path, url.pathname),
        ),
        req.headers,
      );
      if (keyUse === undefined) return false;
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

/** Of the handlers for one path, the one that claims the request, else the first that claims nothing. */
function claimant<T extends { claims?(headers: IncomingHeaders): boolean }>(
  handlers: T[],
  headers: IncomingHeaders,
): T | undefined {
  return handlers.find((h) => h.claims?.(headers)) ?? handlers.find((h) => h.claims === undefined);
}

/** Every vendor's key-use endpoints. */
function keyUses(): KeyUseEndpoint[] {
  return [...emulators, ...signedVendors].flatMap((e) => e.keyUse);
}

export interface EmulatorServer {
  url: string;
  /** The other host the redirect faults point at, which records what arrives (see recordRedirected). */
  redirectOrigin: string;
  close(): Promise<void>;
}

/**
 * The emulator alone on a free loopback port, as the tests use it, with a second
 * loopback port as the other host the redirect faults point at: it records
 * whatever arrives there, which only a followed redirect sends, and answers an
 * empty JSON object.
 */
export async function startEmulator(options: Omit<EmulatorOptions, "redirectOrigin">): Promise<EmulatorServer> {
  const elsewhere = createServer();
  const redirectOrigin = await listenOnLoopback(elsewhere);
  const emulator = createEmulator({ ...options, redirectOrigin });
  elsewhere.on("request", (req: IncomingMessage, res: ServerResponse) => {
    emulator
      .recordRedirected(req)
      .then(() => send(res, jsonReply(200, {})))
      .catch(() => res.destroy());
  });
  const server = createServer((req, res) => serveHttp(emulator, req, res));
  server.on("upgrade", (req, socket, head) => {
    if (!emulator.handleUpgrade(req, socket, head)) socket.destroy();
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    redirectOrigin,
    close: async () => {
      await Promise.all([closeServer(server), closeServer(elsewhere)]);
    },
  };
}

function serveHttp(emulator: Emulator, req: IncomingMessage, res: ServerResponse): void {
  emulator
    .handleHttp(req, res)
    .then((handled) => {
      if (!handled) send(res, jsonReply(404, { error: "not found" }));
    })
    .catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
}

async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
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

/** Answers with the fault's plan (see faults.ts). */
async function applyFault(res: ServerResponse, fault: string, context: FaultContext): Promise<void> {
  const plan = planFault(fault, context);
  if (plan === undefined) return send(res, jsonReply(404, { error: `unknown fault ${fault}` }));
  switch (plan.kind) {
    case "reply":
      return send(res, plan.reply);
    case "delayed":
      await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
      if (!res.destroyed) send(res, plan.reply());
      return;
    case "reset":
      // An RST, not a clean close: the reader sees ECONNRESET with no status line.
      res.socket?.resetAndDestroy();
      return;
    case "partial":
      return sendPartial(res, plan);
  }
}

/** A body that starts at once, then is padded past the cap, never ends, is cut by a reset, or stalls. */
function sendPartial(res: ServerResponse, plan: Extract<FaultPlan, { kind: "partial" }>): void {
  if (plan.then === "endless") return streamEndlessly(res, plan.status, plan.opening, plan.closing);
  // Chunked, with no Content-Length, so only a streaming cap or timeout can catch it.
  res.writeHead(plan.status, { "content-type": "application/json" });
  switch (plan.then) {
    case "oversized":
      res.write(plan.opening);
      for (let i = 0; i < OVERSIZED_PADDING_KIB; i++) res.write("x".repeat(1024));
      return void res.end(plan.closing);
    case "reset":
      // Reset once the opening is on the wire, so the reader has the status and part of the body.
      return void res.write(plan.opening, () => res.socket?.resetAndDestroy());
    case "stall": {
      res.write(plan.opening);
      const giveUp = setTimeout(() => res.destroy(), STALLED_REPLY_LIMIT_MS);
      return void res.once("close", () => clearTimeout(giveUp));
    }
  }
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
