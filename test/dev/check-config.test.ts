import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { vendorIds } from "../../src/vendors/registry";
import { FREE_TIER_POLICY, PRO_TIER_POLICY } from "../policy/examples";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const SCRIPT = join(ROOT, "scripts", "check-config.ts");

/** Each run starts tsx and reads wrangler.toml through wrangler: two seconds, many more on a busy machine. */
const RUN_TIMEOUT_MS = 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run check-config [file]`, run as the package script runs it. */
function checkConfig(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [SCRIPT, ...args],
      { cwd: options.cwd ?? ROOT, env: options.env ?? { PATH: process.env.PATH ?? "" } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const tempDirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "check-config-"));
  tempDirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await tempDir();
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const GOOD = {
  AUTH_HS256_SECRET: "good-hs256-secret-3f9a1c-0123456789abcdef",
  CLIENT_REF_SECRET: "good-client-ref-secret-77b2e0-0123456789",
  ADMIN_TOKEN: "good-admin-token-a41d5e-0123456789abcdef",
  SONIOX_API_KEY: "good-soniox-key-c0ffee",
};

const GOOD_FILE = `# .dev.vars for the check-config test
AUTH_HS256_SECRET="${GOOD.AUTH_HS256_SECRET}"
export CLIENT_REF_SECRET = '${GOOD.CLIENT_REF_SECRET}'
ADMIN_TOKEN=${GOOD.ADMIN_TOKEN}
SONIOX_API_KEY=${GOOD.SONIOX_API_KEY}   # from the Soniox console
UPSTREAM_TIMEOUT_MS=5000 # milliseconds
# ADMIN_TOKEN=commented-out-and-too-short

`;

const BAD = {
  AUTH_HS256_SECRET: "bad-hs256-secret-8e1f-with-a-space-inside-quotes ",
  ADMIN_TOKEN: "bad-admin-5e7d",
  ALLOWED_ORIGINS: "https://*.bad-origin-2c4b.example",
  ACEDATA_APPLICATION_ID: "bad-application-9d3a",
  ACEDATA_PLATFORM_TOKEN: "bad-platform-token-61fe",
  POLICY: '{"soniox": {"enabled": bad-policy-0b9c',
};

const BAD_FILE = `AUTH_HS256_SECRET="${BAD.AUTH_HS256_SECRET}"
ADMIN_TOKEN=${BAD.ADMIN_TOKEN}
ALLOWED_ORIGINS=${BAD.ALLOWED_ORIGINS}
ACEDATA_PLATFORM_TOKEN=${BAD.ACEDATA_PLATFORM_TOKEN}
ACEDATA_APPLICATION_ID=${BAD.ACEDATA_APPLICATION_ID}
POLICY='${BAD.POLICY}'
`;

function expectNoValue(run: Run, values: Record<string, string>) {
  for (const value of Object.values(values)) {
    expect(run.stdout + run.stderr).not.toContain(value.trim());
  }
}

describe("npm run check-config", () => {
  it(
    "passes a good .dev.vars file, reading quotes, export and comments as wrangler does",
    async () => {
      const run = await checkConfig([await tempFile(".dev.vars", GOOD_FILE)]);
      expect(run.stderr).toBe("");
      expect(run.stdout).toContain("configuration ok");
      expect(run.stdout).toContain("GET /healthz");
      expect(run.code).toBe(0);
      expectNoValue(run, GOOD);
      // No POLICY: the vendor's own rules, open to every user.
      expect(vendorLines(run.stdout)).toEqual([
        "  soniox: enabled, TTL 1-3600 s (default 300), no daily quota of its own, open to every user",
      ]);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "names each broken variable, never its value, and exits 1",
    async () => {
      const run = await checkConfig([await tempFile("bad.vars", BAD_FILE)]);
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split("\n")).toEqual([
        expect.stringMatching(/^AUTH_HS256_SECRET: .*whitespace/),
        expect.stringMatching(/^ADMIN_TOKEN: .*32 characters/),
        expect.stringMatching(/^ALLOWED_ORIGINS: .*entry 1/),
        expect.stringMatching(/^POLICY: /),
        expect.stringMatching(/^ACEDATA_APPLICATION_ID: /),
      ]);
      expect(run.stdout).not.toContain("configuration ok");
      // A broken POLICY is a problem above, not a summary of what it would allow.
      expect(run.stdout).not.toContain("Vendors under POLICY");
      expectNoValue(run, BAD);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "reads the environment when given no file",
    async () => {
      const env = { PATH: process.env.PATH ?? "", ...GOOD, CLIENT_REF_SECRET: "bad-client-ref-3a7c" };
      const run = await checkConfig([], { env });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^CLIENT_REF_SECRET: [^\n]*32 bytes[^\n]*\n$/);
      expectNoValue(run, env);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "reads the vars of wrangler.toml first, and lets the file override them",
    async () => {
      const dir = await tempDir();
      await writeFile(
        join(dir, "wrangler.toml"),
        [
          'name = "broker"',
          "[vars]",
          'AUTH_ISSUER = "https://idp.example"',
          "UPSTREAM_TIMEOUT_MS = 0",
          'AUDIT_RETENTION_DAYS = "0"',
        ].join("\n"),
      );
      const file = join(dir, ".dev.vars");
      await writeFile(
        file,
        "AUTH_JWKS_URL=https://idp.example/jwks.json\nAUTH_AUDIENCE=broker\nAUDIT_RETENTION_DAYS=30\n",
      );
      // AUTH_ISSUER comes from wrangler.toml (JWKS mode needs it); AUDIT_RETENTION_DAYS from the file.
      const run = await checkConfig([file], { cwd: dir });
      expect(run.stderr).toMatch(/^UPSTREAM_TIMEOUT_MS: [^\n]*\n$/);
      expect(run.code).toBe(1);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "reports a line it cannot read by its number, not its text",
    async () => {
      const file = await tempFile(".dev.vars", `ADMIN_TOKEN=${GOOD.ADMIN_TOKEN}\nnot-a-setting-7f2e\n`);
      const run = await checkConfig([file]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("line 2 is not KEY=VALUE");
      expectNoValue(run, { line: "not-a-setting-7f2e", token: GOOD.ADMIN_TOKEN });

      const unclosed = await checkConfig([await tempFile(".dev.vars", `\nADMIN_TOKEN="${GOOD.ADMIN_TOKEN}\n`)]);
      expect(unclosed.code).toBe(1);
      expect(unclosed.stderr).toContain("line 2 has a quote that is not closed");
      expectNoValue(unclosed, { token: GOOD.ADMIN_TOKEN });
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "exits 2 when the file cannot be read",
    async () => {
      const run = await checkConfig([join(tmpdir(), `no-such-file-${process.pid}.vars`)]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("cannot read");
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "prints each configured vendor's effective policy on one line, never a claim value (pro-tier example)",
    async () => {
      const run = await checkConfig([await policyFile(PRO_TIER_POLICY)]);
      expect(run.code).toBe(0);
      const gate = 'gated on token claim "plan"';
      expect(vendorLines(run.stdout)).toEqual([
        `  soniox: enabled, TTL 1-3600 s (default 900), daily quota 500, ${gate}`,
        `  deepgram: enabled, TTL 1-3600 s (default 60), daily quota 500, ${gate}`,
        `  openai: enabled, TTL 10-7200 s (default 600), daily quota 500, ${gate}`,
      ]);
      const unconfigured = vendorIds.filter((id) => !["soniox", "deepgram", "openai"].includes(id));
      expect(run.stdout).toContain(`Not configured (secret unset), so unavailable: ${unconfigured.join(", ")}\n`);
      expect(run.stdout).not.toContain('"pro"');
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "prints a vendor that POLICY turns off as disabled (free-tier example)",
    async () => {
      const run = await checkConfig([await policyFile(FREE_TIER_POLICY)]);
      expect(run.code).toBe(0);
      expect(vendorLines(run.stdout)).toEqual([
        "  soniox: enabled, TTL 1-120 s (default 60), daily quota 20, open to every user, option rules on single_use, usage_type",
        "  deepgram: disabled by POLICY",
        "  openai: disabled by POLICY",
      ]);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "warns when ALLOWED_ORIGINS is empty, without failing the check",
    async () => {
      // wrangler.toml sets ALLOWED_ORIGINS = "".
      const run = await checkConfig([await tempFile(".dev.vars", GOOD_FILE)]);
      expect(run.stdout).toMatch(
        /^warning: ALLOWED_ORIGINS is empty, .*ALLOWED_ORIGINS=http:\/\/localhost:5173.*NATIVE_APPS_ONLY=true/m,
      );
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "does not warn of an empty ALLOWED_ORIGINS that NATIVE_APPS_ONLY=true declares meant",
    async () => {
      const run = await checkConfig([await tempFile(".dev.vars", `${GOOD_FILE}NATIVE_APPS_ONLY=true\n`)]);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("configuration ok");
      expect(run.stdout).not.toContain("warning");
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "reports NATIVE_APPS_ONLY=true with origins listed as a contradiction, and exits 1",
    async () => {
      const file = await tempFile(
        ".dev.vars",
        `${GOOD_FILE}NATIVE_APPS_ONLY=true\nALLOWED_ORIGINS=http://localhost:5173\n`,
      );
      const run = await checkConfig([file]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /^NATIVE_APPS_ONLY: NATIVE_APPS_ONLY is true, .*ALLOWED_ORIGINS lists origins[^\n]*\n$/,
      );
      expect(run.stdout).not.toContain("configuration ok");
    },
    RUN_TIMEOUT_MS,
  );

  it(
    "does not warn once ALLOWED_ORIGINS lists an origin",
    async () => {
      const file = await tempFile(".dev.vars", `${GOOD_FILE}ALLOWED_ORIGINS=http://localhost:5173\n`);
      const run = await checkConfig([file]);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain("ALLOWED_ORIGINS");
    },
    RUN_TIMEOUT_MS,
  );
});

/** The good file with two more vendors' keys and `policy`. */
function policyFile(policy: unknown): Promise<string> {
  const keys = "OPENAI_API_KEY=good-openai-key-5d1e\nDEEPGRAM_API_KEY=good-deepgram-key-9c3b\n";
  return tempFile(".dev.vars", `${GOOD_FILE}${keys}POLICY='${JSON.stringify(policy)}'\n`);
}

/** The per-vendor lines of check-config's policy summary. */
function vendorLines(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line.startsWith("  "));
}
