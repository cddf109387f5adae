/** tools/prisma-engine end to end on the embedded database (the cases: prisma-engine.cases.ts). */
import fs from 'node:fs';
import { pgliteTarget, scratchDir } from '../../testing/prisma-cli';
import { prismaEngineCases } from './prisma-engine.cases';

const tmp = scratchDir();
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

prismaEngineCases(pgliteTarget(tmp), tmp);
