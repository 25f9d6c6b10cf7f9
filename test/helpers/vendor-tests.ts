import { expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import type { Env, Setting } from "../../src/env";
import { auditRecord, auditRecordsFor } from "./audit";
import { call, captureLogs, expectError, masterKeys, uniqueUser } from "./broker";
import { faultUrl, taggedBaseUrl } from "./emulator";
import { type MintCall, mint } from "./mint";
import { bearer } from "./tokens";

/** What the vendor tests read of a mint answer. */
export interface MintedBody {
  key: string;
  issuance_id: string;
  expires_at: string;
  [field: string]: unknown;
}

/**
 * The `mintTagged` of a vendor's tests: mints as a fresh end user with the vendor's base URL
 * (`baseUrlVar`) set to one of the test's own, so that `received` finds the requests the vendor
 * got even when they carry no client_ref.
 */
export function taggedMint(vendor: string, baseUrlVar: Setting) {
  return async (body: unknown = {}, env: Partial<Env> = {}, options: Omit<MintCall, "body" | "env"> = {}) => {
    const { baseUrl, received } = taggedBaseUrl();
    const user = uniqueUser();
    const response = await mint(vendor, user, { ...options, body, env: { [baseUrlVar]: baseUrl, ...env } });
    return { response, received, user };
  };
}

/** A mint as a fresh end user, through a base URL of the test's own. */
export type TaggedMint = ReturnType<typeof taggedMint>;

/**
 * Checks a mint was refused with this status and error code before the vendor was called
 * (`minted` is what a `mintTagged` answered). Returns the error, for its message.
 */
export async function expectRefusedWithoutVendorCall(
  minted: { response: Response; received: () => Promise<unknown[]> },
  status: number,
  code: string,
) {
  const error = await expectError(minted.response, status, code);
  expect(await minted.received()).toHaveLength(0);
  return error;
}

/**
 * Mints `body` with the broker's clock stopped on a whole second, and checks the answer's
 * expires_at is `lifeSeconds` after it: the broker counts a life it computes from just before the call.
 */
export async function expectExpiresCountedFromBeforeTheCall(
  mintTagged: TaggedMint,
  body: unknown,
  lifeSeconds: number,
) {
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const { response } = await mintTagged(body, {}, { now: () => now });
  expect(response.status).toBe(201);
  const { expires_at } = (await response.json()) as MintedBody;
  expect(expires_at).toBe(new Date(now.getTime() + lifeSeconds * 1000).toISOString());
}

/**
 * Runs `mintOnce` while capturing the log lines, then checks the issuance's audit record: the
 * issuing user and expiry, the `expected` fields, and the key's fingerprint; and that neither the
 * credential, the vendor's master key nor any of `secretsOf(body)` stands in the record or in a log line.
 */
export async function expectAuditedWithoutSecrets(
  vendor: string,
  mintOnce: () => Promise<{ response: Response; user: string }>,
  expected: Record<string, unknown>,
  secretsOf: (body: MintedBody) => string[] = () => [],
): Promise<{ record: Record<string, unknown>; body: MintedBody }> {
  const { result, lines } = await captureLogs(async () => {
    const { response, user } = await mintOnce();
    return { body: (await response.json()) as MintedBody, user };
  });
  const { body, user } = result;
  const record = await auditRecord(body.issuance_id);
  expect(record).toMatchObject({
    id: body.issuance_id,
    vendor,
    outcome: "issued",
    client_ref: user,
    expires_at: body.expires_at,
    ...expected,
  });
  expect(record.key_fingerprint).toMatch(/^[0-9a-f]{16}$/);
  expect(record.key_fingerprint).toBe(await keyFingerprint(body.key));
  const secrets = [body.key, masterKeys[vendor], ...secretsOf(body)];
  for (const text of [JSON.stringify(record), ...lines]) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
  return { record, body };
}

/**
 * Mints with the wrong master key in `wrongKey` and checks the broker answers 502
 * upstream_auth_failed without quoting it, and audits the vendor's refusal with no fingerprint.
 * Returns the error, for what a vendor's test checks more.
 */
export async function expectWrongKeyAuthFailed(
  mintTagged: TaggedMint,
  wrongKey: Partial<Env>,
  { upstreamStatus = 401, body = {} }: { upstreamStatus?: number; body?: unknown } = {},
) {
  const { response, user } = await mintTagged(body, wrongKey);
  const error = await expectError(response, 502, "upstream_auth_failed");
  for (const key of Object.values(wrongKey)) expect(error.message).not.toContain(String(key));
  const [record] = await auditRecordsFor(user);
  expect(record).toMatchObject({
    outcome: "upstream_error",
    error_code: "upstream_auth_failed",
    upstream_status: upstreamStatus,
    key_fingerprint: null,
  });
  return error;
}

/** Mints as a fresh end user with the vendor's base URL (`baseUrlVar`) on an emulator fault. */
export function mintAgainstFault(vendor: string, baseUrlVar: Setting, fault: string): Promise<Response> {
  return mint(vendor, uniqueUser(), { env: { [baseUrlVar]: faultUrl(fault) } });
}

type FaultCase = [label: string, fault: string, status: number, code: string];

/**
 * Registers "maps 429", "maps 5xx" and "maps <malformedCase>" (a success the vendor's adapter
 * cannot read), and any `moreCases`: each emulator fault, reached through `baseUrlVar`, answers
 * the status and error code.
 */
export function itMapsUpstreamFaults(
  vendor: string,
  baseUrlVar: Setting,
  malformedCase: string,
  moreCases: FaultCase[] = [],
) {
  it.each<FaultCase>([
    ["429", "rate-limited", 429, "upstream_rate_limited"],
    ["5xx", "server-error", 502, "upstream_error"],
    [malformedCase, "malformed", 502, "upstream_error"],
    ...moreCases,
  ])("maps %s", async (_case, fault, status, code) => {
    await expectError(await mintAgainstFault(vendor, baseUrlVar, fault), status, code);
  });
}

/**
 * Registers "maps the <fault> fault to <status> <code>" for each case: the emulator fault,
 * reached through `baseUrlVar`, answers the status and code with a message containing `message`.
 */
export function itMapsFaultsWithMessages(
  vendor: string,
  baseUrlVar: Setting,
  cases: [fault: string, status: number, code: string, message: string][],
) {
  it.each(cases)("maps the %s fault to %i %s", async (fault, status, code, message) => {
    const error = await expectError(await mintAgainstFault(vendor, baseUrlVar, fault), status, code);
    expect(error.message).toContain(message);
  });
}

/** The vendor's entry in GET /v1/vendors, as an end user sees it under `env`. */
export async function listedVendor(vendor: string, env?: Partial<Env>): Promise<Record<string, unknown> | undefined> {
  const response = await call("/v1/vendors", { headers: await bearer(uniqueUser()), env });
  const { vendors } = (await response.json()) as { vendors: Record<string, unknown>[] };
  return vendors.find((v) => v.id === vendor);
}

/** The status of a WebSocket handshake the emulator answered; closes the socket if one opened. */
export async function handshakeStatus(response: Response): Promise<number> {
  const socket = response.webSocket;
  await response.body?.cancel();
  if (socket) {
    socket.accept();
    socket.close(1000);
  }
  return response.status;
}
