// ferrokafka: the public CommonJS entry. Exports kafkajs's API (Kafka, logLevel, Partitioners,
// CompressionTypes, CompressionCodecs, the admin constants and the error classes) and createBroker.
'use strict'

const { createBroker, Broker } = require('./lib/broker')
const { Kafka } = require('./lib/kafka')
const { logLevel } = require('./lib/logger')
const { Partitioners } = require('./lib/partitioners')
const { CompressionTypes, CompressionCodecs } = require('./lib/compression')
const { classes } = require('./lib/errors')
const { PartitionAssigners, AssignerProtocol } = require('./lib/assigners')
const adminConstants = require('./lib/admin-constants')

module.exports = {
  Kafka,
  Partitioners,
  PartitionAssigners,
  AssignerProtocol,
  logLevel,
  CompressionTypes,
  CompressionCodecs,
  ...adminConstants,
  ...classes,
  createBroker,
  Broker
}
