import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { crc32 } from "node:zlib";
import type { WebSocket } from "ws";
import type { IncomingHeaders } from "./recorded";
import { type EmulatorReply, json, type KeyUseEndpoint, type SignedVendorEmulator, streamTranscript } from "./types";

/**
 * Amazon Transcribe streaming over WebSocket (Developer Guide "Setting up a WebSocket
 * stream", API reference StartStreamTranscription): the client opens
 * `wss://transcribestreaming.<region>.amazonaws.com:8443/stream-transcription-websocket`
 * with a SigV4-presigned query, service `transcribe`, `X-Amz-SignedHeaders=host` and
 * `X-Amz-Expires` of at most 300 seconds, which gates only the start of the stream.
 *
 * This endpoint recomputes the signature with its own copy of the account's secret
 * (its own SigV4 code, not the broker's), checks the credential scope against the
 * account's key id and region and the service, and the time against its own clock
 * with AWS's 5 minutes of skew, and refuses the upgrade with 403 and AWS's JSON error
 * (`x-amzn-ErrorType`, `{"message"}`). The streaming parameters are then checked as
 * documented (`language-code`, or `identify-language` with two or more
 * `language-options`; `media-encoding`; `sample-rate` 8000..48000; `session-id` a
 * UUID), refused with 400 `BadRequestException`. The wording of the time and
 * parameter messages is this emulator's own.
 *
 * Once open, any binary message counts as audio (the emulator does not decode the
 * client's AudioEvents); it answers TranscriptEvents in AWS's event-stream encoding,
 * then closes 1000. A stream opened with the `session-id` of one still open ends that
 * one with a ConflictException event, as AWS does.
 */
const PATH = "/stream-transcription-websocket";
const SERVICE = "transcribe";
const ALGORITHM = "AWS4-HMAC-SHA256";
const MAX_EXPIRES_SECONDS = 300;
/** How far AWS lets a request's time be from its own. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** SHA-256 of the empty payload: a WebSocket handshake has no body. */
const EMPTY_PAYLOAD_HASH = createHash("sha256").update("").digest("hex");

/** The emulated account: an IAM user's access key in one region, with no session token. */
export const awsAccount = {
  accessKeyId: "AKIAEMULATOREXAMPLE0",
  // `/` and `+` as in real secrets, so that an encoding slip shows.
  secretAccessKey: "emulator/Secret+Key/for/tests/0123456789",
  region: "us-east-1",
};

const LANGUAGE_CODES = new Set(
  "af-ZA am-ET ar-AE ar-SA be-BY bg-BG bn-IN bs-BA ca-ES ckb-IQ ckb-IR cs-CZ cy-WL da-DK de-CH de-DE el-GR en-AB en-AU en-GB en-IE en-IN en-NZ en-US en-WL en-ZA es-ES es-MX es-US et-ET eu-ES fa-AF fa-IR fi-FI fr-CA fr-FR gl-ES gu-IN he-IL hi-IN hr-HR ht-HT hu-HU hy-AM id-ID is-IS it-IT ja-JP jv-ID kab-DZ ka-GE kk-KZ km-KH kn-IN ko-KR lg-IN lt-LT lv-LV mk-MK ml-IN mr-IN ms-MY my-MM ne-NP nl-NL no-NO or-IN pa-IN pl-PL ps-AF pt-BR pt-PT ro-RO ru-RU si-LK sk-SK sl-SI so-SO sq-AL sr-RS su-ID sv-SE sw-BI sw-KE sw-RW sw-TZ sw-UG ta-IN te-IN th-TH tl-PH tr-TR uk-UA uz-UZ vi-VN zh-CN zh-HK zh-TW zu-ZA".split(
    " ",
  ),
);
const MEDIA_ENCODINGS = new Set(["pcm", "ogg-opus", "flac"]);
const SESSION_ID = /^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const AUTH_PARAMS = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders"];

function awsError(status: number, type: string, message: string): EmulatorReply {
  return json(
    status,
    { message },
    { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/` },
  );
}
const forbidden = (type: string, message: string) => awsError(403, type, message);
const badRequest = (message: string) => awsError(400, "BadRequestException", message);

/** RFC 3986 encoding, as SigV4 canonicalizes query names and values. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** The signature AWS computes for this handshake (Signature Version 4, query parameters). */
function expectedSignature(query: URLSearchParams, headers: IncomingHeaders, signedHeaders: string[]): string {
  const [, date = "", region = "", service = "", terminator = ""] = (query.get("X-Amz-Credential") ?? "").split("/");
  const amzDate = query.get("X-Amz-Date") ?? "";
  const canonicalQuery = [...query]
    .filter(([name]) => name !== "X-Amz-Signature")
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([n1 = "", v1 = ""], [n2 = "", v2 = ""]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map((pair) => pair.join("="))
    .join("&");
  const canonicalHeaders = signedHeaders
    .map(
      (name) =>
        `${name}:${String(headers[name] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const canonicalRequest = [
    "GET",
    PATH,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(";"),
    EMPTY_PAYLOAD_HASH,
  ].join("\n");
  const scope = [date, region, service, terminator].join("/");
  const stringToSign = [ALGORITHM, amzDate, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join(
    "\n",
  );
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${awsAccount.secretAccessKey}`, date), region), service), terminator);
  return hmac(signingKey, stringToSign).toString("hex");
}

function amzDateMs(text: string): number | undefined {
  const [, y, mo, d, h, mi, s] = AMZ_DATE.exec(text) ?? [];
  return y === undefined ? undefined : Date.UTC(+y, +(mo ?? 0) - 1, +(d ?? 0), +(h ?? 0), +(mi ?? 0), +(s ?? 0));
}

/** Why AWS would refuse this handshake's signature, or undefined when it is valid now. */
function authRefusal(query: URLSearchParams, headers: IncomingHeaders): EmulatorReply | undefined {
  if (AUTH_PARAMS.some((name) => !query.get(name))) {
    return forbidden(
      "IncompleteSignatureException",
      `AWS query-string parameters must include ${AUTH_PARAMS.map((n) => `'${n}'`).join(", ")}. Re-examine the query-string parameters.`,
    );
  }
  if (query.get("X-Amz-Algorithm") !== ALGORITHM) {
    return forbidden("IncompleteSignatureException", `Unsupported AWS 'algorithm': '${query.get("X-Amz-Algorithm")}'`);
  }
  const [keyId, date, region, service, terminator, ...extra] = (query.get("X-Amz-Credential") ?? "").split("/");
  const amzDate = query.get("X-Amz-Date") ?? "";
  const signedAt = amzDateMs(amzDate);
  if (signedAt === undefined) {
    return forbidden("IncompleteSignatureException", `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
  }
  if (extra.length > 0 || terminator !== "aws4_request") {
    return forbidden(
      "IncompleteSignatureException",
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator ?? ""}'.`,
    );
  }
  if (date !== amzDate.slice(0, 8)) {
    return forbidden(
      "InvalidSignatureException",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate.slice(0, 8)}'`,
    );
  }
  if (service !== SERVICE) {
    return forbidden("InvalidSignatureException", `Credential should be scoped to correct service: '${SERVICE}'.`);
  }
  if (region !== awsAccount.region) {
    return forbidden("InvalidSignatureException", `Credential should be scoped to a valid region, not '${region}'.`);
  }
  if (keyId !== awsAccount.accessKeyId || query.has("X-Amz-Security-Token")) {
    return forbidden("UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  const expires = query.get("X-Amz-Expires");
  if (expires === null || !/^\d+$/.test(expires) || +expires < 1 || +expires > MAX_EXPIRES_SECONDS) {
    return forbidden(
      "InvalidSignatureException",
      `X-Amz-Expires must be an integer from 1 to ${MAX_EXPIRES_SECONDS} (seconds), not '${expires ?? ""}'.`,
    );
  }
  const signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";");
  if (!signedHeaders.includes("host")) {
    return forbidden(
      "InvalidSignatureException",
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const expected = Buffer.from(expectedSignature(query, headers, signedHeaders));
  const given = Buffer.from(query.get("X-Amz-Signature") ?? "");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return forbidden(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
  const now = Date.now();
  if (now > signedAt + +expires * 1000) {
    return forbidden(
      "InvalidSignatureException",
      `Signature expired: ${amzDate} + ${expires} s is now earlier than the current time.`,
    );
  }
  if (signedAt > now + CLOCK_SKEW_MS) {
    return forbidden(
      "InvalidSignatureException",
      `Signature not yet current: ${amzDate} is still later than the current time + 5 min.`,
    );
  }
  return undefined;
}

/** Why the stream's parameters are refused, or undefined when they are valid. */
function parameterRefusal(query: URLSearchParams): string | undefined {
  const languageCode = query.get("language-code");
  const identify = query.get("identify-language") === "true";
  const options = query.get("language-options");
  if (languageCode !== null && identify) return "language-code and identify-language cannot be used together.";
  if (languageCode !== null && !LANGUAGE_CODES.has(languageCode))
    return `Unsupported language-code: '${languageCode}'.`;
  if (languageCode === null && !identify) return "One of language-code or identify-language is required.";
  if (identify) {
    const codes = (options ?? "").split(",");
    const languages = new Set(codes.map((code) => code.split("-")[0]));
    if (codes.length < 2 || !codes.every((code) => LANGUAGE_CODES.has(code))) {
      return "identify-language needs two or more supported language-options.";
    }
    if (languages.size !== codes.length) return "language-options may hold one dialect per language.";
  } else if (options !== null) return "language-options needs identify-language.";
  const encoding = query.get("media-encoding");
  if (encoding === null || !MEDIA_ENCODINGS.has(encoding)) return "media-encoding must be one of pcm, ogg-opus, flac.";
  const rate = query.get("sample-rate");
  if (rate === null || !/^\d+$/.test(rate) || +rate < 8000 || +rate > 48000) {
    return "sample-rate must be an integer from 8000 to 48000.";
  }
  const sessionId = query.get("session-id");
  if (sessionId !== null && !SESSION_ID.test(sessionId)) return "session-id must be a UUID.";
  return undefined;
}

/** One event-stream message (Developer Guide "Setting up an event stream"): string headers, JSON payload. */
export function eventStreamMessage(headers: Record<string, string>, payload: string): Buffer {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const nameBytes = Buffer.from(name);
      const valueBytes = Buffer.from(value);
      const head = Buffer.alloc(1 + nameBytes.length + 3);
      head.writeUInt8(nameBytes.length, 0);
      nameBytes.copy(head, 1);
      head.writeUInt8(7, 1 + nameBytes.length); // 7: string
      head.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
      return Buffer.concat([head, valueBytes]);
    }),
  );
  const body = Buffer.from(payload);
  const total = 12 + headerBytes.length + body.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const message = Buffer.concat([prelude, headerBytes, body, Buffer.alloc(4)]);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}

function transcriptEvent(text: string, index: number): Buffer {
  const result = {
    ResultId: `result-${index}`,
    StartTime: index * 0.5,
    EndTime: index * 0.5 + 0.5,
    IsPartial: false,
    Alternatives: [{ Transcript: text, Items: [] }],
  };
  return eventStreamMessage(
    { ":message-type": "event", ":event-type": "TranscriptEvent", ":content-type": "application/json" },
    JSON.stringify({ Transcript: { Results: [result] } }),
  );
}

function conflictException(): Buffer {
  return eventStreamMessage(
    { ":message-type": "exception", ":exception-type": "ConflictException", ":content-type": "application/json" },
    JSON.stringify({
      Message: "A new stream started with the same session ID. The current stream has been terminated.",
    }),
  );
}

/** The open stream of each session id. */
const openStreams = new Map<string, WebSocket>();

const stream: KeyUseEndpoint = {
  kind: "websocket",
  path: PATH,
  refuse({ query, headers }) {
    const refusal = authRefusal(query, headers);
    if (refusal) return refusal;
    const wrong = parameterRefusal(query);
    return wrong === undefined ? undefined : badRequest(wrong);
  },
  open(socket, { query }) {
    const sessionId = query.get("session-id");
    if (sessionId !== null) {
      const earlier = openStreams.get(sessionId);
      if (earlier !== undefined && earlier.readyState === earlier.OPEN) {
        earlier.send(conflictException());
        earlier.close(1000);
      }
      openStreams.set(sessionId, socket);
      socket.on("close", () => {
        if (openStreams.get(sessionId) === socket) openStreams.delete(sessionId);
      });
    }
    let started = false;
    socket.on("message", (_data, isBinary) => {
      if (!isBinary || started) return;
      started = true;
      streamTranscript(
        socket,
        (word, index) => transcriptEvent(word, index),
        () => socket.close(1000),
      );
    });
  },
};

export const awsTranscribe: SignedVendorEmulator = {
  vendor: "aws-transcribe",
  masterKey: awsAccount.secretAccessKey,
  keyUse: stream,
};
