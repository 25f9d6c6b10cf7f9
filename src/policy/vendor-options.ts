import generated from "../generated/vendor-options.json";
import type { VendorId } from "../vendors/registry";

/** One vendor option as JSON Schema, the way the generated OpenAPI document states it. */
export interface OptionSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  [keyword: string]: unknown;
}

/**
 * The vendor's body fields besides `ttl_seconds`, as JSON Schema with validation
 * keywords only, as the OpenAPI document generated at build time from the same zod
 * schemas that validate requests states them (`npm run openapi` writes both).
 * Each call returns fresh copies, safe to narrow.
 */
export function optionSchemas(id: VendorId): Record<string, OptionSchema> {
  const options = (generated as Record<string, Record<string, OptionSchema>>)[id] ?? {};
  return Object.fromEntries(Object.entries(options).map(([name, schema]) => [name, { ...schema }]));
}

/** True for options whose value is a set of strings (Cartesia's `grants`). */
export function isList(schema: OptionSchema | undefined): boolean {
  return schema?.type === "array";
}

/** True for options whose values are numbers, the only ones a `min`/`max` rule may narrow. */
export function isNumeric(schema: OptionSchema | undefined): boolean {
  return schema?.type === "integer" || schema?.type === "number";
}
