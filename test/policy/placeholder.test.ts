import { describe, expect, it } from "vitest";
import { ConfigProblem } from "../../src/errors";
import { withClientRef } from "../../src/policy/placeholder";
import { parsePolicy } from "../../src/policy/schema";
import { call, expectError, uniqueUser } from "../helpers/broker";
import { taggedBaseUrl } from "../helpers/emulator";
import { mint } from "../helpers/mint";
import { bearer } from "../helpers/tokens";
import { withPolicy } from "./policy-env";

/** ElevenLabs agents named after each user: agent_id is a free string with a character set and a length cap. */
const PER_USER_AGENT = {
  elevenlabs: { options: { kind: { force: "agent" }, agent_id: { force: "agent_{client_ref}" } } },
};

interface Minted {
  client_ref: string;
  agent_id?: string;
  connect: { endpoint: string | null };
}

describe("POLICY: {client_ref} in a forced value", () => {
  it("forces each user's own value, sends it to the vendor and echoes it", async () => {
    const { baseUrl, received } = taggedBaseUrl();
    const env = withPolicy(PER_USER_AGENT, { ELEVENLABS_BASE_URL: baseUrl });
    const response = await mint("elevenlabs", uniqueUser("policy"), { env });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Minted;
    expect(body.agent_id).toBe(`agent_${body.client_ref}`);
    const [request] = await received();
    expect(request?.query).toMatchObject({ agent_id: `agent_${body.client_ref}` });
  });

  it("refuses a client that sends another user's value with 403", async () => {
    const response = await mint("elevenlabs", uniqueUser("policy"), {
      body: { kind: "agent", agent_id: "agent_someone-else" },
      env: withPolicy(PER_USER_AGENT),
    });
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toContain("agent_id is fixed to");
  });

  it("takes the user's own value when the client sends it", async () => {
    const user = uniqueUser("policy");
    const response = await mint("elevenlabs", user, {
      body: { kind: "agent", agent_id: `agent_${user}` },
      env: withPolicy(PER_USER_AGENT),
    });
    expect(response.status).toBe(201);
  });

  it("refuses with 403, before the vendor call, a user whose client_ref makes no valid value", async () => {
    const user = uniqueUser("auth0|policy");
    const { baseUrl, received } = taggedBaseUrl();
    const response = await mint("elevenlabs", user, {
      env: withPolicy(PER_USER_AGENT, { ELEVENLABS_BASE_URL: baseUrl }),
    });
    const error = await expectError(response, 403, "forbidden");
    expect(error.message).toBe(
      "forbidden by policy: the agent_id this broker's policy for elevenlabs derives from your client_ref is not a valid agent_id",
    );
    expect(error.message).not.toContain(user);
    expect(await received()).toHaveLength(0);
  });

  it("puts the client_ref in as it is, even where a replacement pattern would read it", () => {
    expect(withClientRef("room-{client_ref}-{client_ref}", "$&$`$'")).toBe("room-$&$`$'-$&$`$'");
  });

  it("shows each caller their own value in GET /v1/vendors", async () => {
    const user = uniqueUser("policy");
    const response = await call("/v1/vendors", { headers: await bearer(user), env: withPolicy(PER_USER_AGENT) });
    const { vendors } = (await response.json()) as { vendors: { id: string; options: Record<string, object> }[] };
    const options = vendors.find((vendor) => vendor.id === "elevenlabs")?.options;
    expect(options?.agent_id).toMatchObject({ const: `agent_${user}`, default: `agent_${user}` });
  });
});

describe("POLICY: {client_ref} in an allowed set", () => {
  const OWN_ROOM_OR_LOBBY = {
    elevenlabs: { options: { kind: { force: "agent" }, agent_id: { in: ["agent_lobby", "agent_{client_ref}"] } } },
  };

  it.each([["agent_lobby"], ["own"]])("allows %s", async (choice) => {
    const user = uniqueUser("policy");
    const agentId = choice === "own" ? `agent_${user}` : choice;
    const response = await mint("elevenlabs", user, {
      body: { kind: "agent", agent_id: agentId },
      env: withPolicy(OWN_ROOM_OR_LOBBY),
    });
    expect(response.status).toBe(201);
  });

  it("refuses another user's value with 403", async () => {
    const response = await mint("elevenlabs", uniqueUser("policy"), {
      body: { kind: "agent", agent_id: "agent_policy-someone-else" },
      env: withPolicy(OWN_ROOM_OR_LOBBY),
    });
    await expectError(response, 403, "forbidden");
  });
});

describe("POLICY with {client_ref}, as checked at start", () => {
  it("accepts a template that is valid for a sample user", () => {
    expect(() => parsePolicy(JSON.stringify(PER_USER_AGENT))).not.toThrow();
  });

  it("refuses a template that no user can make valid", () => {
    const policy = { elevenlabs: { options: { agent_id: { force: `${"a".repeat(61)}{client_ref}` } } } };
    expect(() => parsePolicy(JSON.stringify(policy))).toThrow(ConfigProblem);
  });
});
