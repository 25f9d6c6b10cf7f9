import { auth0 } from "./auth0";
import { clerk } from "./clerk";
import { cognito } from "./cognito";
import { firebase } from "./firebase";
import { supabase } from "./supabase";
import type { IdentityProvider } from "./types";

/** Every preset `AUTH_PROVIDER` names, by the id before its colon. */
export const identityProviders = { firebase, auth0, clerk, supabase, cognito } as const satisfies Record<
  string,
  IdentityProvider
>;

export type IdentityProviderId = keyof typeof identityProviders;

export const identityProviderIds = Object.keys(identityProviders) as IdentityProviderId[];

/** The preset for `id`, or undefined when there is none (`Object.hasOwn`: never `toString` or `__proto__`). */
export function identityProvider(id: string): IdentityProvider | undefined {
  return Object.hasOwn(identityProviders, id) ? identityProviders[id as IdentityProviderId] : undefined;
}
