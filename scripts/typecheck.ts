/**
 * `npm run typecheck`: the three TypeScript projects, checked at once, and the
 * client's build (`npm run build:client`) alongside them. Each is one
 * single-threaded `tsc`; run one after another they take twice as long on two
 * cores. Each step's output is printed whole when it ends, so that the errors of
 * two steps never interleave, and the script fails if any step does.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const pretty = process.stdout.isTTY ? ["--pretty"] : [];

interface Step {
  label: string;
  command: string;
  args: string[];
}

/** npm, as the script was started with (`npm run` sets npm_execpath), so that the client build is npm's own script. */
const npm: Pick<Step, "command" | "args"> = process.env.npm_execpath
  ? { command: process.execPath, args: [process.env.npm_execpath] }
  : { command: process.platform === "win32" ? "npm.cmd" : "npm", args: [] };

const steps: Step[] = [
  ...["tsconfig.json", "tsconfig.node.json", "tsconfig.scripts.json"].map((project) => ({
    label: `tsc --noEmit -p ${project}`,
    command: process.execPath,
    args: [TSC, "--noEmit", "-p", project, ...pretty],
  })),
  { label: "npm run build:client", command: npm.command, args: [...npm.args, "run", "-s", "build:client"] },
];

function run(step: Step): Promise<boolean> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(step.command, step.args, { cwd: ROOT, shell: step.command.endsWith(".cmd") });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", (error) => (output += `${error.message}\n`));
    child.on("close", (code) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const ok = code === 0;
      console.log(`${ok ? "ok" : "FAILED"}: ${step.label} (${seconds} s)`);
      if (output.trim() !== "") console.log(output.trimEnd());
      resolve(ok);
    });
  });
}

const results = await Promise.all(steps.map(run));
if (results.includes(false)) {
  console.error(
    `typecheck failed: ${steps
      .filter((_, i) => !results[i])
      .map((s) => s.label)
      .join(", ")}`,
  );
  process.exit(1);
}
