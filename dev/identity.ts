import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/**
 * A local identity provider for development: RS256 tokens from its own key
 * pair, published as a JWKS. The broker verifies them in JWKS mode, the same
 * code path as production. Keys are made at start-up, so tokens do not outlive
 * the dev session.
 */
export const DEV_AUDIENCE = "edge-key-broker-dev";
/** How long a dev token is valid. */
const DEV_TOKEN_TTL_SECONDS = 3600;

export interface DevIdentity {
  issuer: string;
  audience: string;
  publicJwks: { keys: JWK[] };
  signToken(subject: string): Promise<string>;
}

export async function createDevIdentity(issuer: string): Promise<DevIdentity> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  // A new kid for each new key: the broker's copy of the key set outlives a restart (the Cache API
  // is persisted with local state), and only an unknown kid makes it fetch the new key at once.
  const keyId = `dev-identity-${crypto.randomUUID()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid: keyId, alg: "RS256", use: "sig" };
  return {
    issuer,
    audience: DEV_AUDIENCE,
    publicJwks: { keys: [publicJwk] },
    signToken: (subject) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "RS256", kid: keyId, typ: "JWT" })
        .setIssuer(issuer)
        .setAudience(DEV_AUDIENCE)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(`${DEV_TOKEN_TTL_SECONDS}s`)
        .sign(privateKey),
  };
}
