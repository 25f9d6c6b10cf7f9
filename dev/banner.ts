import type { DevStack } from "./stack";

/** What `npm run dev` prints once the broker answers: where everything is, and who may call it. */
export function devBanner(stack: Omit<DevStack, "wranglerPid" | "stop">): string {
  return `
  edge-key-broker is running
    broker          ${stack.brokerUrl}
    demo            ${stack.devUrl}/
    API reference   ${stack.devUrl}/docs
    console         ${stack.brokerUrl}/console (sign in with the admin token; npm run seed gives it data)
    emulated        ${stack.emulated.length > 0 ? stack.emulated.join(", ") : "nothing (all vendors from .dev.vars)"}
    dev token       npm run token -- --sub alice
    admin token     ${stack.adminToken ?? "(from .dev.vars)"}
    allowed origins ${allowedOrigins(stack.allowedOrigins, stack.devUrl)}
`;
}

/**
 * A page on any other origin gets only a network error from the browser, so the
 * banner says which origins pass and how to add the developer's own app.
 */
function allowedOrigins(origins: string[], demoOrigin: string): string {
  if (origins.length === 0) {
    return `none, so every browser page is refused: set ALLOWED_ORIGINS in .dev.vars, e.g. ${demoOrigin},http://localhost:5173`;
  }
  const demo = origins.includes(demoOrigin) ? "" : ` (not the demo's ${demoOrigin})`;
  return `${origins.join(", ")}${demo}\n                    another page, e.g. a Vite app on http://localhost:5173, needs its origin in ALLOWED_ORIGINS in .dev.vars, with these`;
}
