import type { IncomingMessage, ServerResponse } from "node:http";
import { streamEndlessly } from "./endless";
import type { JwksMode } from "./jwks-mode";

/**
 * Identity providers of the tests' own, one per tag, each switched by its test:
 *
 *   GET  /t/{tag}/jwks.json        the tag's key set, answered as its mode says (fetches are recorded)
 *   POST /__emulator/jwks/{tag}    sets the mode (see jwks-mode.ts); a tag never set is "up"
 */

const TAGGED_JWKS = /^\/t\/([\w-]+)\/jwks\.json$/;
const JWKS_CONTROL = /^\/__emulator\/jwks\/([\w-]+)$/;

export interface TaggedJwks {
  /** Answers the request if it is one of the paths above; resolves false otherwise. */
  handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export function taggedJwks(
  publicJwks: { keys: unknown[] },
  recordFetch: (tag: string, req: IncomingMessage, url: URL) => void,
): TaggedJwks {
  const modes = new Map<string, JwksMode>();
  return {
    async handleHttp(req, res, url) {
      const fetched = req.method === "GET" ? TAGGED_JWKS.exec(url.pathname)?.[1] : undefined;
      if (fetched !== undefined) {
        recordFetch(fetched, req, url);
        await serve(res, modes.get(fetched) ?? { mode: "up" }, publicJwks);
        return true;
      }
      const controlled = req.method === "POST" ? JWKS_CONTROL.exec(url.pathname)?.[1] : undefined;
      if (controlled === undefined) return false;
      const mode = parseMode(await readText(req));
      if (!mode) reply(res, 400, { error: 'expected {"mode":"up"|"down"|"oversized","keys"?:[…]}' });
      else {
        modes.set(controlled, mode);
        reply(res, 200, mode);
      }
      return true;
    },
  };
}

async function serve(res: ServerResponse, mode: JwksMode, publicJwks: { keys: unknown[] }): Promise<void> {
  switch (mode.mode) {
    case "up":
      return reply(res, 200, { keys: mode.keys ?? publicJwks.keys });
    case "down":
      return reply(res, 503, { error: "down" });
    case "oversized":
      // A real key set with a padding member that never ends: a broker that reads it whole can only time out.
      return streamEndlessly(res, 200, `{"keys":${JSON.stringify(publicJwks.keys)},"padding":"`, '"}');
  }
}

function parseMode(text: string): JwksMode | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { mode, keys } = (value ?? {}) as { mode?: unknown; keys?: unknown };
  if (mode === "up" && (keys === undefined || Array.isArray(keys))) return { mode, keys };
  if (mode === "down" || mode === "oversized") return { mode };
  return undefined;
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}
