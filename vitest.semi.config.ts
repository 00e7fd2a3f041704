import base from './vitest.config.js';
export default { ...base, test: { ...base.test, execArgv: ['--max-semi-space-size=64'] } };
