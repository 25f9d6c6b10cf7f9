/**
 * What `POST /__emulator/jwks/{tag}` takes: how a test's identity provider answers.
 * Kept free of Node imports, so tests inside workerd can import it.
 *
 * - up: the given keys (a rotation), or the emulator's own;
 * - down: 503;
 * - oversized: the start of a valid key set, then padding without end (without Content-Length),
 *   until the reader hangs up; only a reader that stops at its byte cap gets out before its timeout.
 */
export type JwksMode = { mode: "up"; keys?: unknown[] } | { mode: "down" } | { mode: "oversized" };
