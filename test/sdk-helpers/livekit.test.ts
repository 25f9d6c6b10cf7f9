import { TokenSource } from "livekit-client";
import { TokenVerifier } from "livekit-server-sdk";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { livekitProject } from "../../dev/emulator/livekit";
import { idTokenFor, stack } from "./stack";

/**
 * LiveKit's own client SDK against the broker under `wrangler dev`: its endpoint
 * `TokenSource` posts LiveKit's standard request to `POST /v1/livekit/token`
 * with the app's `Authorization` header and reads the answer; livekit-server-sdk's
 * `TokenVerifier` accepts the token with the user's identity and the grants
 * asked for, and the emulator's LiveKit server lets it join.
 */

const endpoint = `${stack.brokerUrl}/v1/livekit/token`;

async function clientRefOf(idToken: string): Promise<string> {
  const response = await fetch(`${stack.brokerUrl}/v1/me/usage`, { headers: { Authorization: `Bearer ${idToken}` } });
  return ((await response.json()) as { client_ref: string }).client_ref;
}

/** Opens the signal WebSocket as the SDK does and resolves with the server's first message. */
function joinOnce(serverUrl: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${serverUrl}/rtc/v1?access_token=${encodeURIComponent(token)}`);
    socket.once("message", (data) => {
      socket.close(1000);
      resolve(String(data));
    });
    socket.once("unexpected-response", (_request, response) => reject(new Error(`refused: ${response.statusCode}`)));
    socket.once("error", reject);
  });
}

describe("livekit-client's endpoint TokenSource", () => {
  it("gets a token from the broker that TokenVerifier accepts with the user's identity and grants", async () => {
    const idToken = await idTokenFor(`livekit-sdk-${crypto.randomUUID()}`);
    const source = TokenSource.endpoint(endpoint, { headers: { Authorization: `Bearer ${idToken}` } });
    const { serverUrl, participantToken } = await source.fetch({
      roomName: "sdk-room",
      participantName: "Alice",
      participantMetadata: '{"seat":3}',
    });
    expect(serverUrl).toBe(stack.emulatorWsUrl);

    const grants = await new TokenVerifier(livekitProject.apiKey, livekitProject.apiSecret).verify(participantToken);
    expect(grants.sub).toBe(await clientRefOf(idToken));
    expect(grants.name).toBe("Alice");
    expect(grants.metadata).toBe('{"seat":3}');
    expect(grants.video).toEqual({
      room: "sdk-room",
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });

    const joined = JSON.parse(await joinOnce(serverUrl, participantToken)) as {
      join: { room: { name: string }; participant: { identity: string } };
    };
    expect(joined.join.room.name).toBe("sdk-room");
    expect(joined.join.participant.identity).toBe(grants.sub);
  });

  it("is refused, with the broker's reason, when the app asks for an identity of its own", async () => {
    const idToken = await idTokenFor(`livekit-sdk-${crypto.randomUUID()}`);
    const source = TokenSource.endpoint(endpoint, { headers: { Authorization: `Bearer ${idToken}` } });
    await expect(source.fetch({ roomName: "r", participantIdentity: "mallory" })).rejects.toThrow(
      /400 .*participant_identity cannot be set/,
    );
  });

  it("gets nothing without the Authorization header", async () => {
    await expect(TokenSource.endpoint(endpoint).fetch({ roomName: "r" })).rejects.toThrow(/401/);
  });
});
