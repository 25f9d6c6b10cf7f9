/**
 * The Worker's copy of each vendor's option schemas, written from the OpenAPI
 * document: `GET /v1/vendors` and POLICY's checks need only these, and the
 * document itself is served as a static asset outside the Worker bundle.
 */
import type { OpenApiDocument } from "./client-types";

const KEY_PATH = /^\/v1\/keys\/([a-z0-9]+)$/;

/** `{vendor: {option: schema}}`: each vendor's body fields besides `ttl_seconds`, validation keywords only. */
export function vendorOptionsSource(document: OpenApiDocument): string {
  const vendors = Object.keys(document.paths).flatMap((path) => KEY_PATH.exec(path)?.[1] ?? []);
  const options = Object.fromEntries(
    vendors.map((vendor) => {
      const { ttl_seconds: _ttl, ...fields } = document.components.schemas[`${vendor}_key_request`]?.properties ?? {};
      // The document's prose stays in the document: a listing carries the validation keywords only.
      const schemas = Object.entries(fields).map(([name, { description: _text, ...schema }]) => [name, schema]);
      return [vendor, Object.fromEntries(schemas)];
    }),
  );
  return `${JSON.stringify(options, null, 2)}\n`;
}
