/**
 * Reads a request or response body as UTF-8 text, stopping as soon as it passes
 * `maxBytes`, so a body without (or lying about) Content-Length cannot make the
 * Worker buffer without bound. Resolves undefined when the body is too large.
 */
export async function readCappedText(message: Request | Response, maxBytes: number): Promise<string | undefined> {
  if (Number(message.headers.get("content-length")) > maxBytes) {
    await message.body?.cancel();
    return undefined;
  }
  if (!message.body) return "";
  const reader = message.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
