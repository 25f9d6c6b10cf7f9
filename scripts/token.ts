/**
 * `npm run token -- --sub alice`: prints an ID token for a dev user, signed by
 * the dev identity provider that `npm run dev` runs.
 */
import { parseArgs } from "node:util";
import { devToken } from "../dev/dev-token";

const { values } = parseArgs({
  options: {
    sub: { type: "string", default: "alice" },
    url: { type: "string", default: `http://127.0.0.1:${process.env.DEV_PORT ?? 8788}` },
  },
});

try {
  console.log(await devToken(values.url, values.sub));
} catch (error) {
  console.error(`Could not get a dev token from ${values.url}: ${(error as Error).message}`);
  console.error("Is `npm run dev` running?");
  process.exit(1);
}
