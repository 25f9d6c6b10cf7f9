import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_SECONDS, retryAfterSeconds } from "../../src/vendors/retry-after";

const NOW = new Date("1994-11-06T08:49:00.000Z");

describe("retryAfterSeconds", () => {
  it.each([
    ["0", "0"],
    ["17", "17"],
    // Digits are always delay-seconds, never a year.
    ["2026", "2026"],
    [" 120 ", "120"],
    ["86401", String(MAX_RETRY_AFTER_SECONDS)],
  ])("takes delay-seconds %j as %s", (value, seconds) => {
    expect(retryAfterSeconds(value, NOW)).toBe(seconds);
  });

  it("converts an IMF-fixdate in the future to the seconds until then, rounded up", () => {
    expect(retryAfterSeconds("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).toBe("37");
    expect(retryAfterSeconds("Sun, 06 Nov 1994 08:49:37 GMT", new Date(NOW.getTime() + 500))).toBe("37");
    expect(retryAfterSeconds("Mon, 07 Nov 1994 08:49:00 GMT", NOW)).toBe(String(MAX_RETRY_AFTER_SECONDS));
    expect(retryAfterSeconds("Tue, 08 Nov 1994 08:49:00 GMT", NOW)).toBe(String(MAX_RETRY_AFTER_SECONDS));
  });

  it("counts an IMF-fixdate in the past as 0", () => {
    expect(retryAfterSeconds("Sat, 05 Nov 1994 08:49:37 GMT", NOW)).toBe("0");
  });

  it("takes the date a vendor's toUTCString() writes", () => {
    const later = new Date(NOW.getTime() + 17_000);
    expect(retryAfterSeconds(later.toUTCString(), NOW)).toBe("17");
  });

  it.each([
    // Each of these is a date to Date.parse.
    ["1.5"],
    ["2026-01-01"],
    ["Jan 2026"],
    ["1994-11-06T08:49:37Z"],
    ["-5"],
    ["+5"],
    ["5s"],
    ["soon"],
    [""],
    ["   "],
    ["Sunday, 06-Nov-94 08:49:37 GMT"],
    ["Sun Nov  6 08:49:37 1994"],
    ["Sun, 06 Nov 1994 08:49:37 UTC"],
    ["Sun, 6 Nov 1994 08:49:37 GMT"],
    ["Sun, 31 Feb 1994 08:49:37 GMT"],
    ["Sun, 06 Nov 1994 24:00:00 GMT"],
  ])("drops %j", (value) => {
    expect(retryAfterSeconds(value, NOW)).toBeUndefined();
  });

  it("drops a missing header", () => {
    expect(retryAfterSeconds(null, NOW)).toBeUndefined();
  });
});
