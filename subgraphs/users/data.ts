import DataLoader from 'dataloader';
import { oneByKey } from '../../lib/db/batch';
import type { Database } from '../../lib/db/database';
import type { Keyset } from '../../lib/graphql/pagination';
import { PrismaClient, type Role, type User } from './generated/prisma/client';

export type { Role, User };

/** The users service's data access; the only code that touches its database. */
export class UsersStore {
  readonly prisma: PrismaClient;

  constructor(database: Database) {
    this.prisma = new PrismaClient({ adapter: database.adapter });
  }

  /** One SQL statement for any number of ids; answers in the order asked, null where missing. */
  async findByIds(ids: readonly string[]): Promise<(User | null)[]> {
    const rows = await this.prisma.user.findMany({ where: { id: { in: [...ids] } } });
    return oneByKey(ids, rows, (row) => row.id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { email } });
  }

  create(data: { email: string; name: string; passwordHash: string; role?: Role }): Promise<User> {
    return this.prisma.user.create({ data });
  }

  makeAdmin(id: string, passwordHash: string): Promise<User> {
    return this.prisma.user.update({ where: { id }, data: { role: 'ADMIN', passwordHash } });
  }

  count(): Promise<number> {
    return this.prisma.user.count();
  }

  /** Oldest first; `take` rows after the keyset `[createdAt, id]`. */
  page(take: number, after: Keyset | null): Promise<User[]> {
    const where = after
      ? { OR: [{ createdAt: { gt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { gt: after[1] } }] }
      : {};
    return this.prisma.user.findMany({ where, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take });
  }
}

export const userKeyset = (user: User): Keyset => [user.createdAt.toISOString(), user.id];

/** Per-request loader: every `User` lookup in one request shares one query. */
export function createUserLoader(store: UsersStore): DataLoader<string, User | null> {
  return new DataLoader((ids) => store.findByIds(ids));
}
