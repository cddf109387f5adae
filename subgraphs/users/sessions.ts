import { signToken, USER_TOKEN } from '../../lib/auth/tokens';
import { requireViewer } from '../../lib/auth/viewer';
import { unauthenticated } from '../../lib/graphql/errors';
import type { UsersContext } from './context';
import type { User } from './data';
import { usersErrors } from './errors';
import type { MutationResolvers } from './generated/graphql';
import { hashPassword, verifyPassword } from './password';
import type { RefreshRefusal } from './refresh-tokens';
import { checkPassword } from './validation';

/**
 * Signs the user in: an access token, a refresh token (`refreshToken` continues a family when
 * rotating; otherwise a new sign-in starts one), and the rest of this request acts as them (so
 * `user.email` is theirs to see).
 */
export async function authPayload(context: UsersContext, user: User, refreshToken?: string) {
  const token = await signToken(context.signingKey, { sub: user.id, role: user.role }, USER_TOKEN);
  context.viewer = { id: user.id, role: user.role };
  return { token, refreshToken: refreshToken ?? (await context.store.refreshTokens.issue(user.id)), user };
}

const REFUSALS: Record<RefreshRefusal, string> = {
  unknown: 'This refresh token is not valid: sign in again.',
  expired: 'This refresh token has expired: sign in again.',
  revoked: 'This refresh token was revoked (signed out, or the password or role changed): sign in again.',
  reused: 'This refresh token was already used, so every session of that sign-in has been signed out: sign in again.',
};

/** Refreshing, signing out and changing the password: the mutations that renew or end sessions. */
export const sessionMutations: Pick<MutationResolvers, 'refreshToken' | 'signOut' | 'changePassword'> = {
  refreshToken: async (_, { token }, context) => {
    const rotated = await context.store.refreshTokens.rotate(token);
    if (!rotated.ok) throw unauthenticated(REFUSALS[rotated.reason]);
    const user = await context.users.load(rotated.userId);
    // Deleting a user deletes their tokens too; this only guards the moment in between.
    if (!user) throw unauthenticated(REFUSALS.unknown);
    return authPayload(context, user, rotated.token);
  },
  signOut: (_, args, context) => context.store.refreshTokens.revokeFamilyOf(args.refreshToken),
  changePassword: async (_, args, context) => {
    const viewer = requireViewer(context.viewer);
    checkPassword(args.newPassword);
    const user = await context.users.load(viewer.id);
    // An over-long current password cannot be right; refusing it first spares a hash.
    const valid = user && args.currentPassword.length <= 200 && (await verifyPassword(args.currentPassword, user.passwordHash));
    if (!user || !valid) throw usersErrors.error('INVALID_CREDENTIALS', 'The current password is wrong.');
    return authPayload(context, await context.store.changePassword(user.id, await hashPassword(args.newPassword)));
  },
};
