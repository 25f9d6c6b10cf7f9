import type { VarReader } from "./config";
import type { Setting } from "./env";
import { vendors } from "./vendors/registry";

/** The broker's own secrets; each vendor names its own in `secretVars`. */
const BROKER_SECRET_VARS: Setting[] = ["ADMIN_TOKEN", "AUTH_HS256_SECRET", "CLIENT_REF_SECRET"];

/** Every secret value configured on this broker, for scrubbing text that a vendor wrote. */
export function configuredSecrets(vars: VarReader): string[] {
  const names = [...BROKER_SECRET_VARS, ...Object.values(vendors).flatMap((adapter) => adapter.secretVars)];
  return names.map((name) => vars.optional(name)).filter((value): value is string => value !== undefined);
}
