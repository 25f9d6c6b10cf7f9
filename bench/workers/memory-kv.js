/**
 * An in-memory stand-in for a KV namespace, for target A′ only: the same
 * methods the broker calls (get, getWithMetadata, put, list, delete), with
 * metadata and `expirationTtl`, and the limits real KV enforces on writes, so
 * a put real KV would refuse fails here too. Miniflare's local KV serializes
 * writes to disk (a few hundred puts a second), which hides the broker's own
 * cost; this one costs next to nothing.
 *
 * Not real KV: values live in this isolate only and are never expired, and
 * past MAX_ENTRIES the oldest entries are forgotten so that a long run keeps
 * its memory bounded. The mint path only writes, so it never notices.
 */

/** Entries kept before the oldest are forgotten. */
const MAX_ENTRIES = 100_000;
/** KV's own limits (developers.cloudflare.com/kv/platform/limits). */
const MAX_KEY_BYTES = 512;
const MAX_METADATA_BYTES = 1024;
const MIN_EXPIRATION_TTL_SECONDS = 60;
const MAX_LIST_LIMIT = 1000;

const encoder = new TextEncoder();

export class MemoryKv {
  /** name → { value: string | ArrayBuffer, metadata, expiration } in insertion order. */
  #entries = new Map();

  async get(key, typeOrOptions) {
    return (await this.getWithMetadata(key, typeOrOptions)).value;
  }

  async getWithMetadata(key, typeOrOptions) {
    checkKey(key);
    const type = (typeof typeOrOptions === "string" ? typeOrOptions : typeOrOptions?.type) ?? "text";
    const entry = this.#entries.get(key);
    if (!entry) return { value: null, metadata: null, cacheStatus: null };
    return { value: decode(entry.value, type), metadata: entry.metadata ?? null, cacheStatus: null };
  }

  async put(key, value, options = {}) {
    checkKey(key);
    if (options.expirationTtl !== undefined && !(options.expirationTtl >= MIN_EXPIRATION_TTL_SECONDS)) {
      throw new TypeError(`KV put failed: expirationTtl must be at least ${MIN_EXPIRATION_TTL_SECONDS}`);
    }
    if (
      options.metadata !== undefined &&
      encoder.encode(JSON.stringify(options.metadata)).byteLength > MAX_METADATA_BYTES
    ) {
      throw new TypeError(`KV put failed: metadata over ${MAX_METADATA_BYTES} bytes`);
    }
    const expiration =
      options.expiration ??
      (options.expirationTtl === undefined ? undefined : Math.floor(Date.now() / 1000) + options.expirationTtl);
    this.#entries.delete(key);
    this.#entries.set(key, { value: await storable(value), metadata: options.metadata, expiration });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value);
  }

  async delete(key) {
    checkKey(key);
    this.#entries.delete(key);
  }

  /** Sorted by name like KV; the cursor is the last name returned. Only audit reads list, never a mint. */
  async list(options = {}) {
    const prefix = options.prefix ?? "";
    const limit = Math.min(options.limit ?? MAX_LIST_LIMIT, MAX_LIST_LIMIT);
    const names = [...this.#entries.keys()]
      .filter((name) => name.startsWith(prefix) && (!options.cursor || name > options.cursor))
      .sort();
    const page = names.slice(0, limit);
    const keys = page.map((name) => {
      const { metadata, expiration } = this.#entries.get(name);
      return {
        name,
        ...(expiration === undefined ? {} : { expiration }),
        ...(metadata === undefined ? {} : { metadata }),
      };
    });
    const complete = names.length <= limit;
    return complete
      ? { keys, list_complete: true, cacheStatus: null }
      : { keys, list_complete: false, cursor: page.at(-1), cacheStatus: null };
  }
}

function checkKey(key) {
  if (typeof key !== "string" || key === "" || encoder.encode(key).byteLength > MAX_KEY_BYTES) {
    throw new TypeError(`KV key must be a non-empty string of at most ${MAX_KEY_BYTES} bytes`);
  }
}

async function storable(value) {
  if (typeof value === "string") return value;
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (ArrayBuffer.isView(value)) return value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength);
  if (value instanceof ReadableStream) return new Response(value).arrayBuffer();
  throw new TypeError("KV put failed: value must be a string, ArrayBuffer, ArrayBufferView or ReadableStream");
}

function decode(stored, type) {
  const text = () => (typeof stored === "string" ? stored : new TextDecoder().decode(stored));
  switch (type) {
    case "text":
      return text();
    case "json":
      return JSON.parse(text());
    case "arrayBuffer":
      return typeof stored === "string" ? encoder.encode(stored).buffer : stored.slice(0);
    case "stream":
      return new Response(stored).body;
    default:
      throw new TypeError(`unknown KV get type ${type}`);
  }
}
