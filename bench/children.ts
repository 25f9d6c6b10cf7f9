import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

/**
 * The bench's helper processes (upstream, the Node server, the load generator)
 * run apart from the orchestrator, so that none shares an event loop with the
 * load generator and each one's CPU can be read on its own from /proc. They
 * talk over Node's IPC channel: one `{ type: "ready", … }` message when they
 * listen, then request/answer pairs.
 */
export interface Helper<Ready> {
  process: ChildProcess;
  pid: number;
  ready: Ready;
  /** Sends a message and resolves with the next message of `answerType`. */
  ask<Answer>(message: object, answerType: string): Promise<Answer>;
  stop(): Promise<void>;
}

/** Helpers not yet exited, so that an interrupted run can stop them synchronously. */
export const liveHelpers = new Set<ChildProcess>();

/** How long a helper may take to start listening. */
const START_TIMEOUT_MS = 30_000;
/** How long a helper gets to exit on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3_000;

/** Starts `bench/<file>` under tsx with an IPC channel; resolves once it reports ready. */
export async function startHelper<Ready>(file: string, args: string[] = []): Promise<Helper<Ready>> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", path, ...args], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  liveHelpers.add(child);
  child.once("exit", () => liveHelpers.delete(child));
  const stop = () => stopChild(child);
  try {
    const ready = await nextMessage<Ready>(child, "ready", START_TIMEOUT_MS);
    return {
      process: child,
      pid: child.pid as number,
      ready,
      async ask<Answer>(message: object, answerType: string) {
        const answer = nextMessage<Answer>(child, answerType);
        child.send(message);
        return answer;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`${file} did not start: ${(error as Error).message}`);
  }
}

function nextMessage<T>(child: ChildProcess, type: string, timeoutMs?: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => done(new Error("timed out")), timeoutMs);
    const onMessage = (message: { type?: string; error?: string }) => {
      if (message.type === type) done(undefined, message as T);
      else if (message.type === "error") done(new Error(message.error));
    };
    const onExit = (code: number | null) => done(new Error(`exited with ${code}`));
    function done(error?: Error, value?: T) {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(value as T);
    }
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
