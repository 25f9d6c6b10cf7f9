import type { WebSocket } from "ws";
import type { KeyRegistry } from "./keys";
import type { IncomingHeaders } from "./recorded";

export type { IncomingHeaders, RecordedRequest } from "./recorded";

export interface EmulatorReply {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface IssueRequest {
  /** The path as received, without a test's tag or fault: what a `{name}` segment of the emulator's path matched. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHeaders;
  rawBody: string;
  keys: KeyRegistry;
}

/** Where a client uses a minted key: a speech WebSocket, or (AceData) an HTTP API. */
export type KeyUseEndpoint =
  | {
      kind: "websocket";
      path: string;
      open(
        socket: WebSocket,
        context: { query: URLSearchParams; headers: IncomingHeaders; remoteIp: string; keys: KeyRegistry },
      ): void;
      /**
       * For a vendor that checks credentials in the handshake (Deepgram): the HTTP
       * answer that refuses the upgrade, or undefined to accept it.
       */
      refuse?(request: {
        query: URLSearchParams;
        headers: IncomingHeaders;
        remoteIp: string;
        keys: KeyRegistry;
      }): EmulatorReply | undefined;
      /** For a path two vendors share (xAI mirrors OpenAI): true when the request is this vendor's. */
      claims?(headers: IncomingHeaders): boolean;
    }
  | {
      kind: "http";
      method: "POST";
      path: string;
      handle(request: {
        headers: IncomingHeaders;
        rawBody: string;
        remoteIp: string;
        keys: KeyRegistry;
      }): EmulatorReply;
    };

/** One vendor: its issuance API, following the rules in shared/vendors.md, and where its keys are used. */
export interface VendorEmulator {
  vendor: string;
  /** The issuance call's method; a GET carries its parameters in the query (AssemblyAI). */
  method: "POST" | "GET";
  /** The issuance path; a `{name}` segment stands for any one segment (ElevenLabs' `{token_type}`). */
  path: string;
  /** The master key the emulated vendor account accepts. */
  masterKey: string;
  handle(request: IssueRequest): EmulatorReply;
  /** Where its keys are used; several endpoints for a vendor whose keys open different sockets (ElevenLabs). */
  keyUse: KeyUseEndpoint | KeyUseEndpoint[];
  /** For a path two vendors share (xAI mirrors OpenAI): true when the request is this vendor's. */
  claims?(headers: IncomingHeaders): boolean;
  /** The vendor's own error body, for injected faults. */
  errorReply(status: number, message: string): EmulatorReply;
  /** A success status whose body holds no key, for the malformed fault. */
  malformedReply: EmulatorReply;
}

/**
 * A vendor whose credentials the broker signs itself (LiveKit, AWS Transcribe, Twilio Voice): no
 * issuance API to emulate, only where its credentials are used, checked with the signing
 * secret the emulated account shares with the broker.
 */
export interface SignedVendorEmulator {
  vendor: string;
  /** The signing secret the emulated account shares with the broker. */
  masterKey: string;
  keyUse: KeyUseEndpoint | KeyUseEndpoint[];
}

/** True when `path` matches `template`, where a `{name}` segment stands for any one non-empty segment. */
export function matchesPath(template: string, path: string): boolean {
  const expected = template.split("/");
  const actual = path.split("/");
  return (
    expected.length === actual.length &&
    expected.every((part, i) => part === actual[i] || (/^\{\w+\}$/.test(part) && actual[i] !== ""))
  );
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

/** Words of the fake transcript every speech endpoint streams. */
export const FAKE_TRANSCRIPT = ["Hello", "from", "the", "speech", "emulator."];
/** Gap between fake transcript messages, so a page shows them arriving. */
const TRANSCRIPT_INTERVAL_MS = 120;

/** Sends one message per word, then calls `done`; stops if the socket closes. */
export function streamTranscript(
  socket: WebSocket,
  message: (word: string, index: number) => string | Buffer,
  done: () => void,
) {
  let index = 0;
  const timer = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return clearInterval(timer);
    const word = FAKE_TRANSCRIPT[index];
    if (word === undefined) {
      clearInterval(timer);
      return done();
    }
    socket.send(message(word, index));
    index++;
  }, TRANSCRIPT_INTERVAL_MS);
}

/** A client's JSON message as an object; `{}` when it is not JSON, so a bad message reads as a missing field. */
export function parseJsonMessage(data: unknown): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(String(data));
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The bearer token, or undefined when the header is missing or has another scheme. */
export function bearerToken(headers: IncomingHeaders): string | undefined {
  return /^Bearer (\S+)$/.exec(headers.authorization ?? "")?.[1];
}
