/**
 * The Worker's copy of each vendor's option schemas, written from the OpenAPI
 * document: `GET /v1/vendors` and POLICY's checks need only these, and the
 * document itself is served as a static asset outside the Worker bundle.
 */
import { documentVendors, type OpenApiDocument } from "./client-types";

/** `{vendor: {option: schema}}`: each vendor's body fields besides `ttl_seconds`, validation keywords only. */
export function vendorOptionsSource(document: OpenApiDocument): string {
  const options = Object.fromEntries(
    documentVendors(document).map((vendor) => {
      const { ttl_seconds: _ttl, ...fields } = document.components.schemas[`${vendor}_key_request`]?.properties ?? {};
      // The document's prose stays in the document: a listing carries the validation keywords only.
      const schemas = Object.entries(fields).map(([name, { description: _text, ...schema }]) => [name, schema]);
      return [vendor, Object.fromEntries(schemas)];
    }),
  );
  return `${JSON.stringify(options, null, 2)}\n`;
}
