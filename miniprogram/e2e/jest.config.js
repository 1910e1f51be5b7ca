// The page-driven end-to-end run (e2e/pages.test.js) against a live backend and stand-ins:
// `npx jest -c e2e/jest.config.js`. The normal `npx jest` (roots: tests/) never runs it;
// tests/miniprogram/test_e2e.py starts the system and runs it.
module.exports = {
  rootDir: '..',
  roots: ['<rootDir>/e2e'],
  testMatch: ['**/e2e/*.test.js'],
  testEnvironment: '<rootDir>/e2e/environment.js',
  testTimeout: 300000,
}
