import type Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';

/**
 * Whether the database may have changed since an earlier look: `PRAGMA data_version` moves when
 * any other connection (another instance, the CLI) commits; writes made through this connection
 * are counted by `wrote()`, because data_version ignores them.
 */
export class ChangeTracker {
  readonly #dataVersion: Database.Statement<[], number>;
  #ownWrites = 0;

  constructor(db: Database.Database) {
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** Call after every committed write to a table whose reads are cached; passes `result` through. */
  wrote<T>(result: T): T {
    this.#ownWrites += 1;
    return result;
  }

  version(): { readonly data: number; readonly own: number } {
    return { data: this.#dataVersion.get() ?? 0, own: this.#ownWrites };
  }
}

interface Entry<V> {
  readonly value: V;
  readonly data: number;
  readonly own: number;
}

/**
 * Point reads of hot rows (API keys, credentials) served from memory while nothing at all was
 * committed to the database since they were read, by anyone. That is not a per-process cache
 * that can go stale: every read still asks SQLite for its change counter (one `PRAGMA
 * data_version`, a third of the cost of an indexed lookup with cold CPU caches, as on a busy
 * instance), so a key revoked or a credential changed by another instance or the CLI is seen by
 * the very next read. Only rows that exist are kept (unknown keys cannot evict good ones), at most
 * `max` of them, least recently used first out.
 */
export class ValidatedCache<V> {
  readonly #entries: LRUCache<string, Entry<V>>;

  constructor(
    private readonly tracker: ChangeTracker,
    max = 1000,
  ) {
    this.#entries = new LRUCache({ max });
  }

  read(key: string, load: () => V | undefined): V | undefined {
    // The version is read before the row: a commit in between makes the entry look older, never newer.
    const { data, own } = this.tracker.version();
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.data === data && hit.own === own) return hit.value;
    const value = load();
    if (value !== undefined) this.#entries.set(key, { value, data, own });
    else this.#entries.delete(key);
    return value;
  }
}
