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
  }
}
