/**
 * The console's one way to the broker: same-origin requests with the admin auth.
 * Behind Cloudflare Access the browser's Access cookie makes the edge add
 * Cf-Access-Jwt-Assertion, so a request goes out without a token first; only a
 * 401 or 403 asks for ADMIN_TOKEN, which stays in sessionStorage (never a URL or localStorage).
 */
const TOKEN_KEY = "ekb-admin-token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** The admin auth was refused or is missing: sign in (again). */
  get needsSignIn(): boolean {
    return this.status === 401 || (this.status === 403 && this.code === "forbidden");
  }
}

export const adminToken = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A broker request with the admin auth; throws ApiError with the broker's code on any non-2xx. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = adminToken.get();
  if (token !== null) headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(path, { ...init, headers, credentials: "same-origin" });
  if (response.ok) return response;
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  throw new ApiError(
    response.status,
    body?.error?.code ?? "http_error",
    body?.error?.message ?? `HTTP ${response.status}`,
  );
}

export async function getJson<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
  return (await (await request(withQuery(path, query))).json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "Content-Type": "application/json" };
  }
  return (await (await request(path, init)).json()) as T;
}

export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value) params.set(name, value);
  const text = params.toString();
  return text === "" ? path : `${path}?${text}`;
}
