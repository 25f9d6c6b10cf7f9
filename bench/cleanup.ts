import { rmSync } from "node:fs";
import { liveHelpers } from "./children";
import { workerdChildren } from "./cpu";

/**
 * How the bench stops what it started, whatever happens: an orderly cleanup at
 * the end or on error (Miniflare instances disposed, helpers stopped, scratch
 * removed), and a synchronous last resort on Ctrl-C or any other exit.
 */

/** Each step undoes one start; run last first. */
const cleanups: (() => Promise<void>)[] = [];
/** Scratch directories, removed however the process ends. */
const scratchDirs: string[] = [];

export function onCleanUp(step: () => Promise<void>): void {
  cleanups.push(step);
}

export function removeOnExit(dir: string): void {
  scratchDirs.push(dir);
}

export async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)().catch(() => {});
}

/**
 * The last resort, on any exit: kills this process's workerd children and
 * helpers outright and removes the scratch directories. It runs in the "exit"
 * event, so it cannot wait for anything: on Ctrl-C, the process ends at once.
 */
function stopNow(): void {
  for (const pid of workerdChildren()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const child of liveHelpers) child.kill("SIGKILL");
  for (const dir of scratchDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {
      // a workerd just killed may still hold it for a moment; it is in a temporary directory
    }
  }
}

export function stopEverythingOnExit(): void {
  process.on("exit", stopNow);
  // Appended, not prepended: tsx's own listener must first tell the tsx parent that the
  // signal arrived, or the parent kills this process with SIGKILL, and no "exit" event runs.
  // Miniflare's handler, added later, would end the process too, but with no message.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping the bench's processes`);
      process.exit(130);
    });
  }
}
