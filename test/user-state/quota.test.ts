import { describe, expect, it } from "vitest";
import type { Reservation } from "../../src/user-state/types";
import { DAY, NEXT_DAY, NO_LIMITS, NOON, freshUserState, rejection } from "./stub";

function reserved(reservation: Reservation): void {
  if (reservation.outcome !== "reserved") throw new Error(`expected a reservation, got ${JSON.stringify(reservation)}`);
}

describe("UserState daily quota", () => {
  it("gives exactly `total` slots to 12 concurrent reserves", async () => {
    const user = freshUserState();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        user.reserve({
          day: DAY,
          vendor: i % 2 === 0 ? "soniox" : "speechmatics",
          limits: { total: 3, vendor: null },
          now: NOON,
        }),
      ),
    );
    expect(results.filter((r) => r.outcome === "reserved")).toHaveLength(3);
    expect(results.filter((r) => r.outcome === "quota_exceeded" && r.scope === "total")).toHaveLength(9);
    expect((await user.usage(DAY, NOON)).total).toBe(3);
  });

  it("caps one vendor exactly under concurrency while another vendor still gets slots", async () => {
    const user = freshUserState();
    const limits = { total: 10, vendor: 3 };
    const soniox = await Promise.all(
      Array.from({ length: 12 }, () => user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON })),
    );
    expect(soniox.filter((r) => r.outcome === "reserved")).toHaveLength(3);
    expect(soniox.filter((r) => r.outcome === "quota_exceeded" && r.scope === "vendor")).toHaveLength(9);

    const others = await Promise.all(
      Array.from({ length: 4 }, () => user.reserve({ day: DAY, vendor: "speechmatics", limits, now: NOON })),
    );
    expect(others.filter((r) => r.outcome === "reserved")).toHaveLength(3);
  });

  it("checks the total cap before the vendor cap", async () => {
    const user = freshUserState();
    reserved(await user.reserve({ day: DAY, vendor: "soniox", limits: NO_LIMITS, now: NOON }));
    expect(await user.reserve({ day: DAY, vendor: "soniox", limits: { total: 1, vendor: 1 }, now: NOON })).toEqual({
      outcome: "quota_exceeded",
      scope: "total",
    });
  });

  it("allows nothing under a total of 0, and no limit under null", async () => {
    const user = freshUserState();
    expect(await user.reserve({ day: DAY, vendor: "soniox", limits: { total: 0, vendor: null }, now: NOON })).toEqual({
      outcome: "quota_exceeded",
      scope: "total",
    });
    for (let i = 0; i < 20; i++) {
      reserved(await user.reserve({ day: DAY, vendor: "soniox", limits: NO_LIMITS, now: NOON }));
    }
  });

  it("counts a mint when it is reserved, and uncounts it on release, never below zero", async () => {
    const user = freshUserState();
    const limits = { total: 2, vendor: null };
    reserved(await user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON }));
    reserved(await user.reserve({ day: DAY, vendor: "acedata", limits, now: NOON }));
    expect((await user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON })).outcome).toBe("quota_exceeded");
    // Counted in the one call a mint makes: a mint under way is usage.
    expect(await user.usage(DAY, NOON)).toEqual({ total: 2, vendors: { acedata: 1, soniox: 1 } });

    // The vendor issued nothing for the acedata mint: its release frees the slot.
    await user.release({ day: DAY, vendor: "acedata" });
    expect(await user.usage(DAY, NOON)).toEqual({ total: 1, vendors: { acedata: 0, soniox: 1 } });
    reserved(await user.reserve({ day: DAY, vendor: "acedata", limits, now: NOON }));
    expect((await user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON })).outcome).toBe("quota_exceeded");

    // A release with nothing left to uncount changes nothing, on that vendor, another day or another vendor.
    await user.release({ day: DAY, vendor: "amivoice" });
    await user.release({ day: NEXT_DAY, vendor: "soniox" });
    await user.release({ day: DAY, vendor: "acedata" });
    await user.release({ day: DAY, vendor: "acedata" });
    expect(await user.usage(DAY, NOON)).toEqual({ total: 1, vendors: { acedata: 0, soniox: 1 } });
    expect(await user.usage(NEXT_DAY, NOON)).toEqual({ total: 0, vendors: {} });
  });

  it("keeps counting a mint never released, however long ago it was reserved: its key may exist", async () => {
    const user = freshUserState();
    const limits = { total: 1, vendor: null };
    reserved(await user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON }));
    const evening = NOON + 6 * 60 * 60 * 1000;
    expect((await user.reserve({ day: DAY, vendor: "soniox", limits, now: evening })).outcome).toBe("quota_exceeded");
  });

  it("starts a fresh count on the next UTC day", async () => {
    const user = freshUserState();
    const limits = { total: 2, vendor: 1 };
    reserved(await user.reserve({ day: DAY, vendor: "soniox", limits, now: NOON }));
    reserved(await user.reserve({ day: DAY, vendor: "acedata", limits, now: NOON }));
    expect((await user.reserve({ day: DAY, vendor: "amivoice", limits, now: NOON })).outcome).toBe("quota_exceeded");

    const tomorrow = Date.parse(`${NEXT_DAY}T00:00:01Z`);
    reserved(await user.reserve({ day: NEXT_DAY, vendor: "soniox", limits, now: tomorrow }));
    expect(await user.usage(NEXT_DAY, tomorrow)).toEqual({ total: 1, vendors: { soniox: 1 } });
    expect(await user.usage(DAY, tomorrow)).toEqual({ total: 2, vendors: { acedata: 1, soniox: 1 } });
  });

  it("drops the counts of days long past", async () => {
    const user = freshUserState();
    reserved(await user.reserve({ day: DAY, vendor: "soniox", limits: NO_LIMITS, now: NOON }));
    const later = NOON + 3 * 24 * 60 * 60 * 1000;
    await user.reserve({ day: "2026-03-05", vendor: "soniox", limits: NO_LIMITS, now: later });
    expect(await user.usage(DAY, later)).toEqual({ total: 0, vendors: {} });
  });

  it("refuses a malformed day or limit", async () => {
    const user = freshUserState();
    const badDay = await rejection(() =>
      user.reserve({ day: "2026-02-30", vendor: "soniox", limits: NO_LIMITS, now: NOON }),
    );
    expect(badDay.message).toMatch(/YYYY-MM-DD/);
    const badLimit = await rejection(() =>
      user.reserve({ day: DAY, vendor: "soniox", limits: { total: -1, vendor: null }, now: NOON }),
    );
    expect(badLimit.message).toMatch(/limits.total/);
  });
});
