import type { z } from "zod/mini";
import { safeParse } from "zod/mini";
import type { core } from "zod/mini";
import { brokerError } from "../errors";

/** Validates `input` against `schema`, or throws `invalid_request` with a message naming each bad field. */
export function parseOrThrow<Schema extends z.ZodMiniType>(
  schema: Schema,
  input: unknown,
  what: string,
): z.output<Schema> {
  const result = safeParse(schema, input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(describeIssue);
  throw brokerError("invalid_request", `invalid ${what}: ${problems.join("; ")}`);
}

/** zod/mini ships no locale, so messages are written here, in one place. */
function describeIssue(issue: core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join(".") : "value";
  // Checks given their own message (ranges, patterns) state the whole rule.
  if (issue.message.startsWith(`${field} `)) return issue.message;
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
    case "invalid_type":
      return `${field} must be ${article(issue.expected === "int" ? "integer" : issue.expected)}`;
    case "invalid_value":
      return `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
    case "too_big":
      return `${field} is out of range`;
    case "invalid_format":
      return `${field} must be a valid ${issue.format}`;
    default:
      return `${field} is invalid`;
  }
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}
