import { describe, expect, it } from "vitest";
import { ISSUANCE_ID_PATTERN, issuanceIdSource, issuanceIdTime, newIssuanceId } from "../../src/ids";

const AT = new Date(Date.UTC(2026, 2, 2, 14, 57, 52, 264));

/** Random bytes that are always `bytes` (one per random character), counting how often they are asked for. */
function fixedRandom(bytes: number[]) {
  let draws = 0;
  const randomBytes = (count: number) => {
    draws += 1;
    expect(count).toBe(bytes.length);
    return Uint8Array.from(bytes);
  };
  return { randomBytes, draws: () => draws };
}

describe("issuance ids", () => {
  it("ascend in creation order within one millisecond, keeping the 26-character layout and the time", () => {
    const ids = Array.from({ length: 1000 }, () => newIssuanceId(AT));
    for (const id of ids) {
      expect(id).toMatch(ISSUANCE_ID_PATTERN);
      expect(issuanceIdTime(id)).toBe(AT.getTime());
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("add one to the previous random part within one millisecond, carrying over Z", () => {
    // Random part 0000000000000ZZZ (12 zeros, 0, then three 31s).
    const random = fixedRandom([...Array(13).fill(0), 31, 31, 31]);
    const next = issuanceIdSource(random.randomBytes);
    const first = next(AT);
    expect(first.slice(10)).toBe("0000000000000ZZZ");
    expect(next(AT).slice(10)).toBe("0000000000001000");
    expect(next(AT).slice(10)).toBe("0000000000001001");
    expect(random.draws()).toBe(1);
  });

  it("draw a fresh random part in a later millisecond", () => {
    const random = fixedRandom(Array(16).fill(5));
    const next = issuanceIdSource(random.randomBytes);
    next(AT);
    next(AT);
    const later = next(new Date(AT.getTime() + 1));
    expect(later.slice(10)).toBe("5555555555555555");
    expect(issuanceIdTime(later)).toBe(AT.getTime() + 1);
    expect(random.draws()).toBe(2);
  });

  it("keep the last time and keep ascending when the clock goes backwards", () => {
    const next = issuanceIdSource();
    const first = next(AT);
    const earlier = next(new Date(AT.getTime() - 5_000));
    expect(issuanceIdTime(earlier)).toBe(AT.getTime());
    expect(earlier > first).toBe(true);
  });

  it("take the clock's own time when it goes back by more than a minute: another clock, not a glitch", () => {
    const next = issuanceIdSource();
    next(AT);
    const backAMinute = next(new Date(AT.getTime() - 60_000));
    expect(issuanceIdTime(backAMinute)).toBe(AT.getTime());
    const yearsBack = new Date(AT.getTime() - 20 * 365 * 86_400_000);
    expect(issuanceIdTime(next(yearsBack))).toBe(yearsBack.getTime());
  });

  it("move on by one millisecond when the random part would overflow", () => {
    const random = fixedRandom(Array(16).fill(31));
    const next = issuanceIdSource(random.randomBytes);
    const first = next(AT);
    expect(first.slice(10)).toBe("ZZZZZZZZZZZZZZZZ");
    const second = next(AT);
    expect(issuanceIdTime(second)).toBe(AT.getTime() + 1);
    expect(second > first).toBe(true);
    expect(random.draws()).toBe(2);
  });
});
