import { describe, expect, it } from "vitest";
import { call, expectError, HS256_SECRET, uniqueUser } from "../helpers/broker";
import { signToken } from "../helpers/tokens";

const bytes = (text: string) => new TextEncoder().encode(text);

/** GET /v1/vendors in HS256 mode with a token signed with `signingSecret`. */
async function vendorsWith(configuredSecret: string, signingSecret: string): Promise<Response> {
  const token = await signToken(uniqueUser(), { alg: "HS256", secret: bytes(signingSecret) });
  return call("/v1/vendors", {
    headers: { Authorization: `Bearer ${token}` },
    env: { AUTH_JWKS_URL: undefined, AUTH_HS256_SECRET: configuredSecret },
  });
}

describe("AUTH_HS256_SECRET", () => {
  it.each([
    ["a trailing newline", `${HS256_SECRET}\n`],
    ["a trailing space", `${HS256_SECRET} `],
    ["a leading space", ` ${HS256_SECRET}`],
    ["a leading tab", `\t${HS256_SECRET}`],
  ])("refuses a secret with %s as misconfigured, never naming its value", async (_, configured) => {
    // Signed with the trimmed secret, which the broker once verified against in silence.
    for (const signing of [HS256_SECRET, configured]) {
      const error = await expectError(await vendorsWith(configured, signing), 500, "misconfigured");
      expect(error.message).toContain("AUTH_HS256_SECRET");
      expect(error.message).toContain("whitespace");
      expect(error.message).not.toContain(HS256_SECRET);
    }
  });

  it("uses a secret with inner spaces byte for byte", async () => {
    const secret = "shared secret  with inner spaces 0123456789";
    expect((await vendorsWith(secret, secret)).status).toBe(200);
    await expectError(await vendorsWith(secret, secret.replace(/ +/g, " ")), 401, "unauthenticated");
    await expectError(await vendorsWith(secret, secret.replace(/ /g, "")), 401, "unauthenticated");
  });
});
