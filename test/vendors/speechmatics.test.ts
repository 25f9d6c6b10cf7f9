import { describe, expect, it } from "vitest";
import { expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { mint } from "../helpers/mint";

describe("POST /v1/keys/speechmatics", () => {
  it("mints an rt key by default, sending client_ref from the token", async () => {
    const user = uniqueUser("bob");
    const before = Date.now();
    const response = await mint("speechmatics", user);
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ vendor: "speechmatics", type: "rt", ttl_seconds: 300, client_ref: user });
    expect(body.key).toMatch(/^[A-Z0-9]{32}$/);
    expect(body).not.toHaveProperty("region");
    const expires = Date.parse(body.expires_at as string);
    expect(expires).toBeGreaterThanOrEqual(before + 300_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 300_000);

    const [request, ...more] = await receivedFor(user);
    expect(more).toHaveLength(0);
    expect(request).toMatchObject({ method: "POST", path: "/v1/api_keys", query: { type: "rt" } });
    expect(request?.headers.authorization).toBe(`Bearer ${masterKeys.speechmatics}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({ ttl: 300, client_ref: user });
  });

  it("mints a batch key in a chosen region", async () => {
    const user = uniqueUser();
    const response = await mint("speechmatics", user, { body: { type: "batch", region: "usa", ttl_seconds: 900 } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ type: "batch", region: "usa", ttl_seconds: 900 });
    const [request] = await receivedFor(user);
    expect(request?.query).toEqual({ type: "batch" });
    expect(request?.body).toEqual({ ttl: 900, client_ref: user, region: "usa" });
  });

  it("sends client_ref on a batch key without region, leaving the vendor's default region", async () => {
    const user = uniqueUser();
    expect((await mint("speechmatics", user, { body: { type: "batch" } })).status).toBe(201);
    const [request] = await receivedFor(user);
    expect(request?.body).toEqual({ ttl: 300, client_ref: user });
  });

  it.each(["eu", "usa", "au"])("accepts region %s for batch", async (region) => {
    expect((await mint("speechmatics", uniqueUser(), { body: { type: "batch", region } })).status).toBe(201);
  });

  it("forwards region on an rt key, as Speechmatics' own SDK does, and echoes it as applied", async () => {
    const user = uniqueUser();
    const response = await mint("speechmatics", user, { body: { region: "eu" } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ type: "rt", region: "eu" });
    const [request] = await receivedFor(user);
    expect(request?.query).toEqual({ type: "rt" });
    expect(request?.body).toEqual({ ttl: 300, client_ref: user, region: "eu" });
  });

  it("refuses an unknown region and type", async () => {
    await expectError(
      await mint("speechmatics", uniqueUser(), { body: { type: "batch", region: "asia" } }),
      400,
      "invalid_request",
    );
    await expectError(await mint("speechmatics", uniqueUser(), { body: { type: "stream" } }), 400, "invalid_request");
  });

  it.each([60, 3600])("accepts ttl_seconds %i at the limit", async (ttl) => {
    const user = uniqueUser();
    expect((await mint("speechmatics", user, { body: { ttl_seconds: ttl } })).status).toBe(201);
    const [request] = await receivedFor(user);
    expect(request?.body).toMatchObject({ ttl });
  });

  it.each([59, 3601])("refuses ttl_seconds %i and names the range", async (ttl) => {
    const error = await expectError(
      await mint("speechmatics", uniqueUser(), { body: { ttl_seconds: ttl } }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain("ttl_seconds must be an integer from 60 to 3600 for speechmatics");
  });

  it.each(["usage_type", "single_use", "client_ref"])("refuses the field %s", async (field) => {
    const error = await expectError(
      await mint("speechmatics", uniqueUser(), { body: { [field]: true } }),
      400,
      "invalid_request",
    );
    expect(error.message).toContain(`unknown field ${field}`);
  });
});
