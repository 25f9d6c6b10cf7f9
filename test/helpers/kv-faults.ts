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
