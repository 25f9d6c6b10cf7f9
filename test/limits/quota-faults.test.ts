import { env as workerEnv } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import type { UserStateApi } from "../../src/user-state/types";
import { auditRecordsFor } from "../helpers/audit";
import { call, captureLogs, expectError, uniqueUser } from "../helpers/broker";
import { taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";

type UserStates = Env["USER_STATE"];
const realUserStates = (workerEnv as unknown as Env).USER_STATE;

function simulatedOutage(): never {
  throw new Error("simulated Durable Object outage");
}

/**
 * The real `USER_STATE` namespace, except that each user's object answers `overrides`
 * in place of its own methods; the others go to the real object.
 */
function userStatesWith(overrides: Partial<Record<keyof UserStateApi, (...args: never[]) => unknown>>): UserStates {
  return {
    idFromName: (name: string) => realUserStates.idFromName(name),
    get: (id: DurableObjectId) => {
      const real = realUserStates.get(id) as unknown as Record<string, (...args: unknown[]) => unknown>;
      const methods = ["reserve", "release", "usage", "deny", "lift", "denyState"] as const;
      // Each call goes through a plain function: reading a method off the RPC stub and keeping it is not enough.
      const stub = Object.fromEntries(methods.map((name) => [name, (...args: unknown[]) => real[name]?.(...args)]));
      return { ...stub, ...overrides };
    },
  } as unknown as UserStates;
}

/** Mints Speechmatics (it carries client_ref, so the vendor's requests are found) on a base URL of the test's own. */
async function mintWith(userStates: UserStates, user = uniqueUser()) {
  const { baseUrl, received } = taggedBaseUrl();
  const response = await mint("speechmatics", user, {
    env: { USER_STATE: userStates, SPEECHMATICS_BASE_URL: baseUrl, MINT_RATE_LIMITER: undefined },
  });
  return { response, received, user };
}

async function usage(user: string): Promise<number> {
  const response = await call("/v1/me/usage", { headers: await bearer(user) });
  return ((await response.json()) as { mints: number }).mints;
}

describe("the per-user Durable Object failing before the vendor call", () => {
  // A rejected `reserve` is covered in test/limits/quota.test.ts; these fail elsewhere on the way to the object.
  it.each([
    ["idFromName throws", { idFromName: simulatedOutage, get: () => ({}) } as unknown as UserStates],
    [
      "get throws (the object cannot be addressed)",
      { idFromName: (name: string) => realUserStates.idFromName(name), get: simulatedOutage } as unknown as UserStates,
    ],
    ["reserve throws at the call, not as a rejection", userStatesWith({ reserve: simulatedOutage })],
    ["reserve rejects with a non-Error", userStatesWith({ reserve: () => Promise.reject("overloaded") })],
    [
      "reserve answers an outcome this Worker does not know",
      userStatesWith({ reserve: async () => ({ outcome: "held" }) }),
    ],
    ["reserve answers nothing", userStatesWith({ reserve: async () => undefined })],
  ])("answers 503 quota_unavailable with no vendor call when %s", async (_case, userStates) => {
    const { response, received, user } = await mintWith(userStates);
    const error = await expectError(response, 503, "quota_unavailable");
    expect(error.message).toBe("the per-user quota store could not be reached; retry later");
    expect(await received()).toHaveLength(0);
    // Nothing was minted, so nothing was recorded either.
    expect(await auditRecordsFor(user)).toEqual([]);
  });

  it("answers 503 quota_unavailable on GET /v1/me/usage when the object cannot be addressed", async () => {
    const userStates = { idFromName: simulatedOutage, get: simulatedOutage } as unknown as UserStates;
    const response = await call("/v1/me/usage", {
      headers: await bearer(uniqueUser()),
      env: { USER_STATE: userStates },
    });
    await expectError(response, 503, "quota_unavailable");
  });
});

describe("the per-user Durable Object around the vendor call", () => {
  it("is called once for a key handed out: the mint is counted before the vendor, with no second call", async () => {
    const calls: string[] = [];
    const reserve = async (...args: never[]) => {
      calls.push("reserve");
      const real = realUserStates.get(realUserStates.idFromName(user)) as unknown as UserStateApi;
      return real.reserve(...(args as unknown as Parameters<UserStateApi["reserve"]>));
    };
    const release = async () => void calls.push("release");
    const user = uniqueUser();
    const { response } = await mintWith(userStatesWith({ reserve, release }), user);
    expect(response.status).toBe(201);
    expect(calls).toEqual(["reserve"]);
    expect(await usage(user)).toBe(1);
  });

  it("answers the vendor's own error, not 503, when the release after a failed vendor call fails", async () => {
    const { baseUrl, received } = taggedBaseUrl("server-error");
    const user = uniqueUser();
    const response = await mint("speechmatics", user, {
      env: {
        USER_STATE: userStatesWith({ release: simulatedOutage }),
        SPEECHMATICS_BASE_URL: baseUrl,
        MINT_RATE_LIMITER: undefined,
      },
    });
    await expectError(response, 502, "upstream_error");
    expect(await received()).toHaveLength(1);
    // The release was lost, so the mint stays counted: the user loses a key of quota, and gets no key.
    expect(await usage(user)).toBe(1);
  });

  it("uncounts the mint when the vendor issued nothing, and logs a release that fails", async () => {
    const { baseUrl } = taggedBaseUrl("server-error");
    const user = uniqueUser();
    const env = { SPEECHMATICS_BASE_URL: baseUrl, MINT_RATE_LIMITER: undefined };
    await expectError(await mint("speechmatics", user, { env }), 502, "upstream_error");
    expect(await usage(user)).toBe(0);

    const { lines } = await captureLogs(() =>
      mint("speechmatics", user, { env: { ...env, USER_STATE: userStatesWith({ release: simulatedOutage }) } }),
    );
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(
      expect.objectContaining({ level: "error", msg: "quota release failed; the mint stays counted" }),
    );
  });
});
