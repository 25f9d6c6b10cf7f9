/**
 * `npm run seed`: a realistic mix of traffic against a running `npm run dev`, so that the
 * console (/console) has something to show: several users minting several vendors, invalid
 * requests, an unknown vendor, a bad token, vendors the configuration refuses, a burst, a
 * user who runs into a small daily quota, a deny and a lift, and a deny left in force.
 * It prints what the broker answered, by status and code.
 */
import { parseArgs } from "node:util";
import { devToken } from "../dev/dev-token";
import { DEV_ADMIN_TOKEN } from "../dev/dev-vars";
import vendorOptions from "../src/generated/vendor-options.json";

const { values } = parseArgs({
  options: {
    broker: { type: "string", default: `http://127.0.0.1:${process.env.BROKER_PORT ?? 8787}` },
    dev: { type: "string", default: `http://127.0.0.1:${process.env.DEV_PORT ?? 8788}` },
  },
});
const broker = values.broker;
const adminAuth = { Authorization: `Bearer ${process.env.ADMIN_TOKEN ?? DEV_ADMIN_TOKEN}` };

const USERS = ["alice", "bob", "carol", "dave", "erin", "frank"];
/** Vendors each user mints per round, and rounds. */
const VENDORS_PER_USER = 4;
const ROUNDS = 2;
/** More than the burst limit's 30 per minute in wrangler.toml. */
const BURST_MINTS = 32;
/** A quota up to this is run into; a larger one (the default 500) would take too long. */
const MAX_QUOTA_TO_EXHAUST = 40;

/** Every answer, as "status code". */
const answers = new Map<string, number>();
const tokens = new Map<string, string>();

async function token(sub: string): Promise<string> {
  const known = tokens.get(sub);
  if (known) return known;
  const fresh = await devToken(values.dev, sub);
  tokens.set(sub, fresh);
  return fresh;
}

async function send(path: string, init: RequestInit): Promise<Response> {
  const response = await fetch(`${broker}${path}`, init);
  const body = (await response.clone().json()) as { error?: { code?: string } };
  const label = `${response.status} ${body.error?.code ?? "ok"}`;
  answers.set(label, (answers.get(label) ?? 0) + 1);
  return response;
}

async function mint(sub: string, vendor: string, options: unknown = {}, bearer?: string): Promise<Response> {
  const response = await send(`/v1/keys/${vendor}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer ?? (await token(sub))}`, "Content-Type": "application/json" },
    body: JSON.stringify(options),
  });
  await response.body?.cancel();
  return response;
}

async function admin(method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${broker}${path}`, {
    method,
    headers: { ...adminAuth, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  await response.body?.cancel();
}

async function seed(): Promise<void> {
  // The vendors this broker lets a user mint from; the registry's others are refused (not configured, or POLICY).
  const listed = (await (
    await fetch(`${broker}/v1/vendors`, { headers: { Authorization: `Bearer ${await token(USERS[0]!)}` } })
  ).json()) as { vendors: { id: string }[] };
  const vendors = listed.vendors.map((vendor) => vendor.id);
  if (vendors.length === 0) throw new Error("GET /v1/vendors lists no vendor");

  for (let round = 0; round < ROUNDS; round += 1) {
    await Promise.all(
      USERS.map(async (user, index) => {
        for (let k = 0; k < VENDORS_PER_USER; k += 1)
          await mint(user, vendors[(index * 3 + k + round) % vendors.length]!);
      }),
    );
  }

  // Refusals before the vendor call: invalid bodies, an unknown vendor, a bad token (answered 401 but not
  // counted, so the console does not show it), unusable vendors.
  await mint("bob", "soniox", { ttl_seconds: 999_999 });
  await mint("carol", "deepgram", { no_such_option: true });
  await mint("dave", "no-such-vendor");
  await mint("mallory", "soniox", {}, "not-a-token");
  for (const vendor of Object.keys(vendorOptions).filter((id) => !vendors.includes(id))) await mint("dave", vendor);

  // A burst: one user asking faster than MINT_RATE_LIMITER allows.
  await Promise.all(Array.from({ length: BURST_MINTS }, () => mint("burst-user", vendors[0]!)));

  // The daily quota, when it is small enough to reach (set DAILY_MINT_QUOTA in .dev.vars).
  const usage = (await (
    await fetch(`${broker}/v1/me/usage`, { headers: { Authorization: `Bearer ${await token("quota-user")}` } })
  ).json()) as { quota: number | null };
  if (usage.quota !== null && usage.quota <= MAX_QUOTA_TO_EXHAUST) {
    for (let i = 0; i <= usage.quota; i += 1) await mint("quota-user", vendors[0]!);
  }

  // A deny, a refused mint, a lift and a mint again; and a deny left in force.
  await admin("POST", "/v1/admin/deny", { client_ref: "erin", reason: "seed: chargeback under review" });
  await mint("erin", vendors[0]!);
  await admin("DELETE", "/v1/admin/deny/erin");
  await mint("erin", vendors[0]!);
  await admin("POST", "/v1/admin/deny", { client_ref: "frank", reason: "seed: abuse report 1432" });
  await mint("frank", vendors[0]!);

  console.log(`seeded ${broker} (${vendors.length} vendors listed):`);
  for (const [label, count] of [...answers.entries()].sort()) console.log(`  ${label} × ${count}`);
  if (usage.quota === null || usage.quota > MAX_QUOTA_TO_EXHAUST) {
    console.log(
      `  (DAILY_MINT_QUOTA is ${usage.quota ?? "off"}: set it to ${MAX_QUOTA_TO_EXHAUST} or less to see quota refusals)`,
    );
  }
}

await seed().catch((error: unknown) => {
  console.error(`npm run seed failed: ${(error as Error).message}`);
  console.error(
    `Is \`npm run dev\` running? (--broker ${broker}, --dev ${values.dev}; ADMIN_TOKEN overrides the dev admin token)`,
  );
  process.exit(1);
});
