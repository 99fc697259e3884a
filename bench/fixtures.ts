import * as path from 'node:path';
import { BARE, ROOT, startBenchApp, type StartedApp } from './lib';

/**
 * What the realistic route needs around it: the loopback service it calls
 * (a bare process, never under Palisade), a PostgreSQL table, and the JSON
 * body a checkout form would send.
 */

export function startUpstream(): Promise<StartedApp> {
  return startBenchApp(path.join(ROOT, 'bench', 'apps', 'upstream.js'), BARE);
}

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

export interface PgFixture {
  /** undefined when PostgreSQL is unreachable; `reason` says why. */
  table?: string;
  reason?: string;
  drop(): Promise<void>;
}

/** A table of 200 users (unique name per run), or the reason there is none. */
export async function preparePg(): Promise<PgFixture> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as typeof import('pg');
  const table = `palisade_bench_${process.pid}`;
  const client = new Client({ ...PG, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    return { reason: `PostgreSQL at ${PG.host}:${PG.port} (user ${PG.user}, db ${PG.database}) is unreachable: ${(err as Error).message}`, drop: async () => undefined };
  }
  await client.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, name text, email text, status text, team text)`);
  await client.query(
    `INSERT INTO ${table} (name, email, status, team) SELECT 'user' || g, 'user' || g || '@example.com', ` +
      `CASE WHEN g % 3 = 0 THEN 'inactive' ELSE 'active' END, (ARRAY['platform','data','growth','infra'])[1 + g % 4] FROM generate_series(1, 200) g`,
  );
  await client.query(`INSERT INTO ${table} (name, email, status, team) VALUES ('Alice Smith', 'alice.smith@example.com', 'active', 'platform')`);
  await client.query(`CREATE INDEX ON ${table} (email)`);
  await client.query(`ANALYZE ${table}`);
  return {
    table,
    drop: async () => {
      await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/** A checkout request: 25 leaf fields, nested like a real form. */
export function orderBody(): string {
  return JSON.stringify({
    email: 'alice.smith@example.com',
    status: 'active',
    team: 'platform',
    currency: 'EUR',
    firstName: 'Alice',
    lastName: 'Smith',
    phone: '+44 20 7946 0958',
    address: { street: '221B Baker Street', city: 'London', postcode: 'NW1 6XE', country: 'GB' },
    items: [
      { sku: 'SKU-10021', qty: 2, price: 19.99 },
      { sku: 'SKU-20417', qty: 1, price: 5.5 },
    ],
    coupon: 'SPRING24',
    notes: 'Leave at the door, please',
    locale: 'en-GB',
    timezone: 'Europe/London',
    campaign: 'spring-sale',
    referrer: 'https://example.com/blog/post-1',
    sessionId: '3f2b9c1e-8d7a-4b6f-9e21-0c5d7a8b9f10',
    deliveryDate: '2026-12-03',
  });
}
