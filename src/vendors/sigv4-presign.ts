/**
 * AWS Signature Version 4 query-string presigning of a GET URL, on WebCrypto alone:
 * the broker signs only `host` and sends no body, so a general signer's header and
 * payload handling (and its weight in the bundle) has nothing to do.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
const ALGORITHM = "AWS4-HMAC-SHA256";
const SCOPE_TERMINATOR = "aws4_request";
/** SHA-256 of the empty payload: a presigned GET has no body (what @smithy/signature-v4 presigns with too). */
const EMPTY_PAYLOAD_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const encoder = new TextEncoder();

export interface PresignRequest {
  /** The URL with its own query parameters; presigning adds the X-Amz-* ones. */
  url: URL;
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary (STS) credentials' token: signed, and sent as X-Amz-Security-Token. */
  sessionToken: string | undefined;
  region: string;
  service: string;
  /** The signing time, from the broker's clock: SigV4 keeps its whole seconds. */
  signedAt: Date;
  expiresInSeconds: number;
}

export interface PresignedUrl {
  url: URL;
  /** X-Amz-Signature: what makes the URL a credential. */
  signature: string;
}

/** AWS's URI encoding: UTF-8, every byte but A-Z a-z 0-9 - _ . ~ as %XY (upper-case hex). */
function uriEncode(text: string): string {
  // encodeURIComponent leaves ! ' ( ) * as they are too; AWS does not.
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI: the path without empty segments (URL has already resolved `.`
 * and `..`), encoded a second time over URL's own encoding, as every service but S3 wants.
 */
function canonicalPath(pathname: string): string {
  return uriEncode(pathname.replace(/\/+/g, "/")).replace(/%2F/g, "/");
}

/** Names and values encoded, sorted by name, then by value; the signature is not in it. */
function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

async function hmac(key: string | ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    typeof key === "string" ? encoder.encode(key) : key,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(data));
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Presigns a GET of `url` for the service in the region, valid `expiresInSeconds` from `signedAt`. */
export async function presignUrl(request: PresignRequest): Promise<PresignedUrl> {
  const url = new URL(request.url);
  // ISO 8601 basic format, whole seconds: 20261207T012345Z.
  const amzDate = request.signedAt.toISOString().replace(/[:-]|\.\d{3}/g, "");
  const date = amzDate.slice(0, 8);
  const scope = [date, request.region, request.service, SCOPE_TERMINATOR].join("/");
  const params = url.searchParams;
  params.set("X-Amz-Expires", String(request.expiresInSeconds));
  params.set("X-Amz-Date", amzDate);
  if (request.sessionToken) params.set("X-Amz-Security-Token", request.sessionToken);
  params.set("X-Amz-Algorithm", ALGORITHM);
  params.set("X-Amz-Credential", `${request.accessKeyId}/${scope}`);
  params.set("X-Amz-SignedHeaders", "host");
  const canonicalRequest = [
    "GET",
    canonicalPath(url.pathname),
    canonicalQuery(params),
    // URL has lower-cased the host and left out the scheme's default port, as SigV4's `host` has them.
    `host:${url.host}\n`,
    "host",
    EMPTY_PAYLOAD_HASH,
  ].join("\n");
  const stringToSign = [
    ALGORITHM,
    amzDate,
    scope,
    hex(await crypto.subtle.digest("SHA-256", encoder.encode(canonicalRequest))),
  ].join("\n");
  let signingKey: string | ArrayBuffer = `AWS4${request.secretAccessKey}`;
  for (const part of [date, request.region, request.service, SCOPE_TERMINATOR]) {
    signingKey = await hmac(signingKey, part);
  }
  const signature = hex(await hmac(signingKey, stringToSign));
  params.set("X-Amz-Signature", signature);
  return { url, signature };
}
