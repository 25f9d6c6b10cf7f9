import { type EmulatorReply, randomToken, streamTranscript, type VendorEmulator } from "./types";

/**
 * AmiVoice `POST /issue_service_authorization`, per the seeds: form fields,
 * either sid+spw or `Authorization: Bearer <Issuable key>` (never both), `epi`
 * in milliseconds, `ipa` a list of IPv4 addresses or CIDR ranges. Success is
 * the key as plain text; failures are 400 with a plain-text message.
 */
const ISSUABLE_KEY = "amivoice-issuable-key-for-tests";
/** A real API key without the "Issuable" setting. */
const NOT_ISSUABLE_KEY = "amivoice-plain-key-for-tests";
/** `epi` when the client sends none: 30 seconds, per the seed. */
const DEFAULT_EPI_MS = 30_000;
const IPV4_OR_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/(3[0-2]|[12]?\d))?$/;

function text(status: number, body: string): EmulatorReply {
  return { status, headers: { "content-type": "text/plain; charset=utf-8" }, body };
}

export const amivoiceAccount = {
  sid: "amivoice-sid-for-tests",
  spw: "amivoice-spw-for-tests",
  issuableKey: ISSUABLE_KEY,
  notIssuableKey: NOT_ISSUABLE_KEY,
};

export const amivoice: VendorEmulator = {
  vendor: "amivoice",
  method: "POST",
  path: "/issue_service_authorization",
  masterKey: ISSUABLE_KEY,
  errorReply: (status, message) => text(status, message),
  malformedReply: text(200, ""),

  handle({ headers, rawBody, keys }) {
    if (!headers["content-type"]?.startsWith("application/x-www-form-urlencoded")) {
      // Parameters not read: AmiVoice then issues nothing.
      return text(200, "");
    }
    const form = new URLSearchParams(rawBody);
    const authorization = headers.authorization;
    const hasServiceAuth = form.has("sid") || form.has("spw");
    if (authorization !== undefined) {
      // The seeds name no message for sid/spw sent with a bearer key; the header one is the closest documented.
      if (!authorization.startsWith("Bearer") || hasServiceAuth) return text(400, "Invalid Authorization Header");
      const key = authorization.slice("Bearer".length).trim();
      if (key === NOT_ISSUABLE_KEY) return text(400, "Dont issue appkey");
      if (key !== ISSUABLE_KEY) return text(400, "Invalid appkey");
    } else if (!form.get("sid") || !form.get("spw")) {
      // "If there is no response, required items may not have been specified."
      return text(200, "");
    }
    // Per the seed, a wrong sid/spw still yields a key, which fails later at the speech endpoint.
    const serviceAuthValid =
      authorization !== undefined ||
      (form.get("sid") === amivoiceAccount.sid && form.get("spw") === amivoiceAccount.spw);

    const epi = form.get("epi");
    if (epi !== null && !/^\d+$/.test(epi)) return text(400, "Invalid epi");
    const ipa = form.get("ipa");
    if (ipa !== null && ipa !== "" && !ipa.split(/[\s,]+/).every((entry) => IPV4_OR_CIDR.test(entry))) {
      return text(400, "Invalid ipa");
    }
    const key = randomToken(40);
    keys.issue(key, {
      vendor: "amivoice",
      expiresAt: Date.now() + Number(epi ?? DEFAULT_EPI_MS),
      singleUse: false,
      allowedIps: ipa ? ipa.split(/[\s,]+/) : [],
      serviceAuthValid,
    });
    return text(200, `${key}\n`);
  },

  /**
   * WebSocket interface: the client sends `s <audio format> <grammar>
   * authorization=<key>`; AmiVoice answers `s` on success or `s <error>`, then
   * `A <json>` results, and `e` after the client's `e`.
   */
  keyUse: {
    kind: "websocket",
    path: "/v1/",
    open(socket, { remoteIp, keys }) {
      socket.once("message", (data) => {
        const command = String(data);
        const key = /(?:^|\s)authorization=(\S+)/.exec(command)?.[1] ?? "";
        if (!command.startsWith("s ") || keys.use("amivoice", key, remoteIp)) {
          socket.send("s can't validate service authorization");
          return socket.close(1000);
        }
        socket.send("s");
        streamTranscript(
          socket,
          (word) => `A ${JSON.stringify({ results: [{ text: word }], text: word })}`,
          () => {
            socket.send("e");
            socket.close(1000);
          },
        );
      });
    },
  },
};
