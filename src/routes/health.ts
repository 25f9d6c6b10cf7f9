import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { configProblems } from "../health";

/**
 * GET /healthz: every part of the configuration, bindings included, checked
 * without auth or network calls. `503 degraded` lists each broken variable with
 * what is wrong, never its value; the routes that do not use it keep working.
 */
export function healthRoutes() {
  return new Hono<AppEnv>().get("/", (c) => {
    const problems = configProblems(c.var.config, { bindings: true });
    if (problems.length === 0) return c.json({ status: "ok" as const });
    c.var.logFields.problems = problems.map((problem) => problem.variable).join(",");
    return c.json({ status: "degraded" as const, problems }, 503);
  });
}
