import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { UserState } from "../../src/user-state/object";
import { DAY, NO_LIMITS, NOON, freshUserState, rejection } from "./stub";

const HOUR_MS = 60 * 60 * 1000;
const ACTOR = "ops@example.com";
const iso = (ms: number) => new Date(ms).toISOString();

describe("UserState deny", () => {
  it("denies every reserve, reserving nothing, until lifted", async () => {
    const user = freshUserState();
    const state = await user.deny({ reason: "abuse report #12", until: null, actor: ACTOR, now: NOON });
    expect(state).toEqual({ reason: "abuse report #12", until: null, since: iso(NOON), actor: ACTOR });
    expect(await user.denyState(NOON + 1)).toEqual(state);

    const limits = { total: 1, vendor: null };
    expect(await user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON + 1 })).toEqual({
      outcome: "denied",
      deny: state,
    });
    expect(await user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON + 2 * HOUR_MS })).toEqual({
      outcome: "denied",
      deny: state,
    });

    expect(await user.lift(NOON + 3 * HOUR_MS)).toEqual(state);
    expect(await user.denyState(NOON + 3 * HOUR_MS)).toBeNull();
    // The denied attempts held no slot: the single slot is still free.
    expect((await user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON + 3 * HOUR_MS })).outcome).toBe(
      "reserved",
    );
  });

  it("denies nothing when `until` is already past", async () => {
    const user = freshUserState();
    const state = await user.deny({ reason: "too late", until: iso(NOON - 1), actor: ACTOR, now: NOON });
    expect(state).toBeNull();
    expect(await user.denyState(NOON)).toBeNull();
    expect((await user.reserve({ day: DAY, vendor: "soniox", limits: NO_LIMITS, now: NOON })).outcome).toBe("reserved");
  });

  it("leaves a deny in force untouched when a later one has already run out", async () => {
    const user = freshUserState();
    const first = await user.deny({ reason: "fraud", until: null, actor: ACTOR, now: NOON });
    expect(await user.deny({ reason: "typo", until: iso(NOON - 1), actor: ACTOR, now: NOON + 1 })).toEqual(first);
    expect(await user.denyState(NOON + 2)).toEqual(first);
  });

  it("denies until `until`, and from then on no longer", async () => {
    const user = freshUserState();
    const until = NOON + HOUR_MS;
    const state = await user.deny({ reason: "cool-off", until: iso(until), actor: ACTOR, now: NOON });
    expect(state?.until).toBe(iso(until));

    expect(await user.denyState(until - 1)).toEqual(state);
    expect(await user.reserve({ day: DAY, vendor: "soniox", limits: NO_LIMITS, now: until - 1 })).toEqual({
      outcome: "denied",
      deny: state,
    });
    expect(await user.denyState(until)).toBeNull();
    expect((await user.reserve({ day: DAY, vendor: "soniox", limits: NO_LIMITS, now: until })).outcome).toBe(
      "reserved",
    );
    // Lifting a deny that has run out lifts nothing.
    expect(await user.lift(until)).toBeNull();
  });

  it("lets a later deny replace an earlier one", async () => {
    const user = freshUserState();
    await user.deny({ reason: "first", until: null, actor: ACTOR, now: NOON });
    const second = await user.deny({ reason: "second", until: iso(NOON + HOUR_MS), actor: ACTOR, now: NOON + 1 });
    expect(await user.denyState(NOON + 2)).toEqual(second);
    expect(await user.lift(NOON + 3)).toEqual(second);
    expect(await user.denyState(NOON + 3)).toBeNull();
  });

  it("lifts nothing when no deny is set", async () => {
    const user = freshUserState();
    expect(await user.lift(NOON)).toBeNull();
    expect(await user.denyState(NOON)).toBeNull();
  });

  it("refuses an `until` that is not a time", async () => {
    const user = freshUserState();
    const refused = await rejection(() => user.deny({ reason: "x", until: "next tuesday", actor: ACTOR, now: NOON }));
    expect(refused.message).toMatch(/until/);
    expect(await user.denyState(NOON)).toBeNull();
  });
});

describe("UserState deny, on an object made before denies named their actor", () => {
  it("adds the column, keeps the old deny with a null actor, and records the actor of the next", async () => {
    const stub = freshUserState();
    await runInDurableObject(stub, async (_instance, state) => {
      // The table as versions before actors made it, holding a deny in force.
      state.storage.sql.exec("DROP TABLE deny");
      state.storage.sql.exec(
        "CREATE TABLE deny (id INTEGER PRIMARY KEY CHECK (id = 1), reason TEXT NOT NULL, until_ms INTEGER, since_ms INTEGER NOT NULL)",
      );
      state.storage.sql.exec("INSERT INTO deny (id, reason, until_ms, since_ms) VALUES (1, 'old', NULL, ?)", NOON);
      // The object as the new code starts it on that storage.
      const upgraded = new UserState(state, env as unknown as Env);
      expect(await upgraded.denyState(NOON + 1)).toEqual({ reason: "old", until: null, since: iso(NOON), actor: null });
      expect(await upgraded.deny({ reason: "new", until: null, actor: ACTOR, now: NOON + 2 })).toMatchObject({
        actor: ACTOR,
      });
      expect((await upgraded.denyState(NOON + 3))?.actor).toBe(ACTOR);
    });
  });
});
