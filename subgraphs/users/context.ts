import type DataLoader from 'dataloader';
import type { IncomingHttpHeaders } from 'node:http';
import type { SigningKey } from '../../lib/auth/keys';
import type { TokenVerifier } from '../../lib/auth/tokens';
import { viewerFromAuthorization, type Viewer } from '../../lib/auth/viewer';
import type { AuthLimits } from './auth-limits';
import { createUserLoader, type User, type UsersStore } from './data';

export interface UsersContext {
  viewer: Viewer | null;
  store: UsersStore;
  /** Signs the tokens signUp and signIn hand out. */
  signingKey: SigningKey;
  users: DataLoader<string, User | null>;
  /** The caller's address, as lib/server.ts determined it; the auth rate limits count per IP. */
  clientIp: string;
  authLimits: AuthLimits;
}

export function createContextFactory(deps: { store: UsersStore; signingKey: SigningKey; verify: TokenVerifier; authLimits: AuthLimits }) {
  return async ({ headers, clientIp }: { headers: IncomingHttpHeaders; clientIp: string }): Promise<UsersContext> => ({
    viewer: await viewerFromAuthorization(headers.authorization, deps.verify),
    store: deps.store,
    signingKey: deps.signingKey,
    users: createUserLoader(deps.store),
    clientIp,
    authLimits: deps.authLimits,
  });
}
