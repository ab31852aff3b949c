// The `ferrokafka/jest` preset (`preset: 'ferrokafka/jest'` in a Jest config): one in-process Kafka
// broker for the whole run, started before the first test file and closed after the last. Test
// files, in Jest's workers or in band, find its address in process.env.KAFKA_BROKERS.
'use strict'

module.exports = {
  globalSetup: require.resolve('./global-setup.js'),
  globalTeardown: require.resolve('./global-teardown.js')
}
