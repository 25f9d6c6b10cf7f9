import * as z from "zod/mini";

/** A JSON value as the document holds it. */
export type Json = Record<string, unknown>;

/** Bounds zod gives every `z.int()`: the safe-integer range, which says nothing about the field. */
const SAFE_INTEGER_BOUNDS = { minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER } as const;

/**
 * The JSON Schema of a zod schema, as the document states it: without the
 * `$schema` dialect line (OpenAPI 3.1 sets it) and without the safe-integer
 * bounds of a bare `z.int()`. `io: "input"` for what a caller sends (defaults
 * optional), `"output"` for what the broker answers or has parsed.
 */
export function jsonSchema(schema: z.ZodMiniType, io: "input" | "output"): Json {
  const generated = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override: ({ jsonSchema }) => {
      const bounds = jsonSchema as { minimum?: number; maximum?: number };
      if (bounds.minimum === SAFE_INTEGER_BOUNDS.minimum) delete bounds.minimum;
      if (bounds.maximum === SAFE_INTEGER_BOUNDS.maximum) delete bounds.maximum;
    },
  }) as Json;
  const { $schema: _dialect, ...rest } = generated;
  return rest;
}

/**
 * Where a property sits in a schema: its names from the root joined by `.`,
 * with `[]` for an array's items and `*` for a map's values, e.g.
 * `problems[].variable` or `vendors.*.mints`.
 */
export type PropertyPath = string;

/** Descriptions of one schema's properties, by path. */
export type PropertyDescriptions = Record<PropertyPath, string>;

/**
 * Sets each property's `description` from `descriptions`, and throws when a
 * property has none or a description names no property, so that every field
 * of the document is explained and no text outlives its field.
 */
export function describeProperties(name: string, schema: Json, descriptions: PropertyDescriptions): Json {
  const used = new Set<string>();
  visit(schema, "", (path, property) => {
    const description = descriptions[path];
    if (description === undefined) throw new Error(`${name}: property ${path} has no description`);
    property.description = description;
    used.add(path);
  });
  const unused = Object.keys(descriptions).filter((path) => !used.has(path));
  if (unused.length > 0) throw new Error(`${name}: descriptions of no property: ${unused.join(", ")}`);
  return schema;
}

/** Calls `onProperty` for every property schema under `schema`, depth first, with its path. */
export function visit(schema: unknown, path: string, onProperty: (path: string, property: Json) => void): void {
  if (schema === null || typeof schema !== "object") return;
  const node = schema as Json;
  const join = (name: string) => (path === "" ? name : `${path}.${name}`);
  for (const [name, property] of Object.entries((node.properties as Record<string, Json> | undefined) ?? {})) {
    onProperty(join(name), property);
    visit(property, join(name), onProperty);
  }
  if (node.items !== undefined) visit(node.items, `${path}[]`, onProperty);
  if (typeof node.additionalProperties === "object") visit(node.additionalProperties, join("*"), onProperty);
  for (const keyword of ["anyOf", "oneOf", "allOf"]) {
    for (const member of (node[keyword] as unknown[] | undefined) ?? []) visit(member, path, onProperty);
  }
  // `if`/`then`/`else` only restate properties described here, so they are not walked.
}
