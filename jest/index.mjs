// `ferrokafka/jest` as an ES module.
import helpers from './index.js'

export const { brokers, uniqueName, setup, teardown } = helpers
