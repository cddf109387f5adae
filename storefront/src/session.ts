/** The signed-in session, in memory only (a reload signs out): never in localStorage, out of reach of other scripts. */
export interface Session {
  token: string;
  refreshToken: string;
  user: { id: string; name: string };
}

type Listener = (current: Session | undefined) => void;

let current: Session | undefined;
const listeners = new Set<Listener>();

export const session = {
  get: (): Session | undefined => current,
  set(next: Session | undefined): void {
    current = next;
    for (const listener of listeners) listener(current);
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
