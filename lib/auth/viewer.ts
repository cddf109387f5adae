import { clientError, ErrorCode, unauthenticated } from '../graphql/errors';
import { TokenError, type TokenVerifier } from './tokens';

export type Role = 'CUSTOMER' | 'ADMIN';

/** The signed-in person a request acts for. */
export interface Viewer {
  id: string;
  role: Role;
}

/** The bearer token of an `Authorization` header, or null when there is none. */
export function bearerToken(authorization: string | undefined | null): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <token>".');
  return match[1];
}

/**
 * The viewer of a request: null when anonymous; an UNAUTHENTICATED error for a bad or expired
 * token (never silently anonymous, so a client learns its token is wrong).
 */
export async function viewerFromAuthorization(authorization: string | undefined | null, verify: TokenVerifier): Promise<Viewer | null> {
  const token = bearerToken(authorization);
  if (!token) return null;
  try {
    const claims = await verify(token);
    const role = claims.role;
    if (typeof claims.sub !== 'string' || (role !== 'CUSTOMER' && role !== 'ADMIN')) {
      throw unauthenticated('The token carries no user: sign in again.');
    }
    return { id: claims.sub, role };
  } catch (error) {
    if (error instanceof TokenError) {
      throw error.reason === 'invalid' ? unauthenticated(error.message) : clientError(ErrorCode.SERVICE_UNAVAILABLE, error.message);
    }
    throw error;
  }
}

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw unauthenticated();
  return viewer;
}

/** The viewer, if they are `ownerId` or an ADMIN; FORBIDDEN otherwise. */
export function requireSelfOrAdmin(viewer: Viewer | null, ownerId: string, what: string): Viewer {
  const signedIn = requireViewer(viewer);
  if (signedIn.role !== 'ADMIN' && signedIn.id !== ownerId) throw forbiddenFor(what);
  return signedIn;
}

export function requireAdmin(viewer: Viewer | null, what: string): Viewer {
  const signedIn = requireViewer(viewer);
  if (signedIn.role !== 'ADMIN') throw clientError(ErrorCode.FORBIDDEN, `Only an ADMIN may ${what}.`);
  return signedIn;
}

function forbiddenFor(what: string) {
  return clientError(ErrorCode.FORBIDDEN, `Only its owner or an ADMIN may ${what}.`);
}
