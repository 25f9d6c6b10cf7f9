import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/index";
import type { FinishedMint, MintCounter } from "../../src/stats/shards";
import { auditRecord } from "../helpers/audit";
import { brokerEnv, captureLogs, uniqueUser } from "../helpers/broker";
import { bearer } from "../helpers/tokens";

/** POST /v1/keys/{vendor} through the real Worker with `countMint` as the counter; its execution context is returned unawaited. */
async function mintCounted(countMint: MintCounter, vendor: string, user: string, headers?: Record<string, string>) {
  const app = createApp({ now: () => new Date(), fetch: (input, init) => fetch(input, init), countMint });
  const request = new Request(`https://broker.test/v1/keys/${vendor}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(headers ?? (await bearer(user))) },
    body: "{}",
  });
  const ctx = createExecutionContext();
  const response = await app.fetch(request, brokerEnv(), ctx);
  return { response, ctx };
}

/** What a mint answered, without the parts that differ from one mint to the next. */
async function answerShape(response: Response) {
  const body = (await response.json()) as Record<string, unknown>;
  return {
    status: response.status,
    fields: Object.keys(body).sort(),
    vendor: body.vendor,
    client_ref: body.client_ref,
  };
}

describe("counting is off the mint's path", () => {
  it("leaves a mint and its audit record unchanged when the counter throws or rejects, and logs the lost count", async () => {
    const reference = await mintCounted(async () => {}, "deepgram", uniqueUser());
    const expected = await answerShape(reference.response);

    for (const counter of [
      () => {
        throw new Error("counter exploded");
      },
      () => Promise.reject(new Error("counter rejected")),
    ] satisfies MintCounter[]) {
      const user = uniqueUser("thrown");
      const { result, lines } = await captureLogs(async () => {
        const { response, ctx } = await mintCounted(counter, "deepgram", user);
        const minted = response.clone();
        await waitOnExecutionContext(ctx);
        return { shape: await answerShape(response), body: (await minted.json()) as { issuance_id: string } };
      });
      expect(result.shape).toEqual({ ...expected, client_ref: user });
      expect(await auditRecord(result.body.issuance_id)).toMatchObject({ outcome: "issued", client_ref: user });
      const lost = lines.filter((line) => line.includes("could not be counted"));
      expect(lost).toHaveLength(1);
      expect(lost[0]).not.toContain("Bearer");
    }
  });

  it("answers a mint while the counter never settles: the count runs after the answer", async () => {
    const counted: FinishedMint[] = [];
    const never: MintCounter = (mint) => {
      counted.push(mint);
      return new Promise(() => {});
    };
    const user = uniqueUser("hanging");
    // The execution context is never awaited: its count never ends, and the answer is here all the same.
    const { response } = await mintCounted(never, "deepgram", user);
    expect(response.status).toBe(201);
    const body = (await response.json()) as { issuance_id: string; client_ref: string };
    expect(body.client_ref).toBe(user);
    expect(await auditRecord(body.issuance_id)).toMatchObject({ outcome: "issued", client_ref: user });
    // The counter was handed the finished mint, and its promise is still pending.
    expect(counted).toEqual([expect.objectContaining({ vendor: "deepgram", outcome: "issued", clientRef: user })]);
  });

  it("leaves a refusal unchanged too", async () => {
    const thrower: MintCounter = () => {
      throw new Error("counter exploded");
    };
    const { response, ctx } = await mintCounted(thrower, "no-such-vendor", uniqueUser());
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unknown_vendor");
  });
});

describe("requests without a verified user", () => {
  it("are not counted at all: no counter call, so an anonymous flood costs the shards nothing", async () => {
    const counted: FinishedMint[] = [];
    const recorder: MintCounter = async (mint) => {
      counted.push(mint);
    };
    const anonymous: Record<string, string>[] = [{}, { Authorization: "Bearer nope" }, { Authorization: "Basic YTpi" }];
    for (const headers of anonymous) {
      for (const vendor of ["deepgram", "no-such-vendor"]) {
        const { response, ctx } = await mintCounted(recorder, vendor, uniqueUser(), headers);
        await waitOnExecutionContext(ctx);
        expect(response.status, `${vendor} ${JSON.stringify(headers)}`).toBe(401);
      }
    }
    expect(counted).toEqual([]);

    // Control: the same counter sees a verified user's refusal.
    const user = uniqueUser("counted-refusal");
    const { ctx } = await mintCounted(recorder, "no-such-vendor", user);
    await waitOnExecutionContext(ctx);
    expect(counted).toEqual([
      expect.objectContaining({ vendor: "unknown", outcome: "refused_invalid", clientRef: user }),
    ]);
  });
});
