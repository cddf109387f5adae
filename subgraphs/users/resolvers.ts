import { requireAdmin, requireSelfOrAdmin } from '../../lib/auth/viewer';
import { readPageArgs, toConnection } from '../../lib/graphql/pagination';
import { DateTime } from '../../lib/graphql/scalars';
import { isUniqueViolation } from '../../lib/db/errors';
import type { Resolvers } from './generated/graphql';
import { userKeyset, USERS_ORDER } from './data';
import { usersErrors } from './errors';
import { hashPassword, refuseOverlongPassword, unknownUserHash, verifyPassword } from './password';
import { authPayload, sessionMutations } from './sessions';
import { checkName, checkPassword, normalizeEmail } from './validation';

export const resolvers: Resolvers = {
  DateTime,
  Query: {
    me: (_, __, context) => (context.viewer ? context.users.load(context.viewer.id) : null),
    user: (_, args, context) => {
      requireSelfOrAdmin(context.viewer, args.id, 'see this user');
      return context.users.load(args.id);
    },
    users: async (_, args, context) => {
      requireAdmin(context.viewer, 'list users');
      const page = readPageArgs(args.first, args.after, USERS_ORDER.kind);
      return toConnection(await context.store.page(page.take, page.after), page.first, userKeyset);
    },
  },
  Mutation: {
    ...sessionMutations,
    signUp: async (_, { input }, context) => {
      await context.authLimits.countAttempt(context.clientIp);
      const email = normalizeEmail(input.email);
      checkPassword(input.password);
      const name = checkName(input.name);
      try {
        const user = await context.store.create({ email, name, passwordHash: await hashPassword(input.password) });
        return authPayload(context, user);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw usersErrors.error('EMAIL_TAKEN', `An account with ${email} already exists: sign in instead.`);
        }
        throw error;
      }
    },
    signIn: async (_, args, context) => {
      // Limits and size first: a refused call costs no SQL and no hash.
      await context.authLimits.countAttempt(context.clientIp);
      refuseOverlongPassword(args.password);
      const email = args.email.trim().toLowerCase();
      await context.authLimits.countSignIn(email);
      const user = await context.store.findByEmail(email);
      const valid = await verifyPassword(args.password, user?.passwordHash ?? (await unknownUserHash()));
      if (!user || !valid) throw usersErrors.error('INVALID_CREDENTIALS', 'The email or password is wrong.');
      await context.authLimits.signedIn(email);
      return authPayload(context, user);
    },
  },
  User: {
    // The same rule as user(id): the router only ever asks for the viewer or (for an ADMIN) anyone,
    // so a direct _entities call can read no more than the supergraph would show.
    // async: a refusal then fails only this entity, not the whole _entities list.
    __resolveReference: async (reference, context) => {
      requireSelfOrAdmin(context.viewer, reference.id, 'see this user');
      return context.users.load(reference.id);
    },
    email: (user, _, context) => {
      requireSelfOrAdmin(context.viewer, user.id, "see this user's email");
      return user.email;
    },
  },
};
