import { openTarget } from '../targets';
import { hardenAdapterFactory } from '../harden-adapter';
async function main() {
  const t = openTarget('postgresql://postgres@127.0.0.1:5432/pe_check_users');
  const h = hardenAdapterFactory(t.factory);
  const a = await h.factory.connect();
  console.log(await a.queryRaw({ sql: "select contype, conname from pg_constraint limit 2", args: [], argTypes: [] }));
  const tx = await a.startTransaction();
  console.log(await tx.queryRaw({ sql: "select contype, conname from pg_constraint limit 2", args: [], argTypes: [] }));
  await tx.commit();
  await h.disposeAll();
}
main().catch((e) => console.error('ERR', e));
