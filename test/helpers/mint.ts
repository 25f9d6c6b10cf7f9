import { bearer, type TokenOptions } from "./tokens";
import { call, type CallOptions } from "./broker";

export interface MintCall extends Omit<CallOptions, "body" | "method"> {
  body?: unknown;
  token?: TokenOptions;
}

/** POST /v1/keys/{vendor} as the given end user. */
export async function mint(vendor: string, user: string, options: MintCall = {}): Promise<Response> {
  return call(`/v1/keys/${vendor}`, {
    ...options,
    method: "POST",
    headers: { ...(await bearer(user, options.token)), ...options.headers },
    body: options.body ?? {},
  });
}
