import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import { type PresignRequest, presignUrl } from "../../src/vendors/sigv4-presign";

/**
 * The broker's SigV4 presign against AWS's own signer, `@smithy/signature-v4` (what the AWS SDK
 * for JavaScript v3 presigns with), on what the Transcribe adapter's cases do not reach: names
 * and values that AWS's encoding and sort order treat differently from encodeURIComponent and a
 * plain sort, a default and a non-default port, a session token, a path to encode, and a time
 * with milliseconds. Each case is the request as sent (scheme, host, port, path as on the wire,
 * query) given to both signers: the host header is what the AWS SDK sends, with the port only
 * when it is not the scheme's default.
 */
const SIGNED_AT = new Date("2026-11-02T10:00:00.000Z");

interface Case {
  scheme: "wss:" | "ws:";
  hostname: string;
  port: number | undefined;
  path: string;
  /** A list for a name given more than once, in the order sent. */
  query: Record<string, string | string[]>;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  signedAt: Date;
}

const BASE: Case = {
  scheme: "wss:",
  hostname: "transcribestreaming.us-east-1.amazonaws.com",
  port: 8443,
  path: "/stream-transcription-websocket",
  query: { "language-code": "en-US" },
  // The AWS documentation's example key.
  credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  signedAt: SIGNED_AT,
};

const REGION = "us-east-1";
const SERVICE = "transcribe";
const EXPIRES_IN_SECONDS = 120;

async function broker(c: Case) {
  const url = new URL(`${c.scheme}//${c.hostname}${c.port === undefined ? "" : `:${c.port}`}${c.path}`);
  for (const [name, values] of Object.entries(c.query)) {
    for (const value of [values].flat()) url.searchParams.append(name, value);
  }
  const request: PresignRequest = {
    url,
    accessKeyId: c.credentials.accessKeyId,
    secretAccessKey: c.credentials.secretAccessKey,
    sessionToken: c.credentials.sessionToken,
    region: REGION,
    service: SERVICE,
    signedAt: c.signedAt,
    expiresInSeconds: EXPIRES_IN_SECONDS,
  };
  return presignUrl(request);
}

/** The query as @smithy/signature-v4 holds it: a list for a name given more than once. */
function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  return Object.fromEntries(
    [...new Set(params.keys())].map((name) => {
      const values = params.getAll(name);
      return [name, values.length === 1 ? (values[0] as string) : values];
    }),
  );
}

async function smithy(c: Case): Promise<Record<string, string | string[]>> {
  const defaultPort = c.scheme === "wss:" ? 443 : 80;
  const port = c.port === defaultPort ? undefined : c.port;
  const signer = new SignatureV4({ credentials: c.credentials, region: REGION, service: SERVICE, sha256: Sha256 });
  const presigned = await signer.presign(
    {
      method: "GET",
      protocol: c.scheme,
      hostname: c.hostname,
      port,
      path: c.path,
      query: c.query,
      headers: { host: port === undefined ? c.hostname : `${c.hostname}:${port}` },
    },
    { signingDate: c.signedAt, expiresIn: EXPIRES_IN_SECONDS },
  );
  // presign always sets the query it signed.
  return presigned.query as Record<string, string | string[]>;
}

describe("presignUrl matches @smithy/signature-v4", () => {
  it.each<[string, Case]>([
    ["a non-default port", BASE],
    ["the scheme's default port, left out of host", { ...BASE, port: 443 }],
    ["no port at all", { ...BASE, port: undefined }],
    ["a plain ws host with a port", { ...BASE, scheme: "ws:", hostname: "127.0.0.1", port: 18788 }],
    [
      "names and values with characters AWS encodes and encodeURIComponent does not, and some it does",
      { ...BASE, query: { "it's": "(a*b)!", "sp ace": "a+b=c&d/e?f#g", tilde: "~-_.", "": "empty name" } },
    ],
    [
      "names whose order changes once encoded (é after z raw, %C3%A9 before it) and by case (B before a)",
      { ...BASE, query: { z: "1", é: "2", a: "3", B: "4", "X-Custom": "5", 中文: "😀" } },
    ],
    [
      "a session token with / + =, signed",
      { ...BASE, credentials: { ...BASE.credentials, sessionToken: "IQoJb3JpZ2luX2Vj/token+value==" } },
    ],
    [
      "a key id and secret with characters needing encoding",
      { ...BASE, credentials: { accessKeyId: "AKIA/EXAMPLE+ID=", secretAccessKey: "s3cr3t/with+slash=and 'quotes'" } },
    ],
    ["a name given twice, its values sorted once encoded", { ...BASE, query: { a: ["z", "é", "B"], b: "1" } }],
    ["a path with encoded characters and an empty segment", { ...BASE, path: "/a%20b//%C3%A9/c*d/" }],
    [
      "a time with milliseconds, signed on its whole second",
      { ...BASE, signedAt: new Date("2026-11-02T10:00:59.999Z") },
    ],
  ])("with %s", async (_case, c) => {
    const { url, signature } = await broker(c);
    const expected = await smithy(c);
    expect(queryRecord(url.searchParams)).toEqual(expected);
    expect(signature).toBe(expected["X-Amz-Signature"]);
  });

  it("puts the broker's time, whole seconds, in X-Amz-Date and the credential scope", async () => {
    const { url } = await broker({ ...BASE, signedAt: new Date("2026-11-02T10:00:59.999Z") });
    expect(url.searchParams.get("X-Amz-Date")).toBe("20261102T100059Z");
    expect(url.searchParams.get("X-Amz-Credential")).toBe(
      "AKIAIOSFODNN7EXAMPLE/20261102/us-east-1/transcribe/aws4_request",
    );
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host");
    expect(url.searchParams.get("X-Amz-Expires")).toBe(String(EXPIRES_IN_SECONDS));
  });

  it("leaves the URL it was given unsigned", async () => {
    const c = { ...BASE, query: { a: "1" } };
    const url = new URL(`wss://${c.hostname}:${c.port}${c.path}?a=1`);
    await presignUrl({
      url,
      accessKeyId: c.credentials.accessKeyId,
      secretAccessKey: c.credentials.secretAccessKey,
      sessionToken: undefined,
      region: REGION,
      service: SERVICE,
      signedAt: SIGNED_AT,
      expiresInSeconds: EXPIRES_IN_SECONDS,
    });
    expect(url.search).toBe("?a=1");
  });
});
