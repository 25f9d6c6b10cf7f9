/** Longest vendor message passed on to the caller. */
export const MAX_VENDOR_MESSAGE_CHARS = 300;

const REDACTED = "[redacted]";

/** Control and invisible format characters (bidi overrides among them), which could forge or hide text. */
const CONTROL_CHARACTERS = /[\p{Cc}\p{Cf}]/gu;
const BEARER_TOKEN = /\bBearer\s+\S+/gi;

/**
 * Makes a vendor's own message safe to show the caller: one line, no control
 * characters, no configured secret and no bearer token, at most 300
 * characters. A vendor may quote what it was sent, which includes our
 * credentials, so every secret value is searched for, not just the vendor's.
 *
 * Control characters go first, so that one hidden inside a secret cannot
 * split it past the search, and the cut comes last, so that it cannot leave
 * part of a secret behind.
 */
export function safeVendorText(text: string, secrets: readonly string[]): string {
  let safe = oneLine(text);
  for (const secret of secretForms(secrets)) safe = safe.split(secret).join(REDACTED);
  safe = safe.replace(BEARER_TOKEN, `Bearer ${REDACTED}`).trim();
  return safe.length > MAX_VENDOR_MESSAGE_CHARS ? `${safe.slice(0, MAX_VENDOR_MESSAGE_CHARS)}…` : safe;
}

/** Whitespace runs become one space, then control characters go. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").replace(CONTROL_CHARACTERS, "");
}

/**
 * Each secret as sent (JSON bodies, headers) and as form-encoded (AmiVoice),
 * longest first, each made one line as the text is, so that a secret with a
 * newline or a double space still matches its quote.
 */
function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    for (const form of [secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]) {
      const normalized = oneLine(form);
      // A secret of only spaces would redact every space.
      if (normalized.trim() !== "") forms.add(normalized);
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}
