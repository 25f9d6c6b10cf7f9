import { describe, expect, it } from "vitest";
import { call } from "../helpers/broker";

describe("GET /healthz", () => {
  it("answers ok without auth, with a request id", async () => {
    const response = await call("/healthz");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
