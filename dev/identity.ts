import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/**
 * A local identity provider for development: RS256 tokens from its own key
 * pair, published as a JWKS. The broker verifies them in JWKS mode, the same
 * code path as production. Keys are made at start-up, so tokens do not outlive
 * the dev session.
 *
 * It also stands in for a Cloudflare Access team in front of the admin API: Access
 * application tokens from a second key pair, published where Access publishes its
 * keys (`/cdn-cgi/access/certs`), which the broker verifies as it verifies Access's.
 */
export const DEV_AUDIENCE = "edge-key-broker-dev";
/** The dev Access team: the broker's `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` under `npm run dev`. */
export const DEV_ACCESS_TEAM_DOMAIN = "dev-team.cloudflareaccess.com";
export const DEV_ACCESS_AUD = "edge-key-broker-dev-admin";
/** How long a dev token is valid. */
const DEV_TOKEN_TTL_SECONDS = 3600;

export interface DevIdentity {
  issuer: string;
  audience: string;
  publicJwks: { keys: JWK[] };
  signToken(subject: string): Promise<string>;
  /** The dev Access team's public keys. */
  accessJwks: { keys: JWK[] };
  /** A `Cf-Access-Jwt-Assertion` for this operator, as Access would add it. */
  signAccessAssertion(email: string): Promise<string>;
}

export async function createDevIdentity(issuer: string): Promise<DevIdentity> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  // A new kid for each new key: the broker's copy of the key set outlives a restart (the Cache API
  // is persisted with local state), and only an unknown kid makes it fetch the new key at once.
  const keyId = `dev-identity-${crypto.randomUUID()}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid: keyId, alg: "RS256", use: "sig" };
  const access = await generateKeyPair("RS256", { extractable: true });
  const accessKeyId = `dev-access-${crypto.randomUUID()}`;
  const accessJwk = { ...(await exportJWK(access.publicKey)), kid: accessKeyId, alg: "RS256", use: "sig" };
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
    accessJwks: { keys: [accessJwk] },
    signAccessAssertion: (email) =>
      new SignJWT({ email, type: "app" })
        .setProtectedHeader({ alg: "RS256", kid: accessKeyId })
        .setIssuer(`https://${DEV_ACCESS_TEAM_DOMAIN}`)
        .setAudience([DEV_ACCESS_AUD])
        .setIssuedAt()
        .setNotBefore("0s")
        .setExpirationTime(`${DEV_TOKEN_TTL_SECONDS}s`)
        .sign(access.privateKey),
  };
}
