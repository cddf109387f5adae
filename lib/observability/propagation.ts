import { currentRequestScope, REQUEST_ID_HEADER } from './request-scope';

/** Headers an outgoing call carries so the callee's logs join this request's: its `x-request-id`. */
export function outgoingHeaders(): Record<string, string> {
  const scope = currentRequestScope();
  return scope ? { [REQUEST_ID_HEADER]: scope.requestId } : {};
}
