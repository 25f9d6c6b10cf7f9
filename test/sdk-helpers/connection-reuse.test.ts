import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { MAX_DISCARDED_REQUEST_BYTES, MAX_REQUEST_BODY_BYTES } from "../../src/constants";
import { idTokenFor, stack } from "./stack";

/**
 * A refusal the broker answers before reading the whole body (or after reading
 * only part of it) must leave the client's keep-alive connection usable: under
 * `wrangler dev`, a cancelled request body made the next request on the same
 * connection hang. Each case sends a refused request and then `GET /healthz`
 * through an agent with one socket, and checks that the second answer came on
 * the first one's socket.
 */

/** Long enough for a loaded machine, short enough that a hung connection fails the test rather than the run. */
const REQUEST_TIMEOUT_MS = 10_000;
const MINT_PATH = "/v1/keys/soniox";

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

interface Answer {
  status: number;
  code: string | undefined;
  socket: Socket;
}

/** Sends one request through `agent`; a chunked one goes out in two writes, so it cannot carry a length. */
function send(agent: Agent, { method, path, headers = {}, body }: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = request(new URL(path, stack.brokerUrl), { method, agent, headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => {
        const code = response.statusCode === 200 ? undefined : (JSON.parse(text) as { error: { code: string } });
        resolve({ status: response.statusCode ?? 0, code: code?.error.code, socket: sent.socket as Socket });
      });
    });
    sent.setTimeout(REQUEST_TIMEOUT_MS, () => sent.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    sent.on("error", reject);
    if (body && headers["transfer-encoding"] === "chunked") {
      const half = body.length >> 1;
      sent.write(body.subarray(0, half));
      sent.end(body.subarray(half));
    } else {
      sent.end(body);
    }
  });
}

const overCap = Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1024, "x");
const overDiscardBound = Buffer.alloc(2 * MAX_DISCARDED_REQUEST_BYTES, "x");
const declared = (body: Buffer) => ({ "content-length": String(body.length) });
const chunked = { "transfer-encoding": "chunked" };
const json = { "content-type": "application/json" };

let token: string;
beforeAll(async () => {
  token = await idTokenFor("keep-alive-user");
});

let agent: Agent;
afterEach(() => agent?.destroy());

describe("a refused request leaves its keep-alive connection usable", () => {
  const cases: [string, () => Sent, number, string][] = [
    [
      "413 for a body whose Content-Length is over the cap",
      () => ({
        method: "POST",
        path: MINT_PATH,
        headers: { authorization: `Bearer ${token}`, ...json, ...declared(overCap) },
        body: overCap,
      }),
      413,
      "payload_too_large",
    ],
    [
      "413 for a declared body far past what the broker would drain",
      () => ({
        method: "POST",
        path: MINT_PATH,
        headers: { authorization: `Bearer ${token}`, ...json, ...declared(overDiscardBound) },
        body: overDiscardBound,
      }),
      413,
      "payload_too_large",
    ],
    [
      "413 for a chunked body without Content-Length that passes the cap",
      () => ({
        method: "POST",
        path: MINT_PATH,
        headers: { authorization: `Bearer ${token}`, ...json, ...chunked },
        body: overCap,
      }),
      413,
      "payload_too_large",
    ],
    [
      "415 for a body that is not JSON",
      () => ({
        method: "POST",
        path: MINT_PATH,
        headers: { authorization: `Bearer ${token}`, "content-type": "text/plain", ...declared(Buffer.from("{}")) },
        body: Buffer.from("{}"),
      }),
      415,
      "unsupported_media_type",
    ],
    [
      "401 before the body is read",
      () => ({ method: "POST", path: MINT_PATH, headers: { ...json, ...declared(overCap) }, body: overCap }),
      401,
      "unauthenticated",
    ],
    [
      "401 before a chunked body is read",
      () => ({ method: "POST", path: MINT_PATH, headers: { ...json, ...chunked }, body: overCap }),
      401,
      "unauthenticated",
    ],
  ];

  it.each(cases)("answers the next request on the same connection after %s", async (_, refused, status, code) => {
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await send(agent, refused());
    expect([first.status, first.code]).toEqual([status, code]);

    const next = await send(agent, { method: "GET", path: "/healthz" });
    expect(next.status).toBe(200);
    // A connection the runtime closed would be replaced by a new socket and hide the fault.
    expect(next.socket).toBe(first.socket);
  });
});
