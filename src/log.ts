/**
 * Structured log lines, one JSON object each, so Workers Logs can index them.
 * Callers pass only safe fields: ids, codes, statuses, vendor names. Never a
 * token, a key, a secret or a vendor body.
 */
export function logLine(level: "info" | "warn" | "error", fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
