// Jest config of the example suite: the ferrokafka/jest preset is the one line a project adds.
// Run with `npm run example:jest`.
module.exports = {
  preset: 'ferrokafka/jest',
  transform: { '^.+\\.ts$': ['@swc/jest'] }
}
