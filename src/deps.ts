/** What the app takes from the outside world, passed in so tests can control it. */
export interface Deps {
  now: () => Date;
  fetch: typeof fetch;
}
