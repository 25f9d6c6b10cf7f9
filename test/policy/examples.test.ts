import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { type VendorId, vendorIds } from "../../src/vendors/registry";
import { brokerEnv, call, expectError, uniqueUser } from "../helpers/broker";
import { taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer, type TokenOptions } from "../helpers/tokens";
import {
  ELEVENLABS_AGENT_ID,
  ELEVENLABS_AGENT_POLICY,
  FREE_TIER_POLICY,
  OPENAI_MODELS_POLICY,
  PRO_TIER_POLICY,
} from "./examples";
import { withPolicy } from "./policy-env";

/**
 * The docs' example policies (docs/operations.md#examples), evaluated by the
 * real Worker for every vendor in the registry, so that a vendor added later is
 * checked against them too.
 */

/** Vendors whose base URL var breaks the convention: Azure's is its resource's endpoint. */
const BASE_URL_VARS: Partial<Record<VendorId, keyof Env>> = { azure: "AZURE_SPEECH_ENDPOINT" };

/** Vendors whose credentials the broker signs itself: a mint sends the emulator nothing. */
const SIGNED_BY_THE_BROKER: readonly VendorId[] = ["livekit", "aws-transcribe", "twilio-voice"];

/** The var naming the vendor's base URL, by the registry's convention (`twilio-voice`: `TWILIO_VOICE_…`); pointed at a tagged emulator URL. */
function baseUrlVar(vendor: VendorId): keyof Env {
  const name = BASE_URL_VARS[vendor] ?? (`${vendor.toUpperCase().replaceAll("-", "_")}_BASE_URL` as keyof Env);
  expect(brokerEnv(), `the test broker sets ${name}`).toHaveProperty(name);
  return name;
}

/**
 * Mints under `policy` with the vendor on a URL of its own, and returns what the vendor received.
 * A vendor whose credential the broker signs is called by nobody, so it keeps its settings.
 */
async function mintUnder(policy: unknown, vendor: VendorId, token?: TokenOptions, body: object = {}) {
  const upstream = taggedBaseUrl();
  const env = withPolicy(
    policy,
    SIGNED_BY_THE_BROKER.includes(vendor) ? {} : { [baseUrlVar(vendor)]: upstream.baseUrl },
  );
  const response = await mint(vendor, uniqueUser("example"), { env, token, body });
  return { response, received: upstream.received };
}

async function listedIds(policy: unknown, claims: Record<string, unknown> = {}): Promise<string[]> {
  const response = await call("/v1/vendors", { headers: await bearer("alice", { claims }), env: withPolicy(policy) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { vendors: { id: string }[] }).vendors.map((v) => v.id);
}

const OTHERS = vendorIds.filter((id) => id !== "soniox");

describe("the free-tier example policy", () => {
  it.each(OTHERS)("refuses %s with 403 before calling it", async (vendor) => {
    const { response, received } = await mintUnder(FREE_TIER_POLICY, vendor);
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toBe(`${vendor} is disabled by policy on this broker`);
    expect(await received()).toHaveLength(0);
  });

  it("serves Soniox: single-use, one minute by default, two at most", async () => {
    const { response, received } = await mintUnder(FREE_TIER_POLICY, "soniox");
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ single_use: true, ttl_seconds: 60 });
    expect((await received())[0]?.body).toMatchObject({ single_use: true, expires_in_seconds: 60 });
  });

  it("lists Soniox alone", async () => {
    expect(await listedIds(FREE_TIER_POLICY)).toEqual(["soniox"]);
  });
});

describe("the pro-tier example policy", () => {
  it.each(vendorIds)("refuses %s to a user without the pro claim, before calling it", async (vendor) => {
    for (const claims of [{}, { plan: "free" }]) {
      const { response, received } = await mintUnder(PRO_TIER_POLICY, vendor, { claims });
      const error = await expectError(response, 403, "forbidden");
      expect(error.message).toContain(`${vendor} is not available to this user`);
      expect(await received()).toHaveLength(0);
    }
  });

  it.each(vendorIds)("serves %s, with its own defaults, to a pro user", async (vendor) => {
    const { response, received } = await mintUnder(PRO_TIER_POLICY, vendor, { claims: { plan: "pro" } });
    expect(response.status, await response.clone().text()).toBe(201);
    if (!SIGNED_BY_THE_BROKER.includes(vendor)) expect(await received()).not.toHaveLength(0);
  });

  it("lists every vendor to a pro user and none to others", async () => {
    expect(await listedIds(PRO_TIER_POLICY, { plan: "pro" })).toEqual(vendorIds);
    expect(await listedIds(PRO_TIER_POLICY)).toEqual([]);
    expect(await listedIds(PRO_TIER_POLICY, { plan: "free" })).toEqual([]);
  });

  it("caps every vendor at 500 keys a day, unless its own entry sets another cap", async () => {
    const response = await call("/v1/me/usage", {
      headers: await bearer(uniqueUser("pro")),
      env: withPolicy(PRO_TIER_POLICY),
    });
    expect(response.status).toBe(200);
    const { vendors } = (await response.json()) as { vendors: Record<string, { quota: number | null }> };
    const named: Record<string, number> = { amivoice: 200, acedata: 50 };
    for (const id of vendorIds) expect(vendors[id]?.quota, id).toBe(named[id] ?? 500);
  });

  it("applies a named vendor's own rules on top: Speechmatics in the EU, 15 minutes by default", async () => {
    const { response, received } = await mintUnder(PRO_TIER_POLICY, "speechmatics", { claims: { plan: "pro" } });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ region: "eu", ttl_seconds: 900 });
    expect((await received())[0]?.body).toMatchObject({ region: "eu", ttl: 900 });
  });
});

/** A vendor the policy does not name keeps its own rules: it mints with an empty body, as with no policy. */
async function expectOwnRules(policy: unknown, vendor: VendorId) {
  const { response, received } = await mintUnder(policy, vendor);
  expect(response.status, await response.clone().text()).toBe(201);
  if (!SIGNED_BY_THE_BROKER.includes(vendor)) expect(await received()).not.toHaveLength(0);
}

describe("the two-OpenAI-models example policy", () => {
  it.each(vendorIds.filter((id) => id !== "openai"))("leaves %s to its own rules", async (vendor) => {
    await expectOwnRules(OPENAI_MODELS_POLICY, vendor);
  });

  it.each(["gpt-realtime", "gpt-realtime-mini"])("serves OpenAI with %s", async (model) => {
    const { response, received } = await mintUnder(OPENAI_MODELS_POLICY, "openai", undefined, { model });
    expect(response.status, await response.clone().text()).toBe(201);
    expect((await received())[0]?.body).toMatchObject({ session: { model } });
  });

  it("refuses another model with 403 before calling OpenAI", async () => {
    const { response, received } = await mintUnder(OPENAI_MODELS_POLICY, "openai", undefined, {
      model: "gpt-4o-realtime-preview",
    });
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain('"gpt-realtime", "gpt-realtime-mini"');
    expect(await received()).toHaveLength(0);
  });

  it("refuses a request that names no model with 400 before calling OpenAI", async () => {
    const { response, received } = await mintUnder(OPENAI_MODELS_POLICY, "openai");
    const error = await expectError(response, 400, "invalid_request");
    expect(error.message).toContain("model must be sent");
    expect(await received()).toHaveLength(0);
  });
});

describe("the one-ElevenLabs-agent example policy", () => {
  it.each(vendorIds.filter((id) => id !== "elevenlabs"))("leaves %s to its own rules", async (vendor) => {
    await expectOwnRules(ELEVENLABS_AGENT_POLICY, vendor);
  });

  it("hands out a signed URL for that agent, with or without kind in the request", async () => {
    for (const body of [{ agent_id: ELEVENLABS_AGENT_ID }, { kind: "agent", agent_id: ELEVENLABS_AGENT_ID }]) {
      const { response, received } = await mintUnder(ELEVENLABS_AGENT_POLICY, "elevenlabs", undefined, body);
      expect(response.status, await response.clone().text()).toBe(201);
      expect(await response.json()).toMatchObject({ kind: "agent", agent_id: ELEVENLABS_AGENT_ID });
      expect((await received())[0]?.query).toEqual({ agent_id: ELEVENLABS_AGENT_ID });
    }
  });

  it.each([
    ["another agent", { agent_id: "agent_someone_else" }, 403],
    ["a single-use token", { kind: "realtime_scribe" }, 403],
    ["a TTS token", { kind: "tts_websocket" }, 403],
    ["no agent", {}, 400],
  ] as const)("refuses %s before calling ElevenLabs", async (_what, body, status) => {
    const { response, received } = await mintUnder(ELEVENLABS_AGENT_POLICY, "elevenlabs", undefined, body);
    await expectError(response, status, status === 403 ? "forbidden" : "invalid_request");
    expect(await received()).toHaveLength(0);
  });
});
