import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

/** Thrown when no usable keys are known: the JWKS cannot be fetched and none fetched before is young enough. */
export class JwksUnavailableError extends Error {}

export interface JwksCacheOptions {
  url: URL;
  /** How old keys may get before a request starts a refetch (in the background, while they keep serving). @default 300_000 */
  refreshAfterMs?: number;
  /** How long the last good keys keep verifying while the JWKS cannot be fetched. @default 86_400_000 */
  maxStaleMs?: number;
  /** How long a failed fetch is remembered: no refetch (and no waiting) before then. @default 5_000 */
  failureTtlMs?: number;
  /** Least time between two refetches caused by a token whose `kid` is unknown. @default 5_000 */
  unknownKidCooldownMs?: number;
  /** A fetch that takes longer fails. @default 3_000 */
  timeoutMs?: number;
  /** The clock; tests move it instead of waiting. @default Date.now */
  now?: () => number;
}

interface GoodKeys {
  getKey: JWTVerifyGetKey;
  fetchedAt: number;
}

/**
 * A JWKS fetched from `url` and kept, for `jwtVerify`. Unlike jose's remote key set it keeps the
 * last good keys while the JWKS is unreachable (stale-if-error), remembers a failed fetch for a
 * few seconds (so an outage costs one fetch per few seconds, not one per request), refreshes in
 * the background (no request waits while it has keys), and refetches, rate-limited, on an
 * unknown `kid` (a rotated key).
 */
export class JwksCache {
  private readonly refreshAfterMs: number;
  private readonly maxStaleMs: number;
  private readonly failureTtlMs: number;
  private readonly unknownKidCooldownMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private good: GoodKeys | null = null;
  private failedAt = -Infinity;
  private lastUnknownKidFetch = -Infinity;
  private inflight: Promise<void> | null = null;
  /** Fetches started so far (successful or not), for tests and logs. */
  fetches = 0;

  constructor(private readonly options: JwksCacheOptions) {
    this.refreshAfterMs = options.refreshAfterMs ?? 300_000;
    this.maxStaleMs = options.maxStaleMs ?? 86_400_000;
    this.failureTtlMs = options.failureTtlMs ?? 5_000;
    this.unknownKidCooldownMs = options.unknownKidCooldownMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 3_000;
    this.now = options.now ?? Date.now;
  }

  /** The key-lookup function to pass to jose's `jwtVerify`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const keys = await this.usableKeys();
    try {
      return await keys.getKey(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !this.mayRefetchForUnknownKid()) throw error;
      this.lastUnknownKidFetch = this.now();
      await this.refresh();
      // A failed refetch leaves the old keys, which do not have this kid either: the same refusal.
      return (this.good ?? keys).getKey(header, token);
    }
  };

  /** Resolves once no fetch is under way. */
  async settled(): Promise<void> {
    await this.inflight;
  }

  private async usableKeys(): Promise<GoodKeys> {
    const age = this.good ? this.now() - this.good.fetchedAt : Infinity;
    if (age >= this.refreshAfterMs && !this.failedRecently()) {
      const refresh = this.refresh();
      // Fresh-enough keys serve while the refetch runs; with none, this request has to wait for it.
      if (age >= this.maxStaleMs) await refresh;
    }
    if (this.good && this.now() - this.good.fetchedAt < this.maxStaleMs) return this.good;
    throw new JwksUnavailableError(`No token keys: ${this.options.url.href} could not be fetched.`);
  }

  private failedRecently(): boolean {
    return this.now() - this.failedAt < this.failureTtlMs;
  }

  private mayRefetchForUnknownKid(): boolean {
    return !this.failedRecently() && this.now() - this.lastUnknownKidFetch >= this.unknownKidCooldownMs;
  }

  /** One fetch at a time; every caller waits for the same one. Never rejects: a failure is recorded. */
  private refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys()
      .then((jwks) => {
        this.good = { getKey: createLocalJWKSet(jwks), fetchedAt: this.now() };
      })
      .catch(() => {
        this.failedAt = this.now();
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  private async fetchKeys(): Promise<JSONWebKeySet> {
    this.fetches += 1;
    const response = await fetch(this.options.url, {
      signal: AbortSignal.timeout(this.timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`${this.options.url.href} answered ${response.status}`);
    const body = (await response.json()) as Partial<JSONWebKeySet>;
    if (!Array.isArray(body.keys)) throw new Error(`${this.options.url.href} is not a JWKS`);
    return { keys: body.keys };
  }
}
