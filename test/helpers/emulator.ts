import type { RecordedRequest } from "../../dev/emulator/recorded";
import { emulatorUrl } from "./broker";

/** Every request the emulator has recorded, oldest first. */
async function recorded(): Promise<RecordedRequest[]> {
  const response = await fetch(`${emulatorUrl}/__emulator/requests`);
  return (await response.json()) as RecordedRequest[];
}

/** The requests the vendor emulator received for one end user, oldest first. */
export async function receivedFor(clientRef: string): Promise<RecordedRequest[]> {
  return (await recorded()).filter((request) => JSON.stringify(request.body).includes(JSON.stringify(clientRef)));
}

/** Base URL that makes the emulator answer with an injected fault. */
export function faultUrl(fault: string): string {
  return `${emulatorUrl}/fault/${fault}`;
}

/** A base URL of the test's own, so it can find requests that carry no client_ref (AmiVoice, AceData). */
export function taggedBaseUrl(fault?: string): { baseUrl: string; received: () => Promise<RecordedRequest[]> } {
  const tag = crypto.randomUUID();
  return {
    baseUrl: `${emulatorUrl}/t/${tag}${fault ? `/fault/${fault}` : ""}`,
    received: async () => (await recorded()).filter((request) => request.tag === tag),
  };
}

/** How many times the key set with this query string was fetched. */
export async function jwksFetches(query: string): Promise<number> {
  return (await recorded()).filter(
    (request) => request.vendor === "jwks" && new URLSearchParams(request.query).toString() === query,
  ).length;
}

/**
 * The requests that reached another host than the emulator's own base URL: the
 * host the redirect faults point at, where a request arrives only if a redirect
 * was followed.
 */
export function arrivedElsewhere(requests: RecordedRequest[]): RecordedRequest[] {
  const host = new URL(emulatorUrl).host;
  return requests.filter((request) => request.headers.host !== host);
}
