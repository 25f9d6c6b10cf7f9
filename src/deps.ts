import type { MintCounter } from "./stats/shards";

/** What the app takes from the outside world, passed in so tests can control it. */
export interface Deps {
  now: () => Date;
  fetch: typeof fetch;
  /**
   * The location's cache, through which isolates share the identity provider's key set
   * (src/auth/shared-key-set.ts). A function, looked up only when keys are loaded, as the
   * Cache API is not there at module load everywhere this code is imported; absent, each
   * isolate fetches its own.
   */
  sharedCache?: () => Cache;
  /** Counts each finished mint request after its answer; absent, the `MINT_STATS` shards (src/stats/shards.ts) do. */
  countMint?: MintCounter;
}
