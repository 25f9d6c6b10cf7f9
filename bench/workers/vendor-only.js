/**
 * Target F: a Worker that makes only the one vendor call a mint makes (the
 * soniox temporary-key request, same headers and body shape as
 * src/vendors/soniox.ts sends) and returns the vendor's JSON: the floor for
 * the broker's mint. Target G (vendor-and-quota.js) makes the same call.
 */
export default {
  async fetch(request, env) {
    // Read, as the broker reads its body: a POST body left unread makes workerd reset the
    // kept-alive connection, which the load generator would count as an error.
    await request.arrayBuffer();
    return callVendor(env);
  },
};

export async function callVendor(env) {
  const reply = await fetch(`${env.SONIOX_BASE_URL}/v1/auth/temporary-api-key`, {
    method: "POST",
    headers: { Authorization: `Bearer ${env.SONIOX_API_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      usage_type: "transcribe_websocket",
      expires_in_seconds: 300,
      client_reference_id: "bench-user-0",
    }),
  });
  const created = await reply.json();
  return Response.json(created, { status: reply.ok ? 200 : 502 });
}
