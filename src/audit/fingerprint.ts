import { sha256Hex } from "../ids";

/** First 16 hex characters of the key's SHA-256: recognises a leaked key without storing it. */
export async function keyFingerprint(key: string): Promise<string> {
  return (await sha256Hex(key)).slice(0, 16);
}
