/**
 * Child process, target D: "what users write instead" of the broker. A plain
 * `node:http` server that verifies the caller's RS256 token with jose against
 * the same loopback JWKS (issuer and audience checked), makes the same Soniox
 * call the broker makes, and returns the key. No audit, no quota, no config.
 *
 * Argument: a JSON object `{ jwksUrl, issuer, audience, vendorUrl, apiKey }`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, jwtVerify } from "jose";

interface Settings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  vendorUrl: string;
  apiKey: string;
}

const settings = JSON.parse(process.argv[2] ?? "{}") as Settings;
const keySet = createRemoteJWKSet(new URL(settings.jwksUrl));
const TTL_SECONDS = 300;

const server = createServer((req, res) => {
  mint(req, res).catch(() => send(res, 502, { error: "vendor failed" }));
});

async function mint(req: IncomingMessage, res: ServerResponse): Promise<void> {
  await drain(req);
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
  let sub: string | undefined;
  try {
    const { payload } = await jwtVerify(token ?? "", keySet, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: ["RS256"],
    });
    sub = payload.sub;
  } catch {
    return send(res, 401, { error: "unauthorized" });
  }
  const reply = await fetch(settings.vendorUrl, {
    method: "POST",
    headers: { Authorization: `Bearer ${settings.apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      usage_type: "transcribe_websocket",
      expires_in_seconds: TTL_SECONDS,
      client_reference_id: sub,
    }),
  });
  const created = (await reply.json()) as { api_key?: string; expires_at?: string };
  if (!reply.ok) return send(res, 502, { error: "vendor refused" });
  send(res, 200, { key: created.api_key, expires_at: created.expires_at });
}

function send(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    req.resume();
    req.on("end", resolve);
    req.on("error", reject);
  });
}

await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "ready", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
