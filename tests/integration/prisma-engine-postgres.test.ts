/**
 * tools/prisma-engine end to end on PostgreSQL (the cases: prisma-engine.cases.ts), when
 * TEST_DATABASE_URL names a server where databases may be created and dropped; skipped, and
 * reported as skipped, without one.
 */
import fs from 'node:fs';
import { postgresTarget, scratchDir } from '../../testing/prisma-cli';
import { prismaEngineCases } from './prisma-engine.cases';

const tmp = scratchDir();
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const server = process.env.TEST_DATABASE_URL;
if (server) prismaEngineCases(postgresTarget(server), tmp);
else test.skip('prisma CLI through tools/prisma-engine on postgres (set TEST_DATABASE_URL)', () => {});
