import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { acedata } from "./acedata";
import { amivoice } from "./amivoice";
import { soniox } from "./soniox";
import { speechmatics } from "./speechmatics";
import type { EmulatorReply, RecordedRequest, VendorEmulator } from "./types";

/**
 * A local stand-in for the vendors, reachable from tests inside workerd.
 *
 *   POST {vendor path}                    the vendor's issuance API, enforcing its documented rules
 *   POST /fault/{fault}/{vendor path}     the same vendor, answering with an injected failure
 *   POST /t/{tag}/…                       any of the above, recorded under a test's own tag
 *   GET  /jwks.json                       the test identity provider's public keys (fetches are recorded)
 *   GET  /jwks-unavailable                an identity provider that is down
 *   GET  /__emulator/requests             every vendor and JWKS request received so far
 */
export const emulators: VendorEmulator[] = [soniox, speechmatics, amivoice, acedata];

export const FAULTS = [
  "rate-limited",
  "server-error",
  "rejected",
  "forbidden",
  "redirect",
  "oversized",
  "malformed",
  "slow",
] as const;
export type Fault = (typeof FAULTS)[number];

/** Seconds sent in `Retry-After` by the rate-limited fault. */
export const FAULT_RETRY_AFTER_SECONDS = "17";
/** How long the slow fault waits before answering. */
const SLOW_FAULT_DELAY_MS = 2_000;

export interface EmulatorServer {
  url: string;
  close(): Promise<void>;
}

export async function startEmulator(options: { publicJwks: unknown }): Promise<EmulatorServer> {
  const recorded: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    handle(req, res, recorded, options.publicJwks).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function handle(req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest[], publicJwks: unknown) {
  const url = new URL(req.url ?? "/", "http://emulator");
  const rawBody = await readBody(req);

  if (req.method === "GET" && url.pathname === "/jwks.json") {
    recorded.push(record("jwks", undefined, req, url, rawBody));
    return send(res, jsonReply(200, publicJwks));
  }
  if (req.method === "GET" && url.pathname === "/jwks-unavailable") return send(res, jsonReply(503, { error: "down" }));
  if (req.method === "GET" && url.pathname === "/__emulator/requests") return send(res, jsonReply(200, recorded));

  const [, tag, fault, path] = /^(?:\/t\/([\w-]+))?(?:\/fault\/([a-z-]+))?(\/.*)$/.exec(url.pathname) as [
    string,
    string | undefined,
    Fault | undefined,
    string,
  ];
  const emulator = emulators.find((e) => e.path === path && e.method === req.method);
  recorded.push(record(emulator?.vendor ?? "unknown", tag, req, url, rawBody));
  if (!emulator) return send(res, jsonReply(404, { error: "not found" }));
  if (fault === undefined)
    return send(res, emulator.handle({ query: url.searchParams, headers: req.headers, rawBody }));
  return applyFault(res, fault, emulator, () =>
    emulator.handle({ query: url.searchParams, headers: req.headers, rawBody }),
  );
}

async function applyFault(res: ServerResponse, fault: Fault, emulator: VendorEmulator, normal: () => EmulatorReply) {
  switch (fault) {
    case "rate-limited": {
      const reply = emulator.errorReply(
        429,
        "Requests per minute limit for temporary API key creation has been exceeded.",
      );
      return send(res, { ...reply, headers: { ...reply.headers, "retry-after": FAULT_RETRY_AFTER_SECONDS } });
    }
    case "server-error":
      return send(res, emulator.errorReply(500, "The server encountered an error. Please try again."));
    case "rejected":
      return send(res, emulator.errorReply(400, "Input should be less than or equal to 3600"));
    case "forbidden":
      return send(res, emulator.errorReply(403, "Forbidden"));
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
    case "slow":
      await new Promise((resolve) => setTimeout(resolve, SLOW_FAULT_DELAY_MS));
      if (!res.destroyed) send(res, normal());
      return;
    default:
      return send(res, jsonReply(404, { error: `unknown fault ${String(fault)}` }));
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

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function jsonReply(status: number, value: unknown): EmulatorReply {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(value) };
}

function send(res: ServerResponse, reply: EmulatorReply): void {
  res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}
