import { describe, expect, it } from "vitest";
import { expectError, uniqueUser } from "../helpers/broker";
import { receivedFor } from "../helpers/emulator";
import { mint } from "../helpers/mint";

/** The limit configured in wrangler.toml for MINT_RATE_LIMITER. */
const MINTS_PER_MINUTE = 30;

describe("per-user mint rate limit", () => {
  it("refuses mints past the limit with 429 rate_limited, before calling the vendor", async () => {
    const user = uniqueUser();
    for (let i = 0; i < MINTS_PER_MINUTE; i++) {
      expect((await mint("speechmatics", user)).status).toBe(201);
    }
    const refused = await mint("speechmatics", user);
    expect(refused.headers.get("retry-after")).toBe("60");
    await expectError(refused, 429, "rate_limited");
    expect(await receivedFor(user)).toHaveLength(MINTS_PER_MINUTE);

    // Another user is not affected.
    expect((await mint("speechmatics", uniqueUser())).status).toBe(201);
  });

  it("follows whatever the bound limiter decides, and does not limit without a binding", async () => {
    const user = uniqueUser();
    const refuseAll = { limit: async () => ({ success: false }) };
    await expectError(await mint("soniox", user, { env: { MINT_RATE_LIMITER: refuseAll } }), 429, "rate_limited");
    expect((await mint("soniox", user, { env: { MINT_RATE_LIMITER: undefined } })).status).toBe(201);
  });
});
