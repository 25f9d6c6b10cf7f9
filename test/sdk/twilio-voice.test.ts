import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import twilio from "twilio";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type TwilioVoiceSettings, twilioVoice } from "../../src/vendors/twilio-voice";

/**
 * Twilio's own token builder is the ground truth: the `twilio` package's
 * `AccessToken` with a `VoiceGrant`, built at the same instant from the same
 * account, key and identity, must give the broker's header and claims, and the
 * broker's signature must verify with the API key's secret.
 */
const { AccessToken } = twilio.jwt;
const { VoiceGrant } = AccessToken;

const settings: TwilioVoiceSettings = {
  accountSid: "AC0123456789abcdef0123456789abcdef",
  apiKeySid: "SKfedcba9876543210fedcba9876543210",
  apiKeySecret: "sdkComparisonApiKeySecret0123456",
  twimlAppSid: "AP00112233445566778899aabbccddeeff",
  baseUrl: "https://voice-js.roaming.twilio.com",
};

/** Whole seconds plus a little, so that both must floor the same way. */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000 + 640);

beforeEach(() => {
  // The twilio package reads the real clock; the broker gets the same instant as its injected now.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

async function brokerToken(identity: string, incoming: boolean, ttlSeconds: number): Promise<string> {
  const minted = await twilioVoice.mint({
    settings,
    options: { incoming },
    ttlSeconds,
    clientRef: identity,
    callerIp: undefined,
    now: NOW,
    send: () => Promise.reject(new Error("a broker-signed vendor sends no request")),
  });
  return minted.key;
}

function twilioToken(identity: string, incoming: boolean, ttlSeconds: number): string {
  const token = new AccessToken(settings.accountSid, settings.apiKeySid, settings.apiKeySecret, {
    identity,
    ttl: ttlSeconds,
  });
  token.addGrant(new VoiceGrant({ outgoingApplicationSid: settings.twimlAppSid, incomingAllow: incoming }));
  return token.toJwt();
}

describe("the broker's Twilio Voice token matches twilio's AccessToken with a VoiceGrant", () => {
  it.each([
    ["outgoing only", "alice", false, 600],
    ["incoming too", "u_Ab3-x_9QzLm2Kp7Rt5Vw1", true, 60],
    ["the longest TTL", "1b2e4c1a-3d9f-4e2b-8c71-5a6f7e8d9c0b", false, 3600],
  ])("%s: the same header and claims, field by field", async (_case, identity, incoming, ttl) => {
    const broker = await brokerToken(identity, incoming, ttl);
    const sdk = twilioToken(identity, incoming, ttl);

    const brokerHeader = decodeProtectedHeader(broker);
    const sdkHeader = decodeProtectedHeader(sdk);
    expect(Object.keys(brokerHeader).sort()).toEqual(Object.keys(sdkHeader).sort());
    for (const name of Object.keys(sdkHeader)) expect(brokerHeader[name], `header ${name}`).toEqual(sdkHeader[name]);

    const brokerClaims = decodeJwt(broker);
    const sdkClaims = decodeJwt(sdk);
    expect(Object.keys(brokerClaims).sort()).toEqual(Object.keys(sdkClaims).sort());
    for (const name of Object.keys(sdkClaims)) expect(brokerClaims[name], `claim ${name}`).toEqual(sdkClaims[name]);

    // Same JSON in the same order and the same key: the very same token.
    expect(broker).toBe(sdk);
  });

  it("names what twilio's token holds, so that the comparison above is not between two empty tokens", async () => {
    const sdk = twilioToken("alice", true, 600);
    const issuedAt = Math.floor(NOW.getTime() / 1000);
    expect(decodeProtectedHeader(sdk)).toEqual({ alg: "HS256", typ: "JWT", cty: "twilio-fpa;v=1" });
    expect(decodeJwt(sdk)).toEqual({
      jti: `${settings.apiKeySid}-${issuedAt}`,
      grants: {
        identity: "alice",
        voice: { incoming: { allow: true }, outgoing: { application_sid: settings.twimlAppSid } },
      },
      iat: issuedAt,
      exp: issuedAt + 600,
      iss: settings.apiKeySid,
      sub: settings.accountSid,
    });
  });

  it("signs with the API key's secret: the token verifies with that secret and with no other", async () => {
    const broker = await brokerToken("alice", false, 600);
    const verify = (secret: string) =>
      jwtVerify(broker, new TextEncoder().encode(secret), { algorithms: ["HS256"], currentDate: NOW });
    const { payload } = await verify(settings.apiKeySecret);
    expect(payload).toMatchObject({ iss: settings.apiKeySid, sub: settings.accountSid });
    await expect(verify(`${settings.apiKeySecret}x`)).rejects.toThrow(/signature verification failed/);
    await expect(verify(settings.apiKeySecret.slice(1))).rejects.toThrow(/signature verification failed/);
  });
});
