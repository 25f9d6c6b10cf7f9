import { decodeJwt, decodeProtectedHeader } from "jose";
import { AccessToken, TokenVerifier } from "livekit-server-sdk";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type LiveKitSettings, livekit } from "../../src/vendors/livekit";

/**
 * LiveKit's own token builder is the ground truth: livekit-server-sdk's
 * `AccessToken` with the same `VideoGrant`, identity, name, metadata and TTL,
 * built at the same instant, must give the broker's header and claims, the
 * broker adding only `jti`; its `TokenVerifier` accepts the broker's token with
 * the project's secret and no other.
 */

const settings: LiveKitSettings = {
  apiKey: "APIsdkComparison",
  apiSecret: "sdkComparisonLiveKitSecret0123456789abcdef",
  serverUrl: "wss://my-project.livekit.cloud",
};

/** Whole seconds plus a little, so that both must floor the same way. */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000 + 640);

beforeEach(() => {
  // livekit-server-sdk reads the real clock; the broker gets the same instant as its injected now.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

const options = {
  room: "support-42",
  can_publish: false,
  can_subscribe: true,
  can_publish_data: true,
  name: "Alice",
  metadata: '{"tier":"gold"}',
};

async function brokerToken(ttlSeconds: number, identity = "u_AbCdEfGhIjKlMnOpQrStUv"): Promise<string> {
  const minted = await livekit.mint({
    settings,
    options,
    ttlSeconds,
    clientRef: identity,
    callerIp: undefined,
    now: NOW,
    send: () => Promise.reject(new Error("a broker-signed mint sends nothing")),
  });
  return minted.key;
}

async function sdkToken(ttlSeconds: number, identity = "u_AbCdEfGhIjKlMnOpQrStUv"): Promise<string> {
  const token = new AccessToken(settings.apiKey, settings.apiSecret, {
    identity,
    name: options.name,
    metadata: options.metadata,
    ttl: ttlSeconds,
  });
  token.addGrant({
    room: options.room,
    roomJoin: true,
    canPublish: options.can_publish,
    canSubscribe: options.can_subscribe,
    canPublishData: options.can_publish_data,
  });
  return token.toJwt();
}

describe("the broker's LiveKit token beside livekit-server-sdk's AccessToken", () => {
  it.each([60, 600, 86_400])("has the same header and claims, plus jti (ttl %i)", async (ttl) => {
    const ours = await brokerToken(ttl);
    const theirs = await sdkToken(ttl);
    expect(decodeProtectedHeader(ours)).toEqual(decodeProtectedHeader(theirs));
    const { jti, ...claims } = decodeJwt(ours);
    expect(jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims).toEqual(decodeJwt(theirs));
  });

  it("is accepted by TokenVerifier with the identity and grants asked for", async () => {
    const grants = await new TokenVerifier(settings.apiKey, settings.apiSecret).verify(await brokerToken(600, "bob"));
    expect(grants.sub).toBe("bob");
    expect(grants.name).toBe("Alice");
    expect(grants.metadata).toBe(options.metadata);
    expect(grants.video).toEqual({
      room: "support-42",
      roomJoin: true,
      canPublish: false,
      canSubscribe: true,
      canPublishData: true,
    });
  });

  it("is refused by TokenVerifier with another secret or another API key", async () => {
    const token = await brokerToken(600);
    await expect(new TokenVerifier(settings.apiKey, `${settings.apiSecret}x`).verify(token)).rejects.toThrow();
    await expect(new TokenVerifier("APIother", settings.apiSecret).verify(token)).rejects.toThrow();
  });
});
