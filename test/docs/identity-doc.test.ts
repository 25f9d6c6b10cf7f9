import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { identityProviderIds, identityProviders } from "../../src/auth/providers";
import { type AuthConfig, getConfig } from "../../src/config";
import type { Env } from "../../src/env";

/**
 * docs/identity-providers.md against the broker's own configuration code: every
 * `wrangler.toml` example that configures sign-in is read by `getConfig` exactly
 * as the Worker reads its vars, must be accepted, and must derive the key set,
 * issuer, audience and algorithms its "Derived:" line states.
 *
 * The "Derived:" line follows its example, before the next heading or example:
 * "Derived: key set `<url>`, issuer `<iss>`, audience `<aud>` (or "no audience …"),
 * algorithms `<alg>`, `<alg>`." Every part but the key set and issuer is optional.
 */
const doc = await readFile(new URL("../../docs/identity-providers.md", import.meta.url), "utf8");

interface Example {
  /** The `[vars]` of the example, as the Worker's env holds them. */
  vars: Record<string, string>;
  /** The "Derived:" line that follows it, if any. */
  derived: string | undefined;
}

/** `NAME = "value"` lines of a TOML block; comments after the value are dropped. */
function tomlVars(block: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of block.split("\n")) {
    const match = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*"([^"]*)"\s*(#.*)?$/.exec(line);
    if (match) vars[match[1] as string] = match[2] as string;
  }
  return vars;
}

/** Every ```toml block that sets AUTH_PROVIDER or AUTH_JWKS_URL, with its "Derived:" line. */
function authExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  for (const match of markdown.matchAll(/^```toml\n([\s\S]*?)^```\n/gm)) {
    const vars = tomlVars(match[1] as string);
    if (vars.AUTH_PROVIDER === undefined && vars.AUTH_JWKS_URL === undefined) continue;
    const after = markdown.slice((match.index ?? 0) + match[0].length);
    const end = after.search(/^(#|```toml)/m);
    const derived = /^Derived: (.*)$/m.exec(end < 0 ? after : after.slice(0, end))?.[1];
    examples.push({ vars, derived });
  }
  return examples;
}

/** The settings the broker derives, read through the same code as the Worker's. */
function configFor(vars: Record<string, string>): AuthConfig {
  return getConfig(vars as unknown as Env).auth();
}

interface Stated {
  jwksUrl: string | undefined;
  issuer: string | undefined;
  /** null: the line says "no audience". */
  audience: string | null | undefined;
  algorithms: string[] | undefined;
}

function parseDerived(line: string): Stated {
  const code = (label: string) => new RegExp(`${label} \`([^\`]+)\``).exec(line)?.[1];
  const algorithms = /algorithms ((?:`[^`]+`(?:, )?)+)/.exec(line)?.[1];
  return {
    jwksUrl: code("key set"),
    issuer: code("issuer"),
    audience: /\bno audience\b/.test(line) ? null : code("audience"),
    algorithms: algorithms ? [...algorithms.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string) : undefined,
  };
}

const examples = authExamples(doc);

describe("docs/identity-providers.md", () => {
  it("has every AUTH_PROVIDER example inside a wrangler.toml example this test reads", () => {
    const everywhere = doc.match(/AUTH_PROVIDER\s*=\s*"/g) ?? [];
    const read = examples.filter((example) => example.vars.AUTH_PROVIDER !== undefined);
    expect(read.length).toBe(everywhere.length);
  });

  it("has an example, with its Derived line, for every preset the broker knows", () => {
    for (const id of identityProviderIds) {
      const example = examples.find((e) => e.vars.AUTH_PROVIDER?.startsWith(`${id}:`));
      expect(example, `an AUTH_PROVIDER = "${identityProviders[id].usage}" example`).toBeDefined();
      expect(example?.derived, `the Derived line after the ${id} example`).toBeDefined();
    }
  });

  it.each(examples.map((example) => [example.vars.AUTH_PROVIDER ?? example.vars.AUTH_JWKS_URL, example] as const))(
    "%s: the broker accepts it and derives what the page states",
    (_name, { vars, derived }) => {
      const config = configFor(vars);
      expect(config.mode).toBe("jwks");
      if (config.mode !== "jwks" || derived === undefined) return;
      const stated = parseDerived(derived);
      expect(stated.jwksUrl, "the Derived line names the key set").toBeDefined();
      expect(stated.issuer, "the Derived line names the issuer").toBeDefined();
      expect(config.jwksUrl.href).toBe(stated.jwksUrl);
      expect(config.issuer).toBe(stated.issuer);
      if (stated.audience !== undefined) expect(config.audience ?? null).toBe(stated.audience);
      if (stated.algorithms !== undefined) expect(config.algorithms).toEqual(stated.algorithms);
    },
  );

  it("reads a Derived line as this test documents it", () => {
    expect(
      parseDerived(
        "key set `https://a.example/jwks.json`, issuer `https://a.example`, no audience (`azp`), algorithms `ES256`, `RS256`.",
      ),
    ).toEqual({
      jwksUrl: "https://a.example/jwks.json",
      issuer: "https://a.example",
      audience: null,
      algorithms: ["ES256", "RS256"],
    });
  });
});
