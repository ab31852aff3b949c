// Jest runs the TypeScript tests in __test__/ against the built addon.
'use strict'

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/__test__/**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  setupFiles: ['<rootDir>/__test__/helpers/setup-env.js'],
  testTimeout: 60000
}
