import type { Logger } from '../../lib/log';
import type { UsersStore } from './data';
import DEMO_ACCOUNTS from './demo-accounts.json';
import { hashPassword } from './password';

// Demo accounts for development (demo-accounts.json, which `npm start` also prints), created only
// in an empty database. Never used in production: SEED_DEMO_DATA is refused there.

export async function seedDemoUsers(store: UsersStore, log: Logger, withAdmin: boolean): Promise<void> {
  if ((await store.count()) > 0) return;
  const accounts = withAdmin ? [DEMO_ACCOUNTS.customer, DEMO_ACCOUNTS.admin] : [DEMO_ACCOUNTS.customer];
  for (const account of accounts) {
    await store.create({
      email: account.email,
      name: account.name,
      passwordHash: await hashPassword(account.password),
      role: account === DEMO_ACCOUNTS.admin ? 'ADMIN' : 'CUSTOMER',
    });
  }
  log.info('seeded demo accounts (development only)', {
    accounts: accounts.map(({ email, password }) => `${email} / ${password}`),
  });
}

/**
 * Makes sure ADMIN_EMAIL exists as an ADMIN that ADMIN_PASSWORD signs in to. An existing ADMIN is
 * left alone; an existing non-admin account (anyone may sign up with that email first) is
 * promoted only together with a password reset, so whoever registered it cannot become admin.
 */
export async function ensureAdmin(store: UsersStore, log: Logger, admin: { email: string; password: string }): Promise<void> {
  const existing = await store.findByEmail(admin.email);
  if (!existing) {
    await store.create({ email: admin.email, name: 'Administrator', passwordHash: await hashPassword(admin.password), role: 'ADMIN' });
    log.info('created admin account', { email: admin.email });
  } else if (existing.role !== 'ADMIN') {
    await store.makeAdmin(existing.id, await hashPassword(admin.password));
    log.warn('an account already had ADMIN_EMAIL: promoted it to ADMIN and reset its password to ADMIN_PASSWORD', { email: admin.email });
  }
}
