/** A reason not to take traffic that is safe to show on GET /ready (anything else is logged, not shown). */
export class NotReadyError extends Error {}
