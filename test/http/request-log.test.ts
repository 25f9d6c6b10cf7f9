import { describe, expect, it } from "vitest";
import { call, captureLogs, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import { REQUEST_LOG_FIELDS } from "./request-log-fields";

/** The request's log line: the one with `msg: "request"`. */
function requestLine(lines: string[]): Record<string, unknown> {
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const requests = parsed.filter((line) => line.msg === "request");
  expect(requests).toHaveLength(1);
  return requests[0] as Record<string, unknown>;
}

describe("the request log line", () => {
  it("lets an operator find a mint by request_id, client_ref, vendor and issuance_id", async () => {
    const user = uniqueUser("log");
    const { result, lines } = await captureLogs(() =>
      mint("deepgram", user, { headers: { "X-Request-Id": "trace-0001-abc" } }),
    );
    expect(result.status).toBe(201);
    const minted = (await result.json()) as { issuance_id: string };
    expect(requestLine(lines)).toMatchObject({
      level: "info",
      msg: "request",
      request_id: result.headers.get("x-request-id"),
      caller_request_id: "trace-0001-abc",
      method: "POST",
      path: "/v1/keys/deepgram",
      status: 201,
      duration_ms: expect.any(Number),
      client_ref: user,
      vendor: "deepgram",
      issuance_id: minted.issuance_id,
    });
  });

  it("carries the error code of a refused request", async () => {
    const user = uniqueUser("log");
    const { result, lines } = await captureLogs(() => mint("deepgram", user, { body: { ttl_seconds: 0 } }));
    expect(result.status).toBe(400);
    expect(requestLine(lines)).toMatchObject({
      status: 400,
      code: "invalid_request",
      client_ref: user,
      vendor: "deepgram",
    });
  });

  it("carries no field docs/operations.md does not document", async () => {
    const user = uniqueUser("log");
    const { lines } = await captureLogs(async () => {
      await mint("deepgram", user);
      await mint("deepgram", user, { body: { ttl_seconds: 0 } });
      await call("/v1/nothing-here");
      await call("/healthz", { headers: { Origin: "https://refused.example" } });
    });
    const fields = new Set(lines.flatMap((line) => Object.keys(JSON.parse(line) as object)));
    for (const field of fields) expect(REQUEST_LOG_FIELDS, field).toContain(field);
  });
});
