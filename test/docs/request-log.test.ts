import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { REQUEST_LOG_FIELDS } from "../http/request-log-fields";
import { REPO_ROOT } from "./repo-files";

it("the operator's guide's request log table lists exactly the fields the broker logs", async () => {
  const page = await readFile(`${REPO_ROOT}docs/operations.md`, "utf8");
  const section = /\n## Request log\n([\s\S]*?)(?=\n#|$)/.exec(page)?.[1] ?? "";
  const documented = [...section.matchAll(/^\| `([a-z_]+)`/gm)].map((match) => match[1]);
  expect(documented).toEqual([...REQUEST_LOG_FIELDS]);
});
