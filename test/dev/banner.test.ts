import { describe, expect, it } from "vitest";
import { devBanner } from "../../dev/banner";

const stack = {
  brokerUrl: "http://127.0.0.1:8787",
  devUrl: "http://127.0.0.1:8788",
  emulated: ["soniox"],
  adminToken: "dev-admin",
};

describe("the npm run dev banner", () => {
  it("prints the allowed origins and how to add a Vite app's", () => {
    const banner = devBanner({ ...stack, allowedOrigins: ["http://127.0.0.1:8788", "http://localhost:8788"] });
    expect(banner).toContain("allowed origins http://127.0.0.1:8788, http://localhost:8788\n");
    expect(banner).toContain("a Vite app on http://localhost:5173, needs its origin in ALLOWED_ORIGINS in .dev.vars");
  });

  it("says when the demo's own origin is not among them", () => {
    const banner = devBanner({ ...stack, allowedOrigins: ["http://localhost:5173"] });
    expect(banner).toContain("allowed origins http://localhost:5173 (not the demo's http://127.0.0.1:8788)\n");
  });

  it("says that every browser page is refused when there are none", () => {
    expect(devBanner({ ...stack, allowedOrigins: [] })).toContain(
      "allowed origins none, so every browser page is refused: set ALLOWED_ORIGINS in .dev.vars, e.g. http://127.0.0.1:8788,http://localhost:5173\n",
    );
  });
});
