/**
 * `npm run token -- --sub alice`: prints an ID token for a dev user, signed by
 * the dev identity provider that `npm run dev` runs.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    sub: { type: "string", default: "alice" },
    url: { type: "string", default: `http://127.0.0.1:${process.env.DEV_PORT ?? 8788}` },
  },
});

try {
  const response = await fetch(`${values.url}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub: values.sub }),
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new Error(body.error ?? `dev server answered ${response.status}`);
  console.log(body.token);
} catch (error) {
  console.error(`Could not get a dev token from ${values.url}: ${(error as Error).message}`);
  console.error("Is `npm run dev` running?");
  process.exit(1);
}
