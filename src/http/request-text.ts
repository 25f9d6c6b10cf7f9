import { MAX_DISCARDED_REQUEST_BYTES } from "../constants";
import { readTextUpTo } from "./capped-text";

/**
 * Reads a client's request body as UTF-8 text, or resolves undefined when it
 * passes `maxBytes`, leaving the client's keep-alive connection usable. A
 * request body is cancelled only when draining it would cost too much: after a
 * cancelled body workerd closes the connection without `Connection: close`, and
 * under `wrangler dev` the client's next request on it hangs (workerd's advice
 * is to drain: cloudflare/workerd#1741). A body left unread is drained by the
 * runtime itself. So a body whose Content-Length is too large is not touched,
 * and one that turns out too large as it arrives is read on and dropped, up to
 * MAX_DISCARDED_REQUEST_BYTES more.
 */
export async function readRequestText(request: Request, maxBytes: number): Promise<string | undefined> {
  if (Number(request.headers.get("content-length")) > maxBytes) return undefined;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const text = await readTextUpTo(reader, maxBytes);
  // A body that breaks off while it is thrown away changes nothing: the answer is still 413.
  if (text === undefined) await discardRest(reader).catch(() => undefined);
  return text;
}

/** Reads what is left of a body and drops it; cancels a body that goes on past the bound. */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let discarded = 0;
  while (discarded <= MAX_DISCARDED_REQUEST_BYTES) {
    const { done, value } = await reader.read();
    if (done) return;
    discarded += value.byteLength;
  }
  await reader.cancel();
}
