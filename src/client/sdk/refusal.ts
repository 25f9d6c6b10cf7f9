import type { KeyClient, VendorId } from "../index.js";

/**
 * Gives a credential getter the `refused` hook every SDK helper has: the app
 * passes it what the SDK reported, and when `isRefusal` says the vendor turned
 * the key down, the vendor's cached keys are forgotten, so the next call mints
 * a new one. Returns whether it forgot.
 */
export function withRefusal<Getter extends object, Report extends unknown[]>(
  keys: KeyClient,
  vendor: VendorId,
  getter: Getter,
  isRefusal: (...report: Report) => boolean,
): Getter & { refused(...report: Report): boolean } {
  return Object.assign(getter, {
    refused: (...report: Report) => {
      const refused = isRefusal(...report);
      if (refused) keys.invalidate(vendor);
      return refused;
    },
  });
}
