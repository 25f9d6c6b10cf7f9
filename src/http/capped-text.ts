/**
 * Reads a vendor's or identity provider's response body as UTF-8 text, stopping
 * as soon as it passes `maxBytes`, so a body without (or lying about)
 * Content-Length cannot make the Worker buffer without bound. Resolves undefined
 * when the body is too large, after cancelling it to free the connection.
 * (A client's request body is read by `readRequestText`, which must not cancel.)
 */
export async function readCappedText(response: Response, maxBytes: number): Promise<string | undefined> {
  if (Number(response.headers.get("content-length")) > maxBytes) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const text = await readTextUpTo(reader, maxBytes);
  if (text === undefined) await reader.cancel();
  return text;
}

/**
 * Reads a stream to its end as UTF-8 text, or resolves undefined as soon as it
 * passes `maxBytes`, leaving the rest of the stream unread for the caller to deal with.
 */
export async function readTextUpTo(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<string | undefined> {
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) return undefined;
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
