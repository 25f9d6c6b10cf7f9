/**
 * The client's one read of the real clock: the default of `createKeyClient`'s
 * `now` option, which a browser app or a test may replace with its own.
 */
export const realClock = (): number => Date.now();
