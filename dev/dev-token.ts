/**
 * A dev user's ID token from the dev server's identity provider
 * (`POST /dev/token`), as an app's sign-in would return one. Only `fetch`:
 * the demo page uses it as well as the Node tooling.
 */
export async function devToken(devUrl: string, sub: string): Promise<string> {
  const response = await fetch(`${devUrl}/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub }),
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new Error(body.error ?? `dev server answered ${response.status}`);
  return body.token;
}
