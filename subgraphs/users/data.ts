import DataLoader from 'dataloader';
import { oneByKey } from '../../lib/db/batch';
import type { Database } from '../../lib/db/database';
import { keysetOf, keysetPage, type Keyset, type KeysetSort } from '../../lib/graphql/pagination';
import { PrismaClient, type Role, type User } from './generated/prisma/client';
import { DEFAULT_REFRESH_TOKEN_TTL_DAYS, RefreshTokenStore, revokeAllOf } from './refresh-tokens';

export type { Role, User };

const DAY_MS = 24 * 60 * 60 * 1000;

/** The users service's data access; the only code that touches its database. */
export class UsersStore {
  readonly prisma: PrismaClient;
  readonly refreshTokens: RefreshTokenStore;

  /** `refreshTokenTtlMs`: how long a refresh token lasts (REFRESH_TOKEN_TTL_DAYS, subgraphs/users/config.ts). */
  constructor(database: Database, options: { refreshTokenTtlMs?: number } = {}) {
    this.prisma = new PrismaClient({ adapter: database.adapter });
    this.refreshTokens = new RefreshTokenStore(this.prisma, options.refreshTokenTtlMs ?? DEFAULT_REFRESH_TOKEN_TTL_DAYS * DAY_MS);
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

  /** A role change and a password reset: every session of the account ends with them. */
  async makeAdmin(id: string, passwordHash: string): Promise<User> {
    const [user] = await this.prisma.$transaction([
      this.prisma.user.update({ where: { id }, data: { role: 'ADMIN', passwordHash } }),
      revokeAllOf(this.prisma, id),
    ]);
    return user;
  }

  /** Sets a new password and ends every session of the account (its refresh tokens), together. */
  async changePassword(id: string, passwordHash: string): Promise<User> {
    const [user] = await this.prisma.$transaction([
      this.prisma.user.update({ where: { id }, data: { passwordHash } }),
      revokeAllOf(this.prisma, id),
    ]);
    return user;
  }

  count(): Promise<number> {
    return this.prisma.user.count();
  }

  /** Oldest first; `take` rows after the keyset `[createdAt, id]`. */
  page(take: number, after: Keyset | null): Promise<User[]> {
    return this.prisma.user.findMany({ ...keysetPage(USERS_ORDER, after), take });
  }
}

/** Oldest first, ties by id: `users(first, after)`'s order and cursor. */
export const USERS_ORDER: KeysetSort<'createdAt', 'timestamp', 'asc'> = { field: 'createdAt', kind: 'timestamp', direction: 'asc' };

export const userKeyset = (user: User): Keyset => keysetOf(USERS_ORDER, user);

/** Per-request loader: every `User` lookup in one request shares one query. */
export function createUserLoader(store: UsersStore): DataLoader<string, User | null> {
  return new DataLoader((ids) => store.findByIds(ids));
}
