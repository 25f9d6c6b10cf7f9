import { auditKv, auditKvWith } from "./broker";

/** The real `put`, callable with whatever arguments the store passes. */
const realPut = auditKv.put.bind(auditKv) as (key: string, ...rest: unknown[]) => Promise<void>;

/**
 * The real audit namespace, except that the puts `hangs` picks never settle, as a KV
 * write that stalls: no answer, no error. Every put hangs unless told otherwise.
 */
export function kvWithHangingPuts(hangs: (key: string) => boolean = () => true): KVNamespace {
  return auditKvWith({
    put: (key: string, ...rest: unknown[]) => (hangs(key) ? new Promise<void>(() => {}) : realPut(key, ...rest)),
  });
}

/** One put the namespace below was asked for, in the order asked. */
export interface PutAttempt {
  key: string;
  failed: boolean;
}

/**
 * The real audit namespace, except that every `n`th put, counted across every caller
 * in the order the puts are asked for, fails as in a KV outage. Deterministic: the
 * same sequence of puts fails the same ones. `puts` lists every attempt.
 */
export function kvFailingEveryNthPut(n: number): { kv: KVNamespace; puts: PutAttempt[] } {
  const puts: PutAttempt[] = [];
  const kv = auditKvWith({
    put: (key: string, ...rest: unknown[]) => {
      const failed = (puts.length + 1) % n === 0;
      puts.push({ key, failed });
      return failed ? Promise.reject(new Error("simulated KV failure")) : realPut(key, ...rest);
    },
  });
  return { kv, puts };
}

/** KV operations the namespace below was asked for, by method. */
export type KvOperations = Record<"get" | "getWithMetadata" | "list" | "put" | "delete", number>;

/**
 * The real audit namespace, counting every operation asked of it: what a request
 * costs in KV, and what Cloudflare counts against its 1,000 operations an invocation.
 * With `listPageSize`, a list hands back at most that many keys, as KV may.
 */
export function kvCountingOperations(listPageSize?: number): {
  kv: KVNamespace;
  operations: KvOperations;
  total: () => number;
} {
  const operations: KvOperations = { get: 0, getWithMetadata: 0, list: 0, put: 0, delete: 0 };
  const counted = (method: keyof KvOperations) => {
    const real = (auditKv[method] as (...args: unknown[]) => Promise<unknown>).bind(auditKv);
    return (...args: unknown[]) => {
      operations[method] += 1;
      return real(...args);
    };
  };
  const list = counted("list");
  const kv = auditKvWith({
    get: counted("get"),
    getWithMetadata: counted("getWithMetadata"),
    list: (options?: KVNamespaceListOptions) =>
      list(
        listPageSize === undefined ? options : { ...options, limit: Math.min(options?.limit ?? 1000, listPageSize) },
      ),
    put: counted("put"),
    delete: counted("delete"),
  });
  return { kv, operations, total: () => Object.values(operations).reduce((sum, n) => sum + n, 0) };
}
