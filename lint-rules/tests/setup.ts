// Wires typescript-eslint's RuleTester into vitest.
import { RuleTester } from '@typescript-eslint/rule-tester';
import { afterAll, describe, it } from 'vitest';

RuleTester.afterAll = afterAll;
RuleTester.describe = describe;
RuleTester.describeSkip = describe.skip;
RuleTester.it = it;
RuleTester.itOnly = it.only;
RuleTester.itSkip = it.skip;

export const ruleTester = new RuleTester();

/** An absolute file name inside the repo, as ESLint hands it to a rule. */
export const at = (path: string) => `${process.cwd()}/${path}`;
