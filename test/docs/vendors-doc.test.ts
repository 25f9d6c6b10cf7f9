import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import type { VarReader } from "../../src/config";
import vendorOptions from "../../src/generated/vendor-options.json";
import { adapterFor, type VendorId, vendorIds } from "../../src/vendors/registry";

/**
 * docs/vendors.md against the registry: a section for every vendor, whose
 * options table states the adapter's TTL range and default and lists exactly
 * the vendor's options, with their values, ranges and defaults as the schemas
 * have them; and an "At a glance" row per vendor with the same TTL.
 *
 * The formats read here (documented in the page's "Adding a vendor"):
 * - a vendor's section is the `## ` section holding the line "`POST /v1/keys/<id>` takes:",
 *   followed by a table `| field | values | default |` with one row per field;
 * - its `ttl_seconds` row's values are `<min>–<max>`, or `<n> only` for a fixed life,
 *   and its default starts with the number;
 * - the "At a glance" table has a row per vendor, linking `(#<section anchor>)`, whose
 *   third cell is `<min>–<max>, <default>` or `fixed <n>`;
 * - a vendor's section states the `connect` of its default options at its default base URL,
 *   as the JSON the broker answers, after "**`connect`** (default options): ".
 */
const doc = await readFile(new URL("../../docs/vendors.md", import.meta.url), "utf8");

interface Ttl {
  min: number;
  max: number;
  default: number;
}

interface OptionSchema {
  type?: string;
  enum?: unknown[];
  default?: unknown;
  /** A list option's elements. */
  items?: OptionSchema;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

const schemas = vendorOptions as Record<VendorId, Record<string, OptionSchema>>;

/** `## ` sections: heading → body. */
function sections(markdown: string): { heading: string; body: string }[] {
  return markdown
    .split(/^## /m)
    .slice(1)
    .map((part) => ({ heading: part.slice(0, part.indexOf("\n")).trim(), body: part.slice(part.indexOf("\n") + 1) }));
}

/** GitHub's anchor for a heading: lowercase, spaces to hyphens, punctuation dropped. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, "")
    .split("|")
    .map((cell) => cell.trim());
}

/** The rows of the first table after `marker`, header and separator left out. */
function tableAfter(text: string, marker: string): string[][] {
  const start = text.indexOf(marker);
  if (start < 0) return [];
  const lines = text.slice(start + marker.length).split("\n");
  const first = lines.findIndex((line) => line.trim().startsWith("|"));
  if (first < 0) return [];
  const table: string[] = [];
  for (const line of lines.slice(first)) {
    if (!line.trim().startsWith("|")) break;
    table.push(line);
  }
  return table.slice(2).map(cells);
}

const takesLine = (id: string) => `\`POST /v1/keys/${id}\` takes:`;

/** The vendor's section: the one `## ` section holding its "takes:" line. */
function vendorSection(id: VendorId) {
  const found = sections(doc).filter(({ body }) => body.includes(takesLine(id)));
  expect(found, `one section of docs/vendors.md with "${takesLine(id)}"`).toHaveLength(1);
  return found[0] as { heading: string; body: string };
}

/** Field → [values, default] from the vendor's options table. */
function optionsTable(id: VendorId): Map<string, [string, string]> {
  const rows = tableAfter(vendorSection(id).body, takesLine(id));
  const table = new Map<string, [string, string]>();
  for (const [field = "", values = "", fallback = ""] of rows) {
    const name = /^`(\w+)`$/.exec(field)?.[1];
    expect(name, `${id}: a field cell is one \`name\`, not "${field}"`).toBeDefined();
    table.set(name as string, [values, fallback]);
  }
  return table;
}

/** `1–3600` or `900 only`, with the default cell's leading number. */
function ttlFromRow(values: string, fallback: string): Ttl | undefined {
  const fixed = /^(\d+) only$/.exec(values);
  const range = /^(\d+)–(\d+)$/.exec(values);
  const byDefault = /^(\d+)\b/.exec(fallback);
  if (!byDefault || !(fixed || range)) return undefined;
  const [min, max] = fixed ? [fixed[1], fixed[1]] : [range?.[1], range?.[2]];
  return { min: Number(min), max: Number(max), default: Number(byDefault[1]) };
}

/** `1–3600, 300` or `fixed 900`. */
function ttlFromGlance(cell: string): Ttl | undefined {
  const fixed = /^fixed (\d+)$/.exec(cell);
  if (fixed) return { min: Number(fixed[1]), max: Number(fixed[1]), default: Number(fixed[1]) };
  const range = /^(\d+)–(\d+), (\d+)$/.exec(cell);
  return range ? { min: Number(range[1]), max: Number(range[2]), default: Number(range[3]) } : undefined;
}

function adapterTtl(id: VendorId): Ttl {
  const { min, max, default: byDefault } = adapterFor(id).ttl;
  return { min, max, default: byDefault };
}

/** Every `…` in a cell. */
function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
}

/** LiveKit's: an API key, a secret as long as livekit-server requires, and a server URL (it has no default). */
const LIVEKIT_SETTINGS: Record<string, string> = {
  LIVEKIT_API_KEY: "APIexample",
  LIVEKIT_API_SECRET: "s".repeat(32),
  LIVEKIT_URL: "wss://my-project.livekit.cloud",
};

/** Twilio Voice's: its SIDs, each two letters and 32 hexadecimal digits. */
const TWILIO_SIDS: Record<string, string> = {
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_API_KEY_SID: `SK${"0".repeat(32)}`,
  TWILIO_TWIML_APP_SID: `AP${"0".repeat(32)}`,
};

/** Settings with the vendor's secret set and every base URL at its default. */
function defaultSettings(id: VendorId): unknown {
  const adapter = adapterFor(id);
  const vars: VarReader = {
    optional: (name) =>
      LIVEKIT_SETTINGS[name] ??
      (name === adapter.secretVars.at(-1)
        ? "secret"
        : name === "ACEDATA_APPLICATION_ID"
          ? crypto.randomUUID()
          : // Azure has no default host: the doc shows its connect for one region.
            name === "AZURE_SPEECH_REGION"
            ? "westeurope"
            : TWILIO_SIDS[name]),
    baseUrl: (_name, fallback) => fallback,
    flag: () => false,
  };
  return adapter.settings(vars);
}

/** What `connect` a key minted with the vendor's defaults at its own hosts gets. */
function defaultConnect(id: VendorId): unknown {
  const adapter = adapterFor(id);
  return adapter.connect(defaultSettings(id), z.parse(z.object(adapter.fields), {}));
}

describe("docs/vendors.md", () => {
  it("has a section for every vendor in the registry", () => {
    for (const id of vendorIds) vendorSection(id);
    const vendorSections = sections(doc).filter(({ body }) => /`POST \/v1\/keys\/[\w-]+` takes:/.test(body));
    expect(vendorSections).toHaveLength(vendorIds.length);
  });

  it.each(vendorIds)("states %s's TTL range and default as the adapter has them", (id) => {
    const [values = "", fallback = ""] = optionsTable(id).get("ttl_seconds") ?? [];
    expect(ttlFromRow(values, fallback), `${id}'s ttl_seconds row`).toEqual(adapterTtl(id));
  });

  it.each(vendorIds)("lists exactly %s's options", (id) => {
    const fields = Object.keys(adapterFor(id).fields).sort();
    // The generated schemas must be the adapter's, or the checks below read stale ones.
    expect(Object.keys(schemas[id]).sort()).toEqual(fields);
    expect([...optionsTable(id).keys()].sort()).toEqual(["ttl_seconds", ...fields].sort());
  });

  it.each(vendorIds)("states %s's option values, ranges and defaults as its schema has them", (id) => {
    const table = optionsTable(id);
    for (const [name, schema] of Object.entries(schemas[id])) {
      const [values = "", fallback = ""] = table.get(name) ?? [];
      const where = `${id}'s ${name} row`;
      // A list option (Cartesia's grants) names the values of its elements.
      const allowed = schema.enum ?? schema.items?.enum;
      if (allowed) expect(codeSpans(values).sort(), where).toEqual(allowed.map(String).sort());
      if (schema.type === "boolean") expect(codeSpans(values).sort(), where).toEqual(["false", "true"]);
      if (schema.minimum !== undefined || schema.maximum !== undefined) {
        const range = `${schema.minimum}–${schema.maximum}`;
        expect(values, where).toMatch(new RegExp(`(^|[^\\d])${range}([^\\d]|$)`));
      }
      if (schema.maxLength !== undefined) expect(values, where).toContain(`at most ${schema.maxLength} characters`);
      if (schema.default !== undefined) {
        const stated = Array.isArray(schema.default) ? JSON.stringify(schema.default) : String(schema.default);
        expect(codeSpans(fallback)[0], where).toBe(stated);
      }
    }
  });

  it.each(vendorIds)("states %s's connect for its default options, as the adapter answers it", (id) => {
    const stated = `**\`connect\`** (default options): \`${JSON.stringify(defaultConnect(id))}\``;
    expect(vendorSection(id).body).toContain(stated);
  });

  it("has an At a glance row for every vendor, linking its section, with the adapter's TTL", () => {
    const glance = sections(doc).find(({ heading }) => heading === "At a glance");
    const rows = tableAfter(glance?.body ?? "", "");
    expect(rows).toHaveLength(vendorIds.length);
    for (const id of vendorIds) {
      const anchor = slug(vendorSection(id).heading);
      const row = rows.find(([vendor = ""]) => vendor.endsWith(`](#${anchor})`));
      expect(row, `a row linking #${anchor}`).toBeDefined();
      expect(ttlFromGlance(row?.[2] ?? ""), `${id}'s TTL cell`).toEqual(adapterTtl(id));
    }
  });

  it("names only SDK helpers the client exports", async () => {
    const client = (await import("../../src/client/index")) as Record<string, unknown>;
    const named = new Set([...doc.matchAll(/\b([a-z]+[A-Z]\w*)\(keys\b/g)].map((match) => match[1] as string));
    const glance = tableAfter(sections(doc).find(({ heading }) => heading === "At a glance")?.body ?? "", "");
    for (const [, , , , , helpers = ""] of glance) {
      for (const helper of codeSpans(helpers)) named.add(helper);
    }
    expect(named.size).toBeGreaterThan(0);
    for (const helper of named) expect(typeof client[helper], helper).toBe("function");
  });
});
