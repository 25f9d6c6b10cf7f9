import { badParameter, type IdentityProvider, refuse, refuseAnonymous } from "./types";

/**
 * Supabase Auth access tokens (`session.access_token`): `iss`
 * https://<project ref>.supabase.co/auth/v1, `aud` "authenticated" and `role`
 * "authenticated" for a signed-in user. Projects on JWT signing keys sign with
 * ES256 or RS256 and publish them at /auth/v1/.well-known/jwks.json; older projects
 * sign with the legacy JWT secret (HS256), which `AUTH_HS256_SECRET` then holds,
 * with the same issuer, audience and role checks.
 *
 * `role` is checked too: the `anon` and `service_role` API keys are JWTs signed
 * with the same legacy secret, and neither is a user. An anonymous sign-in
 * (`is_anonymous` true, `role` still "authenticated") is refused unless
 * `AUTH_ALLOW_ANONYMOUS` is true.
 *
 * @see https://supabase.com/docs/guides/auth/jwts
 * @see https://supabase.com/docs/guides/auth/signing-keys
 * @see https://supabase.com/docs/guides/auth/jwt-fields
 * @see https://supabase.com/docs/guides/auth/auth-anonymous
 */
const USER_ROLE = "authenticated";

/** A project ref: the 20 characters before .supabase.co in the project URL. */
const PROJECT_REF = /^[a-z0-9]{20}$/;

export const supabase = {
  name: "Supabase Auth",
  usage: "supabase:<project ref>",
  sharedSecret: true,
  derive({ parameter, audience, allowAnonymous }) {
    if (!PROJECT_REF.test(parameter)) {
      throw badParameter(
        "AUTH_PROVIDER supabase:<project ref> needs the project ref, the 20 lowercase characters before .supabase.co in the project URL",
      );
    }
    const base = `https://${parameter}.supabase.co/auth/v1`;
    return {
      jwksUrl: `${base}/.well-known/jwks.json`,
      issuer: base,
      algorithms: ["ES256", "RS256"],
      audience: audience ?? USER_ROLE,
      checkClaims(payload) {
        if (payload.role !== USER_ROLE) return refuse(`token claim "role" must be "${USER_ROLE}"`, "supabase role");
        if (!allowAnonymous && payload.is_anonymous === true) return refuseAnonymous("supabase");
        return undefined;
      },
    };
  },
} satisfies IdentityProvider;
