// Counts every call a store makes on its tables (a `wrapTable` for createTableStore/createMemoryStore),
// for the benchmarks and the tests that hold a flow to a number of Table operations.
import type { EntityTable } from '../adapters/store/entity-table.ts';

export type TableCall = Exclude<keyof EntityTable, 'name'>;

export class TableCounter {
  readonly calls = new Map<TableCall, number>();

  get total(): number {
    return [...this.calls.values()].reduce((sum, n) => sum + n, 0);
  }

  reset(): void {
    this.calls.clear();
  }

  /** "2 query, 1 get": each kind of call with its count. */
  describe(): string {
    return [...this.calls].map(([call, n]) => `${n} ${call}`).join(', ');
  }

  wrap = (table: EntityTable): EntityTable => {
    const count = <T>(call: TableCall, work: () => Promise<T>) => {
      this.calls.set(call, (this.calls.get(call) ?? 0) + 1);
      return work();
    };
    return {
      name: table.name,
      get: (pk, rk) => count('get', () => table.get(pk, rk)),
      create: (pk, rk, props) => count('create', () => table.create(pk, rk, props)),
      replace: (pk, rk, props, etag) => count('replace', () => table.replace(pk, rk, props, etag)),
      delete: (pk, rk, etag) => count('delete', () => table.delete(pk, rk, etag)),
      transact: (pk, steps) => count('transact', () => table.transact(pk, steps)),
      query: (query) => count('query', () => table.query(query)),
    };
  };
}
