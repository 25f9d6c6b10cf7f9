import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { REQUEST_LOG_FIELDS } from "../http/request-log-fields";

it("the README's request log table lists exactly the fields the broker logs", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const section = /### Request log\n([\s\S]*?)\n#/.exec(readme)?.[1] ?? "";
  const documented = [...section.matchAll(/^\| `([a-z_]+)`/gm)].map((match) => match[1]);
  expect(documented).toEqual([...REQUEST_LOG_FIELDS]);
});
