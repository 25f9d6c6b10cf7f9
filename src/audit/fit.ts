import type { AuditRecord } from "./record";

/**
 * Making a record fit KV's index metadata, whatever the request carried.
 *
 * KV measures metadata as the UTF-8 bytes of its JSON, where a character's cost
 * is not its length: `"` takes 2 bytes, a control character 6, `é` 2, `€` 3, an
 * emoji 4. Bounds on text a caller chose are therefore in those bytes, never in
 * characters, or 256 quotes would make a record twice the size 256 letters do.
 */

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`: what KV counts against its metadata limit, for a record's JSON. */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).byteLength;
}

/** UTF-8 bytes of `value` as JSON. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}

/** Ends a value that was cut, so that a cut value is never taken for a whole one. */
const CUT_MARK = "…";
/** The least a cut value takes: `"…"`. */
const MIN_CUT_BYTES = jsonBytes(CUT_MARK);
const QUOTES_BYTES = jsonBytes("");
const REPLACEMENT_CHARACTER = "\uFFFD";

/**
 * `text` with each lone surrogate replaced by U+FFFD (it has no UTF-8 form, and
 * strict JSON readers refuse its escape), cut when its JSON takes more than
 * `maxBytes`: to its longest run of whole characters that fits with `…` after it.
 * A surrogate pair is one character, so it is kept or cut whole. `maxBytes` is at
 * least MIN_CUT_BYTES.
 */
export function boundedText(text: string, maxBytes: number): string {
  let kept = "";
  let bytes = QUOTES_BYTES;
  /** Length of the longest prefix of `kept` that still fits with the mark after it. */
  let cutAt = 0;
  for (const codePoint of text) {
    const char = isLoneSurrogate(codePoint) ? REPLACEMENT_CHARACTER : codePoint;
    bytes += jsonBytes(char) - QUOTES_BYTES;
    if (bytes > maxBytes) return kept.slice(0, cutAt) + CUT_MARK;
    kept += char;
    if (bytes + MIN_CUT_BYTES - QUOTES_BYTES <= maxBytes) cutAt = kept.length;
  }
  return kept;
}

function isLoneSurrogate(codePoint: string): boolean {
  // Iterating a string yields a surrogate pair as one code point of length 2, a lone surrogate alone.
  return codePoint.length === 1 && (codePoint.charCodeAt(0) & 0xf800) === 0xd800;
}

/**
 * Text the sender of a request chose freely, which identifies nothing the broker
 * vouches for: the headers it sent and, for an operator action, the reason.
 */
const FREE_TEXT = ["user_agent", "origin", "ip", "caller_request_id", "reason"] as const;

/**
 * `record`, made to take at most `maxBytes` of JSON when it can be. First the
 * free text is cut, every field to one common bound, the largest that fits, so
 * that the longest values lose the most and short ones nothing. If the record is
 * still too large with each of them down to `"…"`, the longer of `issuer` and
 * `subject`, then both, are recorded as null, as a claim too long to keep always
 * is, and the free text is fitted again. What can still leave the record too
 * large is what it must keep whole: its `client_ref`, the vendor's key id and an
 * operator action's `actor` (at most 256 characters, verified by the admin auth);
 * the store then indexes it without its body (see store.ts).
 */
export function fitRecord(record: AuditRecord, maxBytes: number): AuditRecord {
  if (jsonBytes(record) <= maxBytes) return record;
  const longerClaim = jsonBytes(record.issuer) >= jsonBytes(record.subject) ? "issuer" : "subject";
  return (
    freeTextFitted(record, maxBytes) ??
    freeTextFitted({ ...record, [longerClaim]: null }, maxBytes) ??
    freeTextFitted({ ...record, issuer: null, subject: null }, maxBytes) ??
    record
  );
}

/** `record` with its free text cut to the largest common bound that fits `maxBytes`; null when none does. */
function freeTextFitted(record: AuditRecord, maxBytes: number): AuditRecord | null {
  const cutTo = (bound: number): AuditRecord => {
    const cut = { ...record };
    for (const field of FREE_TEXT) {
      const value = record[field];
      if (value !== null) cut[field] = boundedText(value, bound);
    }
    return cut;
  };
  const fits = (bound: number) => jsonBytes(cutTo(bound)) <= maxBytes;
  if (!fits(MIN_CUT_BYTES)) return null;
  // A larger bound never makes a field smaller, so the largest bound that fits is found by bisection.
  let fitting = MIN_CUT_BYTES;
  let tooLarge = maxBytes + 1;
  while (tooLarge - fitting > 1) {
    const bound = Math.floor((fitting + tooLarge) / 2);
    if (fits(bound)) fitting = bound;
    else tooLarge = bound;
  }
  return cutTo(fitting);
}
