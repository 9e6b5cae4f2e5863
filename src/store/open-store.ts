import type { Config } from '../config/config';
import type { Store } from './store';
import { openSqliteStore } from './sqlite/sqlite-store';

/** Picks the store implementation for `DATABASE_URL` (validated by the config loader). */
export async function openStore(config: Pick<Config, 'database'>): Promise<Store> {
  switch (config.database.kind) {
    case 'sqlite':
      return openSqliteStore({ file: config.database.file });
  }
}
