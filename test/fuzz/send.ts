import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import { brokerEnv, captureLogs } from "../helpers/broker";
import { buildRequest, type RequestSpec } from "./arbitraries";

/** One exchange with the broker, read in full. */
export interface Exchange {
  spec: RequestSpec;
  request: Request;
  /** The Authorization value the broker received (duplicates joined), for the checks. */
  authorization: string | null;
  status: number;
  headers: Headers;
  text: string;
  /** Every console line the broker wrote while answering. */
  logs: string[];
}

/** Sends `spec` through the real Worker entry point, with the production-like test env. */
export async function send(spec: RequestSpec): Promise<Exchange> {
  const request = buildRequest(spec);
  const authorization = request.headers.get("Authorization");
  const { result, lines } = await captureLogs(async () => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, brokerEnv(), ctx);
    // Bytes, not .text(): workerd warns about .text() on a non-text type such as NDJSON.
    const text = new TextDecoder().decode(await response.arrayBuffer());
    await waitOnExecutionContext(ctx);
    return { response, text };
  });
  return {
    spec,
    request,
    authorization,
    status: result.response.status,
    headers: result.response.headers,
    text: result.text,
    logs: lines,
  };
}

/** A short account of an exchange for failure messages; huge values are cut. */
export function describe(exchange: Exchange): string {
  const cut = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);
  const { spec } = exchange;
  return [
    `${spec.method} ${cut(spec.path, 200)}`,
    `authorization: ${exchange.authorization === null ? "none" : cut(exchange.authorization, 80)}`,
    `content-type: ${exchange.request.headers.get("content-type")}, origin: ${exchange.request.headers.get("origin")}`,
    `body: ${spec.body === undefined ? "none" : cut(typeof spec.body === "string" ? spec.body : `${spec.body.length} bytes`, 200)}`,
    `→ ${exchange.status} ${cut(exchange.text)}`,
  ].join("\n  ");
}
