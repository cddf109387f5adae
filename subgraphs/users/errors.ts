import { defineErrorCodes } from '../../lib/graphql/errors';

/** The users service's own error codes; lib/graphql/errors.ts has the shared ones. Any other code it throws is masked. */
export const usersErrors = defineErrorCodes({
  /** signUp with an email that already has an account. */
  EMAIL_TAKEN: {},
  /** signIn, or changePassword's currentPassword, wrong. */
  INVALID_CREDENTIALS: {},
});
