import type { ServerResponse } from "node:http";

/** An endless reply stops by itself after this long, in case its reader never hangs up. */
const ENDLESS_REPLY_LIMIT_MS = 60_000;
/** Padding written per `write` call. */
const PADDING_CHUNK = "x".repeat(16 * 1024);

/**
 * A reply that never ends, without Content-Length: `opening`, then padding as
 * fast as the reader takes it, until the reader hangs up (or the limit passes,
 * when `closing` ends it). Only a reader that stops counting bytes gets out
 * before its timeout.
 */
export function streamEndlessly(res: ServerResponse, status: number, opening: string, closing: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.write(opening);
  const giveUpAt = Date.now() + ENDLESS_REPLY_LIMIT_MS;
  const writeMore = () => {
    while (!res.destroyed && Date.now() < giveUpAt) {
      if (!res.write(PADDING_CHUNK)) return void res.once("drain", writeMore);
    }
    if (!res.destroyed) res.end(closing);
  };
  writeMore();
}
