import { currentRequestScope, REQUEST_ID_HEADER } from './request-scope';
import { injectTraceContext } from './tracing';

/**
 * Headers an outgoing call carries so the callee's logs and spans join this request's: its
 * `x-request-id`, and with tracing on the W3C `traceparent` of the active span.
 */
export function outgoingHeaders(): Record<string, string> {
  const scope = currentRequestScope();
  const headers: Record<string, string> = scope ? { [REQUEST_ID_HEADER]: scope.requestId } : {};
  injectTraceContext(headers);
  return headers;
}
