/** Settles as `work` does, or rejects with a `TimeoutError` once `timeoutMs` have passed. */
export async function within<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DOMException(`${what} took over ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles as `work` does, or rejects with a `TimeoutError` saying `why` once `deadline` fires. */
export async function before<T>(deadline: AbortSignal, work: Promise<T>, why: string): Promise<T> {
  let onAbort = () => {};
  const fired = new Promise<never>((_, reject) => {
    onAbort = () => reject(new DOMException(why, "TimeoutError"));
    deadline.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, fired]);
  } finally {
    deadline.removeEventListener("abort", onAbort);
  }
}
