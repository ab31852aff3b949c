// ferrokafka: the public CommonJS entry.
'use strict'

const { createBroker, Broker } = require('./lib/broker')

module.exports = { createBroker, Broker }
