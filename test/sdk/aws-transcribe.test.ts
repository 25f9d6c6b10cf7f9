import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { awsAccount } from "../../dev/emulator/aws-transcribe";
import { startEmulator } from "../../dev/emulator/server";
import { type AwsTranscribeSettings, awsTranscribe } from "../../src/vendors/aws-transcribe";

/**
 * AWS's own signer is the ground truth for the presigned URL: `@smithy/signature-v4`
 * (what the AWS SDK for JavaScript v3 presigns with), given the same request (GET,
 * the host with its port, the path, the stream's query parameters) at the same time,
 * for the same key, region, service `transcribe` and X-Amz-Expires, must produce
 * exactly the query the broker's adapter signed, X-Amz-Signature included.
 */
const NOW = new Date("2026-11-02T10:00:00.000Z");

const SETTINGS: AwsTranscribeSettings = {
  // The AWS documentation's example key.
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  sessionToken: undefined,
  region: "us-east-1",
  baseUrl: "https://transcribestreaming.us-east-1.amazonaws.com:8443",
};

type Options = Parameters<typeof awsTranscribe.mint>[0]["options"];
const DEFAULTS: Options = { identify_language: false, media_encoding: "pcm", sample_rate: 16000 };

async function brokerUrl(settings: AwsTranscribeSettings, options: Options, ttlSeconds: number): Promise<URL> {
  const minted = await awsTranscribe.mint({
    settings,
    options,
    ttlSeconds,
    clientRef: "alice",
    callerIp: undefined,
    now: NOW,
    send: () => Promise.reject(new Error("a broker-signed mint sends nothing")),
  });
  if (minted.url === undefined) throw new Error("no url");
  const url = new URL(minted.url);
  expect(url.searchParams.get("X-Amz-Signature")).toBe(minted.key);
  return url;
}

/** What presigning adds to the stream's own query parameters. */
const ADDED_BY_SIGNING = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-Security-Token",
  "X-Amz-SignedHeaders",
  "X-Amz-Signature",
];

/** The same request presigned by @smithy/signature-v4: the broker's URL without what signing adds. */
async function smithyQuery(url: URL, settings: AwsTranscribeSettings, ttlSeconds: number) {
  const query = Object.fromEntries([...url.searchParams].filter(([name]) => !ADDED_BY_SIGNING.includes(name)));
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: settings.accessKeyId,
      secretAccessKey: settings.secretAccessKey,
      sessionToken: settings.sessionToken,
    },
    region: settings.region,
    service: "transcribe",
    sha256: Sha256,
  });
  const presigned = await signer.presign(
    {
      method: "GET",
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { host: url.host },
    },
    { signingDate: NOW, expiresIn: ttlSeconds },
  );
  // presign always sets the query it signed.
  return presigned.query as Record<string, string>;
}

/** The handshake's status: 101 when the socket opened. */
function handshake(url: string): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.on("open", () => {
      resolve(101);
      socket.terminate();
    });
    socket.on("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.on("error", () => resolve(0));
  });
}

describe("the broker's AWS Transcribe presigned URL matches @smithy/signature-v4's", () => {
  it.each([
    ["the defaults, for 60 s", SETTINGS, DEFAULTS, 60],
    [
      "a language and audio settings, for 300 s",
      SETTINGS,
      { ...DEFAULTS, language_code: "ja-JP", media_encoding: "flac", sample_rate: 44100 } as Options,
      300,
    ],
    [
      "language identification, for 1 s",
      SETTINGS,
      { ...DEFAULTS, identify_language: true, language_options: "en-US,es-US,fr-CA" } as Options,
      1,
    ],
    ["temporary credentials", { ...SETTINGS, sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE/token+value==" }, DEFAULTS, 60],
    [
      "another region",
      {
        ...SETTINGS,
        region: "ap-northeast-1",
        baseUrl: "https://transcribestreaming.ap-northeast-1.amazonaws.com:8443",
      },
      DEFAULTS,
      60,
    ],
    ["the emulator's plain ws host and port", { ...SETTINGS, baseUrl: "http://127.0.0.1:18788" }, DEFAULTS, 60],
  ])("with %s", async (_case, settings, options, ttl) => {
    const url = await brokerUrl(settings, options, ttl);
    const expected = await smithyQuery(url, settings, ttl);
    expect(Object.fromEntries(url.searchParams)).toEqual(expected);
    expect(url.searchParams.get("X-Amz-Date")).toBe("20261102T100000Z");
  });

  it("signs for AWS's documented endpoint, host and port included", async () => {
    const url = await brokerUrl(SETTINGS, DEFAULTS, 60);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(
      "wss://transcribestreaming.us-east-1.amazonaws.com:8443/stream-transcription-websocket",
    );
  });

  it("the emulator takes a URL that AWS's signer presigned, and no other: its verifier is not the broker's code", async () => {
    const emulator = await startEmulator({ publicJwks: { keys: [] } });
    try {
      const host = new URL(emulator.url).host;
      const presign = async (secretAccessKey: string) => {
        const signer = new SignatureV4({
          credentials: { accessKeyId: awsAccount.accessKeyId, secretAccessKey },
          region: awsAccount.region,
          service: "transcribe",
          sha256: Sha256,
        });
        const { query } = await signer.presign(
          {
            method: "GET",
            protocol: "ws:",
            hostname: "127.0.0.1",
            port: Number(new URL(emulator.url).port),
            path: "/stream-transcription-websocket",
            query: { "language-code": "en-US", "media-encoding": "pcm", "sample-rate": "16000" },
            headers: { host },
          },
          { expiresIn: 60 },
        );
        return `ws://${host}/stream-transcription-websocket?${new URLSearchParams(query as Record<string, string>)}`;
      };
      expect(await handshake(await presign(awsAccount.secretAccessKey))).toBe(101);
      expect(await handshake(await presign("another-secret"))).toBe(403);
    } finally {
      await emulator.close();
    }
  });

  it("disagrees with AWS's signer when the secret differs", async () => {
    const url = await brokerUrl(SETTINGS, DEFAULTS, 60);
    const other = await smithyQuery(url, { ...SETTINGS, secretAccessKey: "another-secret" }, 60);
    expect(other["X-Amz-Signature"]).not.toBe(url.searchParams.get("X-Amz-Signature"));
  });
});
