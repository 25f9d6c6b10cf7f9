/**
 * Targets A, A′ and E: the production bundle (./broker.js, copied from
 * `wrangler deploy --dry-run`) behind a thin bench-only wrapper, loaded in the
 * same Miniflare instance. A and A′ run this same wrapper, so their overhead is
 * equal; they differ only in `BENCH_AUDIT`:
 *
 *   "real"    AUDIT is Miniflare's local KV namespace (A, E)
 *   "memory"  AUDIT is an in-memory KV of the same interface (A′, "bench only")
 *
 * The wrapper counts what each request costs the operator, read by the bench
 * with `GET /__bench/counts` (not a broker route; never counted as a request):
 * KV calls on AUDIT, Durable Object RPC calls on USER_STATE and MINT_STATS stubs
 * (the mint counts, made after the answer), and SQLite rows read and written
 * inside UserState and MintStats.
 */
import broker, { MintStats as ShippedMintStats, UserState as ShippedUserState } from "./broker.js";
import { MemoryKv } from "./memory-kv.js";

const counts = {
  requests: 0,
  kvPuts: 0,
  kvGets: 0,
  kvLists: 0,
  kvDeletes: 0,
  doCalls: 0,
  sqlRowsRead: 0,
  sqlRowsWritten: 0,
  /** UserState instances constructed: a Durable Object started cold (first use, or after workerd evicted it when idle). */
  doStarts: 0,
  /** Times the broker's env was built; more than 1 would mean the broker rebuilt its config per request. */
  envBuilds: 0,
};

/** One per isolate, so what A′ writes stays put between requests (as far as memory-kv.js keeps it). */
const memoryKv = new MemoryKv();

/**
 * The env handed to the broker, built once per isolate: the broker remembers
 * its parsed config per env object (a WeakMap in src/config.ts), so a fresh
 * object on each request would re-parse the config every time and cost CPU
 * that production does not spend.
 */
const brokerEnvs = new WeakMap();

function brokerEnv(env) {
  let wrapped = brokerEnvs.get(env);
  if (!wrapped) {
    const { BENCH_AUDIT, ...rest } = env;
    const audit = BENCH_AUDIT === "memory" ? memoryKv : env.AUDIT;
    wrapped = {
      ...rest,
      AUDIT: countingKv(audit),
      USER_STATE: countingNamespace(env.USER_STATE),
      MINT_STATS: countingNamespace(env.MINT_STATS),
    };
    brokerEnvs.set(env, wrapped);
    counts.envBuilds++;
  }
  return wrapped;
}

function countingKv(kv) {
  return {
    get: (...args) => (counts.kvGets++, kv.get(...args)),
    getWithMetadata: (...args) => (counts.kvGets++, kv.getWithMetadata(...args)),
    put: (...args) => (counts.kvPuts++, kv.put(...args)),
    list: (...args) => (counts.kvLists++, kv.list(...args)),
    delete: (...args) => (counts.kvDeletes++, kv.delete(...args)),
  };
}

/** The namespace as the broker uses it; each stub it hands out counts the RPC calls made on it. */
function countingNamespace(namespace) {
  return {
    idFromName: (name) => namespace.idFromName(name),
    idFromString: (text) => namespace.idFromString(text),
    newUniqueId: (options) => namespace.newUniqueId(options),
    get: (id, options) => countingStub(namespace.get(id, options)),
    getByName: (name, options) => countingStub(namespace.getByName(name, options)),
    jurisdiction: (name) => countingNamespace(namespace.jurisdiction(name)),
  };
}

/**
 * Every method call on a stub is one billed Durable Object request (an RPC session).
 * `Reflect.apply`, not `value.apply`: on an RPC stub, `.apply` would name a remote method.
 */
function countingStub(stub) {
  return new Proxy(stub, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function" || typeof property === "symbol" || property === "then") return value;
      return (...args) => {
        counts.doCalls++;
        return Reflect.apply(value, target, args);
      };
    },
  });
}

/**
 * SQLite rows, as Cloudflare bills them: `rowsRead` and `rowsWritten` of each
 * cursor `sql.exec` returns. They are final only once the cursor is consumed,
 * so cursors are tallied at the next `exec` and when counts are read. That is
 * exact while the objects' methods consume each cursor before the next `exec`
 * and never await in between, which they do today (src/user-state/object.ts, src/stats/object.ts).
 */
let openCursors = [];
let sqlWatched = false;

function tallyCursors() {
  for (const cursor of openCursors) {
    counts.sqlRowsRead += cursor.rowsRead;
    counts.sqlRowsWritten += cursor.rowsWritten;
  }
  openCursors = [];
}

function watchSql(sql) {
  if (sqlWatched) return;
  sqlWatched = true;
  const prototype = Object.getPrototypeOf(sql);
  const exec = prototype.exec;
  prototype.exec = function (...args) {
    tallyCursors();
    const cursor = exec.apply(this, args);
    openCursors.push(cursor);
    return cursor;
  };
}

/** The shipped class, unchanged but for the row count above. */
export class UserState extends ShippedUserState {
  constructor(ctx, env) {
    counts.doStarts++;
    watchSql(ctx.storage.sql);
    super(ctx, env);
  }
}

/** The shipped class, unchanged but for the row count; its starts are not `doStarts`, which are the users' objects. */
export class MintStats extends ShippedMintStats {
  constructor(ctx, env) {
    watchSql(ctx.storage.sql);
    super(ctx, env);
  }
}

export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__bench/counts") {
      tallyCursors();
      return Response.json(counts);
    }
    counts.requests++;
    return broker.fetch(request, brokerEnv(env), ctx);
  },
};
