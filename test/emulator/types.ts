/** Header values as Node reports them. */
export type IncomingHeaders = Record<string, string | string[] | undefined>;

/** A request as the emulator received it, kept so tests can assert on the exact wire request. */
export interface RecordedRequest {
  vendor: string;
  /** The `/t/{tag}` a test put in front of the path to find its own requests; null without one. */
  tag: string | null;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHeaders;
  /** Parsed JSON or form body; the raw text when it is neither. */
  body: unknown;
  at: string;
}

export interface EmulatorReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** One vendor's issuance API, following the rules in shared/vendors.md. */
export interface VendorEmulator {
  vendor: string;
  method: "POST";
  path: string;
  /** The master key the emulated vendor account accepts. */
  masterKey: string;
  handle(request: { query: URLSearchParams; headers: IncomingHeaders; rawBody: string }): EmulatorReply;
  /** The vendor's own error body, for injected faults. */
  errorReply(status: number, message: string): EmulatorReply;
  /** A success status whose body holds no key, for the malformed fault. */
  malformedReply: EmulatorReply;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): EmulatorReply {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(value) };
}

export function randomToken(length: number): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  let text = "";
  for (const byte of crypto.getRandomValues(new Uint8Array(length))) text += alphabet[byte % alphabet.length];
  return text;
}

export function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}
