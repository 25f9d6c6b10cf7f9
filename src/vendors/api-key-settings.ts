import type { VarReader } from "../config";
import type { Setting } from "../env";

/** The settings of a vendor that needs only its API key and a base URL. */
export interface ApiKeySettings {
  apiKey: string;
  baseUrl: string;
}

/** Reads them; undefined when the key is unset, which leaves the vendor disabled. */
export function apiKeySettings(
  vars: VarReader,
  keyVar: Setting,
  baseUrlVar: Setting,
  defaultBaseUrl: string,
): ApiKeySettings | undefined {
  const apiKey = vars.optional(keyVar);
  if (!apiKey) return undefined;
  return { apiKey, baseUrl: vars.baseUrl(baseUrlVar, defaultBaseUrl) };
}
