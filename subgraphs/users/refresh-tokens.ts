import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { PrismaClient } from './generated/prisma/client';

/** How long a refresh token lasts unless REFRESH_TOKEN_TTL_DAYS says otherwise. */
export const DEFAULT_REFRESH_TOKEN_TTL_DAYS = 30;

/** Why a refresh token was refused; the resolver words it for the client. */
export type RefreshRefusal = 'unknown' | 'expired' | 'revoked' | 'reused';

export type RotateResult = { ok: true; userId: string; token: string } | { ok: false; reason: RefreshRefusal };

/** 256 random bits: unguessable, so a fast hash is enough to store it (no salt or scrypt needed). */
const newToken = (): string => randomBytes(32).toString('base64url');
const hashOf = (token: string): string => createHash('sha256').update(token).digest('base64url');

/**
 * Refresh tokens, stored only as hashes. A family is every token descended from one sign-in: each
 * use rotates the token (marks it used, issues the next one in the family), and a used token
 * presented again means two holders, so the whole family is revoked.
 */
export class RefreshTokenStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly ttlMs: number,
  ) {}

  /** A token that starts a new family (a sign-in). */
  issue(userId: string): Promise<string> {
    return this.insert(this.prisma, userId, randomUUID());
  }

  /**
   * Marks `token` used and issues the next one of its family, in one transaction. Marking is a
   * conditional update, so of two requests presenting the same token exactly one wins; the other
   * sees it used and revokes the family (holding the row lock until commit, the winner's new token
   * is visible to that revocation).
   */
  async rotate(token: string): Promise<RotateResult> {
    const row = await this.find(token);
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.revokedAt) return { ok: false, reason: 'revoked' };
    const now = new Date();
    if (row.expiresAt <= now) return { ok: false, reason: 'expired' };
    const next = await this.prisma.$transaction(async (tx) => {
      const marked = await tx.refreshToken.updateMany({ where: { id: row.id, usedAt: null, revokedAt: null }, data: { usedAt: now } });
      return marked.count === 1 ? this.insert(tx, row.userId, row.familyId) : null;
    });
    if (next) return { ok: true, userId: row.userId, token: next };
    await this.revokeFamily(row.familyId);
    return { ok: false, reason: 'reused' };
  }

  /** Revokes the family of `token` (signing out); false when the token is unknown. */
  async revokeFamilyOf(token: string): Promise<boolean> {
    const row = await this.find(token);
    if (!row) return false;
    await this.revokeFamily(row.familyId);
    return true;
  }

  private find(token: string) {
    // Ours are 43 characters; anything much longer is not one, and is not worth hashing.
    if (token.length > 100) return null;
    return this.prisma.refreshToken.findUnique({ where: { tokenHash: hashOf(token) } });
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  private async insert(db: Pick<PrismaClient, 'refreshToken'>, userId: string, familyId: string): Promise<string> {
    const token = newToken();
    await db.refreshToken.create({ data: { tokenHash: hashOf(token), familyId, userId, expiresAt: new Date(Date.now() + this.ttlMs) } });
    return token;
  }
}

/** Revokes every refresh token of a user, inside the transaction that changes their password or role. */
export function revokeAllOf(db: Pick<PrismaClient, 'refreshToken'>, userId: string) {
  return db.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
}
