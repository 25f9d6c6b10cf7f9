/** Header values as Node reports them (single-valued ones as strings). */
export interface IncomingHeaders {
  authorization?: string;
  "content-type"?: string;
  accept?: string;
  [name: string]: string | string[] | undefined;
}

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
