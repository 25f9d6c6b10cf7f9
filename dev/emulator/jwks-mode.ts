/**
 * What `POST /__emulator/jwks/{tag}` takes: how a test's identity provider answers.
 * Kept free of Node imports, so tests inside workerd can import it.
 *
 * - up: the given keys (a rotation), or the emulator's own;
 * - down: 503;
 * - oversized: a valid key set padded far past the broker's cap, chunked, without Content-Length.
 */
export type JwksMode = { mode: "up"; keys?: unknown[] } | { mode: "down" } | { mode: "oversized" };
