import type { JWK } from "jose";

/** Algorithms the test identity provider signs with, and their key ids. */
export const SIGNING_KEY_IDS = { RS256: "rs-1", ES256: "es-1", EdDSA: "ed-1" } as const;

export type SigningAlgorithm = keyof typeof SIGNING_KEY_IDS;

/** What global-setup hands the tests running inside workerd. */
declare module "vitest" {
  export interface ProvidedContext {
    emulatorUrl: string;
    /** Private JWKs by algorithm, with `kid` and `alg` set. */
    signingKeys: Record<SigningAlgorithm, JWK>;
    /** The private RS256 key of the tests' Cloudflare Access team, with `kid`; its public half is at /cdn-cgi/access/certs. */
    accessSigningKey: JWK;
    /** The public JWKS the emulator serves, for tests that misuse a public key. */
    publicJwks: { keys: JWK[] };
    /** The master key each emulated vendor account accepts. */
    masterKeys: Record<string, string>;
    /** The emulated AmiVoice account: service id and password, and API keys with and without "Issuable". */
    amivoiceAccount: { sid: string; spw: string; issuableKey: string; notIssuableKey: string };
    /** The emulated AWS account: an access key (its secret is also `masterKeys["aws-transcribe"]`) and its region. */
    awsAccount: { accessKeyId: string; secretAccessKey: string; region: string };
    /** The emulated Twilio account: its SIDs and the API key that signs Voice tokens (its secret is also `masterKeys["twilio-voice"]`). */
    twilioVoiceAccount: { accountSid: string; apiKeySid: string; apiKeySecret: string; twimlAppSid: string };
    /** The emulated LiveKit project: its API key and the secret that signs its tokens (also `masterKeys.livekit`). */
    livekitProject: { apiKey: string; apiSecret: string };
  }
}
