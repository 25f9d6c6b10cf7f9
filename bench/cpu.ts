import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of processes, from /proc/<pid>/stat: utime + stime (fields 14 and
 * 15), which cover every thread of the process, in clock ticks. A tick is
 * usually 10 ms, so a phase must serve enough requests that ±1 tick is small
 * against its total; the bench sums ticks over rounds before dividing.
 */

/** Clock ticks per second (`getconf CLK_TCK`), 100 on Linux unless told otherwise. */
export const CLOCK_TICKS_PER_SECOND = readClockTicks();

function readClockTicks(): number {
  try {
    const ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  ticks: number;
}

/** Fields of /proc/<pid>/stat; undefined once the process is gone. */
function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself hold spaces or parentheses: split after the last ")".
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  return { pid, comm, ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

/** CPU milliseconds used so far by these processes together. */
export function cpuMs(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += procStat(pid)?.ticks ?? 0;
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The workerd processes this process has spawned (Miniflare starts one per instance). */
export function workerdChildren(): Set<number> {
  const found = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.ppid === process.pid && stat.comm === "workerd") found.add(stat.pid);
  }
  return found;
}
