import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The TypeScript examples of README.md, client/README.md and docs/vendors.md compile: each
 * ```ts block is type-checked as a module against the client's own types and
 * the vendor SDKs the repository installs (the versions the SDK helpers are
 * tested with), so a renamed helper, a wrong option or a helper whose return
 * value the SDK does not take fails here. Names the examples leave to the
 * reader's app (`keys`, `getIdToken`, `auth`) are declared in a preamble.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOCS = ["README.md", "client/README.md", "docs/vendors.md"];

/** Where the virtual files live: inside the repository, so that its node_modules resolve. */
const VIRTUAL_DIR = join(ROOT, "test", "docs", "__doc_examples__");

const PREAMBLE = `import type { KeyClient } from "edge-key-broker-client";
declare global {
  /** The key client an app made with createKeyClient. */
  const keys: KeyClient;
  /** The app's token getter. */
  function getIdToken(): Promise<string>;
  /** Firebase Auth, as in the README's example. */
  const auth: { currentUser: { getIdToken(): Promise<string> } | null };
}
export {};
`;

interface Block {
  doc: string;
  /** 1-based line of the block's first code line in the doc. */
  line: number;
  code: string;
}

async function tsBlocks(doc: string): Promise<Block[]> {
  const text = await readFile(join(ROOT, doc), "utf8");
  const blocks: Block[] = [];
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, match.index).split("\n").length + 1;
    blocks.push({ doc, line, code: match[1] as string });
  }
  return blocks;
}

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
  types: [],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  baseUrl: ROOT,
  // The package as the client's own source declares it; the build (client/dist) is made from it.
  paths: { "edge-key-broker-client": ["src/client/index.ts"] },
};

/** Type errors of the blocks, each as "doc:line: message". */
function typeErrors(blocks: Block[]): string[] {
  const files = new Map<string, string>([[join(VIRTUAL_DIR, "preamble.ts"), PREAMBLE]]);
  const origins = new Map<string, Block>();
  blocks.forEach((block, index) => {
    const name = join(VIRTUAL_DIR, `block-${index}.ts`);
    // `export {}` makes every block a module: its own scope, and top-level await.
    files.set(name, `${block.code}\nexport {};\n`);
    origins.set(name, block);
  });
  const host = ts.createCompilerHost(OPTIONS);
  const { getSourceFile, fileExists, readFile: readHostFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readHostFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const text = files.get(name);
    return text === undefined
      ? getSourceFile.call(host, name, language, ...rest)
      : ts.createSourceFile(name, text, language, true);
  };
  const program = ts.createProgram([...files.keys()], OPTIONS, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
    const file = diagnostic.file;
    if (!file || diagnostic.start === undefined) return message;
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start);
    const block = origins.get(file.fileName);
    return block ? `${block.doc}:${block.line + line}: ${message}` : `${file.fileName}:${line + 1}: ${message}`;
  });
}

describe("TypeScript examples in the docs", () => {
  it("type-check against the client's types and the vendor SDKs", { timeout: 120_000 }, async () => {
    const blocks = (await Promise.all(DOCS.map(tsBlocks))).flat();
    for (const doc of DOCS)
      expect(
        blocks.some((block) => block.doc === doc),
        `${doc} has ts examples`,
      ).toBe(true);
    expect(typeErrors(blocks).join("\n")).toBe("");
  });

  it("reports an example that does not compile, with its place in the doc", () => {
    const errors = typeErrors([{ doc: "example.md", line: 10, code: 'keys.getKey("sonix");' }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^example\.md:10: .*"sonix"/);
  });
});
