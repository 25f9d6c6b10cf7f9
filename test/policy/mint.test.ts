import { describe, expect, it } from "vitest";
import { vendorIds } from "../../src/vendors/registry";
import { auditRecord } from "../helpers/audit";
import { call, expectError, uniqueUser } from "../helpers/broker";
import { receivedFor, taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import { withPolicy } from "./policy-env";

/** Mints under `policy` and returns the response with the requests the vendor received for the user. */
async function mintUnder(policy: unknown, vendor: string, body: unknown = {}) {
  const user = uniqueUser("policy");
  const response = await mint(vendor, user, { body, env: withPolicy(policy) });
  return { response, user, received: () => receivedFor(user) };
}

async function listedIds(policy: unknown): Promise<string[]> {
  const response = await call("/v1/vendors", { headers: await bearer("alice"), env: withPolicy(policy) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { vendors: { id: string }[] }).vendors.map((v) => v.id);
}

describe("POLICY: enabled", () => {
  const policy = { speechmatics: { enabled: false } };

  it("refuses a disabled vendor with 403 before calling it, and leaves others alone", async () => {
    const refused = await mintUnder(policy, "speechmatics");
    const error = await expectError(refused.response, 403, "forbidden");
    expect(error.message).toBe("speechmatics is disabled by policy on this broker");
    expect(await refused.received()).toHaveLength(0);

    expect((await mintUnder(policy, "soniox")).response.status).toBe(201);
    expect((await mintUnder({ speechmatics: { enabled: true } }, "speechmatics")).response.status).toBe(201);
  });

  it("refuses a disabled vendor before reading the body", async () => {
    const { response } = await mintUnder(policy, "speechmatics", { type: "nonsense" });
    await expectError(response, 403, "forbidden");
  });

  it("leaves a disabled vendor out of GET /v1/vendors", async () => {
    expect(await listedIds(policy)).toEqual(vendorIds.filter((id) => id !== "speechmatics"));
  });
});

describe('POLICY: "*"', () => {
  it("cannot make a vendor without its secret usable: it stays unconfigured and unlisted", async () => {
    const policy = { "*": { enabled: true }, deepgram: { enabled: true } };
    const unset = { OPENAI_API_KEY: undefined, DEEPGRAM_API_KEY: undefined };
    for (const vendor of ["openai", "deepgram"]) {
      const response = await mint(vendor, uniqueUser(), { env: withPolicy(policy, unset) });
      await expectError(response, 404, "vendor_not_configured");
    }
    const response = await call("/v1/vendors", { headers: await bearer("alice"), env: withPolicy(policy, unset) });
    const listed = ((await response.json()) as { vendors: { id: string }[] }).vendors.map((v) => v.id);
    expect(listed).toEqual(vendorIds.filter((id) => id !== "openai" && id !== "deepgram"));
  });

  it('turns off a named vendor that does not set "enabled" itself when "*" turns every vendor off', async () => {
    const { response, received } = await mintUnder({ "*": { enabled: false }, soniox: { daily_quota: 3 } }, "soniox");
    await expectError(response, 403, "forbidden");
    expect(await received()).toHaveLength(0);
  });
});

describe("POLICY: ttl_seconds", () => {
  const policy = { soniox: { ttl_seconds: { min: 30, max: 120, default: 60 } } };

  it.each([29, 121, 3600, 5000])("refuses ttl_seconds %i with 400 naming the narrowed range", async (ttl) => {
    const { response, received } = await mintUnder(policy, "soniox", { ttl_seconds: ttl });
    const error = await expectError(response, 400, "invalid_request");
    expect(error.message).toContain(
      "ttl_seconds must be an integer from 30 to 120 for soniox under this broker's policy",
    );
    expect(await received()).toHaveLength(0);
  });

  it.each([30, 120])("accepts ttl_seconds %i at the narrowed limit", async (ttl) => {
    const { response, received } = await mintUnder(policy, "soniox", { ttl_seconds: ttl });
    expect(response.status).toBe(201);
    expect((await received())[0]?.body).toMatchObject({ expires_in_seconds: ttl });
  });

  it("applies the policy's default when the client sends no ttl_seconds", async () => {
    const { response, received } = await mintUnder(policy, "soniox");
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ ttl_seconds: 60 });
    expect((await received())[0]?.body).toMatchObject({ expires_in_seconds: 60 });
  });
});

describe("POLICY: forced options", () => {
  const policy = { soniox: { options: { single_use: { force: true } } } };

  it("applies a forced value the client did not send, sends it to the vendor and echoes it in the response and audit", async () => {
    const { response, received } = await mintUnder(policy, "soniox");
    expect(response.status).toBe(201);
    const body = (await response.json()) as { single_use?: boolean; issuance_id: string };
    expect(body.single_use).toBe(true);
    expect((await received())[0]?.body).toMatchObject({ single_use: true });
    const record = await auditRecord(body.issuance_id);
    expect(record.options).toMatchObject({ single_use: true });
  });

  it("accepts the forced value sent explicitly", async () => {
    const { response } = await mintUnder(policy, "soniox", { single_use: true });
    expect(response.status).toBe(201);
  });

  it("refuses a contradicting value with 403 naming the rule, without calling the vendor", async () => {
    const { response, received } = await mintUnder(policy, "soniox", { single_use: false });
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain("single_use is fixed to true under this broker's policy for soniox");
    expect(await received()).toHaveLength(0);
  });

  it("refuses a value that differs from a forced one only through its field's default", async () => {
    // usage_type defaults to transcribe_websocket; a client that leaves it out gets the forced value instead.
    const forced = { soniox: { options: { usage_type: { force: "tts_rt" } } } };
    const absent = await mintUnder(forced, "soniox");
    expect(absent.response.status).toBe(201);
    expect((await absent.received())[0]?.body).toMatchObject({ usage_type: "tts_rt" });
    const sent = await mintUnder(forced, "soniox", { usage_type: "transcribe_websocket" });
    await expectError(sent.response, 403, "forbidden");
  });

  it("sends a forced value to vendors that identify no user in the body (AceData)", async () => {
    const vendor = taggedBaseUrl();
    const response = await mint("acedata", uniqueUser(), {
      env: withPolicy(
        { acedata: { options: { limited_amount: { force: 2.5 } } } },
        { ACEDATA_BASE_URL: vendor.baseUrl },
      ),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ limited_amount: 2.5 });
    const [request] = await vendor.received();
    expect(request?.body).toMatchObject({ limited_amount: 2.5 });
  });

  it("answers 500 misconfigured naming POLICY when a forced value breaks the operator's own vendor settings", async () => {
    const vendor = taggedBaseUrl();
    const error = await expectError(
      await mint("acedata", uniqueUser(), {
        env: withPolicy(
          { acedata: { options: { limited_amount: { force: 5 } } } },
          { ACEDATA_BASE_URL: vendor.baseUrl, ACEDATA_MAX_AMOUNT: "3" },
        ),
      }),
      500,
      "misconfigured",
    );
    expect(error.message).toContain("POLICY acedata.options");
    expect(await vendor.received()).toHaveLength(0);
  });
});

describe("POLICY: allowed values (in)", () => {
  it("refuses a value outside the set with 403 naming the rule, without calling the vendor", async () => {
    const policy = { soniox: { options: { usage_type: { in: ["transcribe_websocket"] } } } };
    const { response, received } = await mintUnder(policy, "soniox", { usage_type: "tts_rt" });
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain(
      'usage_type must be one of "transcribe_websocket" under this broker\'s policy for soniox',
    );
    expect(await received()).toHaveLength(0);

    const allowed = await mintUnder(policy, "soniox", { usage_type: "transcribe_websocket" });
    expect(allowed.response.status).toBe(201);
    const defaulted = await mintUnder(policy, "soniox");
    expect(defaulted.response.status).toBe(201);
  });

  it("refuses a field default that is outside the set", async () => {
    const { response, received } = await mintUnder(
      { soniox: { options: { usage_type: { in: ["tts_rt"] } } } },
      "soniox",
    );
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain('usage_type defaults to "transcribe_websocket"');
    expect(await received()).toHaveLength(0);
  });

  it("requires a field without a default to be sent, since the vendor's own default is not in the set", async () => {
    const policy = { speechmatics: { options: { region: { in: ["eu"] } } } };
    const absent = await mintUnder(policy, "speechmatics");
    expect((await expectError(absent.response, 400, "invalid_request")).message).toContain("region must be sent");
    const wrong = await mintUnder(policy, "speechmatics", { region: "usa" });
    await expectError(wrong.response, 403, "forbidden");
    expect([...(await absent.received()), ...(await wrong.received())]).toHaveLength(0);

    const right = await mintUnder(policy, "speechmatics", { region: "eu" });
    expect(right.response.status).toBe(201);
    expect((await right.received())[0]?.body).toMatchObject({ region: "eu" });
  });
});

describe("POLICY: numeric ranges", () => {
  const policy = { soniox: { options: { max_session_duration_seconds: { max: 600 } } } };

  it("refuses a value above the narrowed max with 400 naming the range, without calling the vendor", async () => {
    const { response, received } = await mintUnder(policy, "soniox", { max_session_duration_seconds: 601 });
    const error = await expectError(response, 400, "invalid_request");
    expect(error.message).toContain(
      "max_session_duration_seconds must be from 1 to 600 under this broker's policy for soniox",
    );
    expect(await received()).toHaveLength(0);
  });

  it("accepts the narrowed max and sends it", async () => {
    const { response, received } = await mintUnder(policy, "soniox", { max_session_duration_seconds: 600 });
    expect(response.status).toBe(201);
    expect((await received())[0]?.body).toMatchObject({ max_session_duration_seconds: 600 });
  });

  it("refuses a request that leaves the option out, which would let the vendor's default apply", async () => {
    const { response, received } = await mintUnder(policy, "soniox");
    const error = await expectError(response, 400, "invalid_request");
    expect(error.message).toContain("max_session_duration_seconds must be sent");
    expect(await received()).toHaveLength(0);
  });

  it("refuses a value below a narrowed min", async () => {
    const { response } = await mintUnder(
      { soniox: { options: { max_session_duration_seconds: { min: 60 } } } },
      "soniox",
      { max_session_duration_seconds: 59 },
    );
    const error = await expectError(response, 400, "invalid_request");
    expect(error.message).toContain("from 60 to 18000");
  });
});
