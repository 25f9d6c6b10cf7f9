/**
 * Child process: the loopback identity provider and vendor for every target.
 *
 *   GET  /jwks.json                     the identity provider's public keys (fetches counted)
 *   POST /v1/auth/temporary-api-key     Soniox's temporary-key API, as dev/emulator/soniox.ts answers it
 *
 * The vendor answer is the dev emulator's own soniox handler (same validation,
 * same 201 `{ api_key, expires_at }` with `expires_at` = now + the requested
 * TTL, which the broker accepts), but not the full emulator server: that one
 * records every request (up to 10,000, with their headers) and keeps every key
 * it issues for its speech endpoints, so under a bench's load it would grow and
 * slow down as the run goes on. Here nothing is kept but a count of JWKS fetches.
 *
 * IPC: `{type:"sign", subs}` → `{type:"signed", tokens}` (RS256, one per sub),
 *      `{type:"counts"}` → `{type:"counts", jwksFetches}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createDevIdentity } from "../dev/identity";
import { KeyRegistry } from "../dev/emulator/keys";
import { readBody } from "../dev/emulator/server";
import { soniox } from "../dev/emulator/soniox";

const JWKS_PATH = "/jwks.json";
const SONIOX_PATH = soniox.path;

/** Issues nothing: the bench never uses the keys it is given. */
class ForgetfulKeys extends KeyRegistry {
  override issue(): void {}
}

const keys = new ForgetfulKeys();
let jwksFetches = 0;

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const identity = await createDevIdentity(`${url}/bench-identity`);

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && path === JWKS_PATH) {
    jwksFetches++;
    return reply(res, 200, { "content-type": "application/json" }, JSON.stringify(identity.publicJwks));
  }
  if (req.method === "POST" && path === SONIOX_PATH) {
    const rawBody = await readBody(req);
    const answer = soniox.handle({ path, query: new URLSearchParams(), headers: req.headers, rawBody, keys });
    return reply(res, answer.status, answer.headers ?? {}, answer.body);
  }
  reply(res, 404, { "content-type": "application/json" }, '{"error":"not found"}');
}

function reply(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, headers);
  res.end(body);
}

process.on("message", (message: { type: string; subs?: string[] }) => {
  if (message.type === "sign") {
    Promise.all((message.subs ?? []).map((sub) => identity.signToken(sub))).then(
      (tokens) => process.send?.({ type: "signed", tokens }),
      (error: Error) => process.send?.({ type: "error", error: error.message }),
    );
  } else if (message.type === "counts") {
    process.send?.({ type: "counts", jwksFetches });
  }
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.on("disconnect", () => process.exit(0));

process.send?.({
  type: "ready",
  url,
  jwksUrl: `${url}${JWKS_PATH}`,
  issuer: identity.issuer,
  audience: identity.audience,
  sonioxApiKey: soniox.masterKey,
});
