import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keyFingerprint } from "../../src/audit/fingerprint";
import { createApp } from "../../src/index";
import { type AzureSettings, azure } from "../../src/vendors/azure";
import { RefusedCredential, type VendorReply, type VendorRequest } from "../../src/vendors/upstream";
import { auditRecordsFor } from "../helpers/audit";
import { brokerEnv, call, emulatorUrl, expectError, masterKeys, uniqueUser } from "../helpers/broker";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import {
  expectAuditedWithoutSecrets,
  expectExpiresCountedFromBeforeTheCall,
  expectRefusedWithoutVendorCall,
  expectWrongKeyAuthFailed,
  itMapsUpstreamFaults,
  listedVendor,
  mintAgainstFault,
  taggedMint,
} from "../helpers/vendor-tests";

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;
/** The region of the emulator's resource, which its tokens carry in their `region` claim. */
const EMULATOR_REGION = "westeurope";
/** The emulated resource key. */
const RESOURCE_KEY = String(masterKeys.azure);
const STT_PATH = "/stt/speech/recognition/conversation/cognitiveservices/v1";

const mintTagged = taggedMint("azure", "AZURE_SPEECH_ENDPOINT");

/** A JWT with these claims, shaped like Azure's. */
function tokenWith(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** The broker with Azure's answer replaced, to see how the mint flow treats what Azure could send. */
async function mintAgainst(text: string, now = new Date()) {
  const user = uniqueUser();
  const fetchStub = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith("/sts/v1.0/issueToken")) {
      return new Response(text, { status: 200, headers: { "content-type": "text/plain" } });
    }
    return fetch(input, init);
  };
  const request = new Request("https://broker.test/v1/keys/azure", {
    method: "POST",
    headers: { ...(await bearer(user)), "content-type": "application/json" },
    body: "{}",
  });
  const ctx = createExecutionContext();
  const response = await createApp({ now: () => now, fetch: fetchStub }).fetch(request, brokerEnv(), ctx);
  await waitOnExecutionContext(ctx);
  return { response, user };
}

/** Opens the emulator's speech socket from inside workerd; resolves with the handshake status and messages. */
async function openStt(headers: Record<string, string>, query = ""): Promise<{ status: number; messages?: string[] }> {
  const response = await fetch(`${emulatorUrl}${STT_PATH}?language=en-US${query}`, {
    headers: { Upgrade: "websocket", ...headers },
  });
  const socket = response.webSocket;
  if (response.status !== 101 || !socket) {
    await response.body?.cancel();
    return { status: response.status };
  }
  socket.accept();
  const messages: string[] = [];
  // The service leaves the socket open after a turn; the client closes it.
  const turnEnded = new Promise<void>((resolve) =>
    socket.addEventListener("message", (event) => {
      messages.push(String(event.data));
      if (String(event.data).includes("Path:turn.end")) resolve();
    }),
  );
  socket.send("Path: speech.config\r\nX-RequestId: 0123456789ABCDEF0123456789ABCDEF\r\n\r\n{}");
  await turnEnded;
  socket.close(1000);
  return { status: 101, messages };
}

describe("POST /v1/keys/azure", () => {
  it("issues a token with its region, sending Azure exactly the documented request", async () => {
    const { response, received, user } = await mintTagged();
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(
      ["client_ref", "connect", "expires_at", "issuance_id", "key", "region", "ttl_seconds", "vendor"].sort(),
    );
    expect(body).toMatchObject({ vendor: "azure", ttl_seconds: 600, client_ref: user, region: EMULATOR_REGION });
    expect(body.key).toMatch(JWT);

    const [request, ...more] = await received();
    expect(more).toHaveLength(0);
    expect(request?.method).toBe("POST");
    expect(request?.path).toMatch(/^\/t\/[\w-]+\/sts\/v1\.0\/issueToken$/);
    expect(request?.query).toEqual({});
    expect(request?.headers["ocp-apim-subscription-key"]).toBe(RESOURCE_KEY);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.headers["content-length"]).toBe("0");
  });

  it("counts the fixed 600 s from just before the call", async () => {
    await expectExpiresCountedFromBeforeTheCall(mintTagged, {}, 600);
  });

  it("accepts ttl_seconds 600, the fixed life", async () => {
    const { response } = await mintTagged({ ttl_seconds: 600 });
    expect(response.status).toBe(201);
  });

  it.each([60, 599, 601, 3600, 0, "600"])(
    "refuses ttl_seconds %j, saying the life is fixed, without calling Azure",
    async (ttl) => {
      const error = await expectRefusedWithoutVendorCall(
        await mintTagged({ ttl_seconds: ttl }),
        400,
        "invalid_request",
      );
      expect(error.message).toContain("ttl_seconds");
      if (typeof ttl === "number" && Number.isInteger(ttl)) expect(error.message).toContain("fixed 600 seconds");
    },
  );

  it.each([
    ["region", { region: "eastus" }],
    ["client_ref", { client_ref: "mallory" }],
    ["scope", { scope: "speech" }],
  ])("refuses the field %s: an Azure token takes no parameter", async (field, body) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged(body), 400, "invalid_request");
    expect(error.message).toContain(`unknown field ${field}`);
  });

  it("records the token with its region and fingerprint, never the token or the resource key", async () => {
    // The resource key is Azure's master key, which the shared check searches for.
    await expectAuditedWithoutSecrets("azure", () => mintTagged(), {
      ttl_seconds: 600,
      options: { region: EMULATOR_REGION },
      upstream_status: 200,
      error_code: null,
    });
  });

  it("maps Azure's 401 for a wrong resource key to 502 upstream_auth_failed", async () => {
    await expectWrongKeyAuthFailed(mintTagged, { AZURE_SPEECH_KEY: "not-the-azure-key" });
  });

  it("passes on Azure's error message for a 400, without the key it quotes", async () => {
    const rejected = await mintAgainstFault("azure", "AZURE_SPEECH_ENDPOINT", "rejected");
    expect((await expectError(rejected, 502, "upstream_rejected")).message).toBe(
      "azure rejected the request: Input should be less than or equal to 3600",
    );
    const echoed = await mintAgainstFault("azure", "AZURE_SPEECH_ENDPOINT", "echo-400");
    const error = await expectError(echoed, 502, "upstream_rejected");
    expect(error.message).toContain("ocp-apim-subscription-key");
    expect(error.message).not.toContain(RESOURCE_KEY);
  });

  itMapsUpstreamFaults("azure", "AZURE_SPEECH_ENDPOINT", "an empty 200", [
    ["an HTML page", "html-200", 502, "upstream_error"],
  ]);

  it.each([
    ["text that is not a JWT", "not a token"],
    ["two lines", `${tokenWith({ region: "westeurope" })}\n${tokenWith({ region: "westeurope" })}`],
    ["a JWT over 8192 characters", tokenWith({ region: "westeurope", pad: "x".repeat(9000) })],
  ])("answers upstream_error for %s, handing nothing out", async (_case, text) => {
    const { response, user } = await mintAgainst(text);
    await expectError(response, 502, "upstream_error");
    expect(await auditRecordsFor(user)).toMatchObject([{ outcome: "upstream_error", key_fingerprint: null }]);
  });

  it.each([
    ["names no region", tokenWith({ exp: 1 })],
    ["names a region that is no region name", tokenWith({ region: "west europe/x" })],
  ])("refuses a token that %s, keeping its fingerprint for revocation", async (_case, token) => {
    const { response, user } = await mintAgainst(token);
    await expectError(response, 502, "vendor_credential_refused");
    expect(await auditRecordsFor(user)).toMatchObject([
      { error_code: "vendor_credential_refused", key_fingerprint: await keyFingerprint(token) },
    ]);
  });

  it("takes the region from the token's claim when the resource is a custom domain", async () => {
    const token = tokenWith({ region: "swedencentral" });
    const { response } = await mintAgainst(`${token}\r\n`);
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ key: token, region: "swedencentral" });
  });

  it.each([
    ["both a region and an endpoint", { AZURE_SPEECH_REGION: "westeurope" }, "AZURE_SPEECH_ENDPOINT"],
    ["neither", { AZURE_SPEECH_ENDPOINT: undefined }, "AZURE_SPEECH_REGION"],
    [
      "a region that is not a name",
      { AZURE_SPEECH_ENDPOINT: undefined, AZURE_SPEECH_REGION: "evil.example/x" },
      "AZURE_SPEECH_REGION",
    ],
    ["an http endpoint off loopback", { AZURE_SPEECH_ENDPOINT: "http://speech.example" }, "AZURE_SPEECH_ENDPOINT"],
  ])("answers 500 misconfigured for %s, naming the variable", async (_case, env, name) => {
    const error = await expectRefusedWithoutVendorCall(await mintTagged({}, env), 500, "misconfigured");
    expect(error.message).toContain(name);
    expect(error.message).not.toContain(RESOURCE_KEY);
  });

  it("is disabled when no key is set", async () => {
    await expectError(
      await mint("azure", uniqueUser(), { env: { AZURE_SPEECH_KEY: undefined } }),
      404,
      "vendor_not_configured",
    );
  });

  it("lists Azure with its fixed TTL and what its token allows", async () => {
    const listing = await listedVendor("azure");
    expect(listing).toMatchObject({ ttl_seconds: { min: 600, max: 600, default: 600 } });
    expect(String(listing?.credential)).toContain("fixed 10 minutes");
  });
});

describe("the Azure adapter", () => {
  const now = new Date("2026-11-02T10:00:00.000Z");
  const regional: AzureSettings = {
    apiKey: "az-key-0123456789",
    baseUrl: "https://westeurope.api.cognitive.microsoft.com",
    region: "westeurope",
  };

  async function mintWith(settings: AzureSettings, reply: VendorReply) {
    const sent: VendorRequest[] = [];
    const minted = await azure.mint({
      settings,
      options: {},
      ttlSeconds: 600,
      clientRef: "user-1",
      callerIp: undefined,
      now,
      send: async (request) => {
        sent.push(request);
        return reply;
      },
    });
    return { minted, sent };
  }

  it("calls the region's STS host with the key and an empty body, and answers the configured region", async () => {
    const token = tokenWith({ region: "westeurope" });
    const { minted, sent } = await mintWith(regional, { status: 200, text: token });
    expect(sent).toEqual([
      {
        url: "https://westeurope.api.cognitive.microsoft.com/sts/v1.0/issueToken",
        headers: {
          "Ocp-Apim-Subscription-Key": "az-key-0123456789",
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: "",
      },
    ]);
    expect(minted).toEqual({
      key: token,
      expiresAt: new Date(now.getTime() + 600_000),
      applied: { region: "westeurope" },
    });
  });

  it("refuses a token whose region claim is not the configured region, as a credential Azure issued", async () => {
    const token = tokenWith({ region: "eastus" });
    const refusal = await mintWith(regional, { status: 200, text: token }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(RefusedCredential);
    expect((refusal as RefusedCredential).message).toContain("another region");
    expect(await (refusal as RefusedCredential).fingerprint()).toBe(await keyFingerprint(token));
  });

  it("takes a regional token without a region claim under the configured region", async () => {
    const token = tokenWith({ exp: 1 });
    const { minted } = await mintWith(regional, { status: 200, text: token });
    expect(minted.applied).toEqual({ region: "westeurope" });
  });

  it("reads settings: the region builds the STS host", () => {
    const reader = (vars: Record<string, string>) => ({
      optional: (name: string) => vars[name],
      baseUrl: (_name: string, fallback: string) => fallback,
      flag: () => false,
    });
    expect(azure.settings(reader({ AZURE_SPEECH_KEY: "k", AZURE_SPEECH_REGION: "eastus2" }))).toEqual({
      apiKey: "k",
      baseUrl: "https://eastus2.api.cognitive.microsoft.com",
      region: "eastus2",
    });
    expect(azure.settings(reader({ AZURE_SPEECH_REGION: "eastus2" }))).toBeUndefined();
  });

  it.each([
    ["Azure's error body", { error: { code: "400", message: "bad request" } }, "bad request"],
    ["an empty object", {}, undefined],
  ])("reads a validation message from %s", (_case, body, message) => {
    expect(azure.readFailure(400, JSON.stringify(body)).message).toBe(message);
  });
});

describe("an Azure token at the emulator's speech socket", () => {
  const bearerQuery = (key: string) => `&Authorization=${encodeURIComponent(`Bearer ${key}`)}`;

  it("opens it as the query parameter Authorization=Bearer <token>, as connect says, and again", async () => {
    const { response } = await mintTagged();
    const { key } = (await response.json()) as { key: string };
    for (let i = 0; i < 2; i++) {
      const session = await openStt({}, bearerQuery(key));
      expect(session.status).toBe(101);
      const phrases = session.messages?.filter((m) => m.includes("Path:speech.phrase")) ?? [];
      expect(phrases).toHaveLength(5);
      // Framed for the request that asked, as the Speech SDK matches answers to its X-RequestId.
      for (const phrase of phrases) expect(phrase).toContain("X-RequestId:0123456789ABCDEF0123456789ABCDEF");
    }
  });

  it.each([
    ["no credential", {}, ""],
    ["the token only in the Authorization header", { Authorization: "Bearer {key}" }, ""],
    ["the token without its scheme", {}, "&Authorization={key}"],
    ["the resource key", {}, "&Authorization=Bearer%20{master}"],
    ["the token under another name", {}, "&access_token={key}"],
    ["the token as a subscription key", { "Ocp-Apim-Subscription-Key": "{key}" }, ""],
  ])("is refused at the handshake with %s", async (_case, headers, query) => {
    const { response } = await mintTagged();
    const { key } = (await response.json()) as { key: string };
    const fill = (text: string) => text.replace("{key}", key).replace("{master}", RESOURCE_KEY);
    const filled = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, fill(value)]));
    expect((await openStt(filled, fill(query))).status).toBe(401);
  });
});

describe("the Azure emulator refuses what Azure refuses", () => {
  async function issue(key: string | null, body?: string) {
    const response = await fetch(`${emulatorUrl}/sts/v1.0/issueToken`, {
      method: "POST",
      headers: key === null ? {} : { "Ocp-Apim-Subscription-Key": key },
      body,
    });
    return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
  }

  it.each([
    ["a wrong key", "wrong-key"],
    ["no key", null],
  ])("answers 401 with Azure's error body for %s", async (_case, key) => {
    const reply = await issue(key, "");
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text)).toMatchObject({ error: { code: "401" } });
  });

  it("refuses a body, holding the broker to the documented empty one", async () => {
    expect((await issue(RESOURCE_KEY, "ttl=60")).status).toBe(400);
  });

  it("answers the token as plain text, a JWT naming the region", async () => {
    const reply = await issue(RESOURCE_KEY, "");
    expect(reply).toMatchObject({ status: 200, type: expect.stringContaining("text/plain") });
    expect(reply.text).toMatch(JWT);
    const payload = JSON.parse(atob(reply.text.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as {
      region: string;
    };
    expect(payload.region).toBe(EMULATOR_REGION);
  });
});
