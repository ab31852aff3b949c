// new Kafka(config): kafkajs's client entry point. Holds the connection settings, the logger and
// the client-level retry options that every producer shares.
'use strict'

const { classes: { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNotImplemented } } = require('./errors')
const { createLogger, logLevel, consoleLogCreator } = require('./logger')
const { retrySettings } = require('./retry')
const { createProducer } = require('./producer')
const { createConsumer } = require('./consumer')
const { PartitionAssigners } = require('./assigners')
const { createAdmin } = require('./admin')
const { Partitioners } = require('./partitioners')

const DEFAULT_METADATA_MAX_AGE = 300000
/** The request timeout when `enforceRequestTimeout` is false: requests wait as long as it takes. */
const UNENFORCED_REQUEST_TIMEOUT = 2 ** 31 - 1

let partitionerNoticeGiven = false

/** kafkajs's check of a broker list, with its messages. */
function checkBrokers (brokers) {
  if (!brokers) {
    throw new KafkaJSNonRetriableError('Failed to connect: brokers should not be null')
  }
  if (Array.isArray(brokers)) {
    if (brokers.length === 0) {
      throw new KafkaJSNonRetriableError('Failed to connect: brokers array is empty')
    }
    brokers.forEach((broker, index) => {
      if (typeof broker !== 'string' || broker.length === 0) {
        throw new KafkaJSNonRetriableError(`Failed to connect: broker at index ${index} is invalid "${typeof broker}"`)
      }
    })
  }
  return brokers
}

/** `brokers` as given: an array, or a function (sync or async) returning one at each connect. */
async function resolveBrokers (brokers) {
  if (typeof brokers !== 'function') return checkBrokers(brokers)
  let list
  try {
    list = await brokers()
  } catch (e) {
    const error = new KafkaJSConnectionError(`Failed to connect: "config.brokers" threw: ${e.message}`)
    error.stack = `${error.name}\n  Caused by: ${e.stack}`
    throw error
  }
  return checkBrokers(list)
}

class Kafka {
  #cluster
  #retry
  #logger

  constructor ({
    brokers,
    ssl,
    sasl,
    clientId = 'kafkajs',
    connectionTimeout = 1000,
    requestTimeout = 30000,
    enforceRequestTimeout = true,
    retry,
    logLevel: level = logLevel.INFO,
    logCreator = consoleLogCreator
  } = {}) {
    if (ssl) throw new KafkaJSNotImplemented('ssl is not supported by ferrokafka yet: connect without TLS')
    if (sasl) throw new KafkaJSNotImplemented('sasl is not supported by ferrokafka yet: connect without authentication')
    this.#logger = createLogger({ level, logCreator })
    this.#retry = retry
    this.#cluster = {
      resolveBrokers: () => resolveBrokers(brokers),
      connection: {
        clientId: String(clientId),
        connectionTimeout: Number(connectionTimeout),
        requestTimeout: enforceRequestTimeout ? Number(requestTimeout) : UNENFORCED_REQUEST_TIMEOUT
      },
      retry: retrySettings(retry)
    }
  }

  /** A producer; see kafkajs's ProducerConfig for the options. */
  producer ({
    createPartitioner,
    retry,
    metadataMaxAge = DEFAULT_METADATA_MAX_AGE,
    allowAutoTopicCreation = true,
    maxInFlightRequests = null,
    lingerMs = 0,
    idempotent = false,
    transactionalId,
    transactionTimeout
  } = {}) {
    if (createPartitioner == null && !partitionerNoticeGiven && process.env.KAFKAJS_NO_PARTITIONER_WARNING == null) {
      partitionerNoticeGiven = true
      this.#logger.warn('KafkaJS v2.0.0 switched default partitioner. To retain the same partitioning behavior as in previous versions, create the producer with the option "createPartitioner: Partitioners.LegacyPartitioner". Silence this warning by setting the environment variable "KAFKAJS_NO_PARTITIONER_WARNING=1"')
    }
    return createProducer({
      cluster: this.#cluster,
      logger: this.#logger,
      retry: retrySettings(this.#retry, retry),
      retryOptions: { ...this.#retry, ...retry },
      createPartitioner: createPartitioner ?? Partitioners.DefaultPartitioner,
      allowAutoTopicCreation,
      metadataMaxAge,
      maxInFlightRequests,
      lingerMs,
      idempotent,
      transactionalId,
      transactionTimeout
    })
  }

  /** A consumer in group `groupId`; see kafkajs's ConsumerConfig for the options. */
  consumer ({
    groupId,
    partitionAssigners = [PartitionAssigners.roundRobin],
    metadataMaxAge = DEFAULT_METADATA_MAX_AGE,
    sessionTimeout = 30000,
    rebalanceTimeout = 60000,
    heartbeatInterval = 3000,
    maxBytesPerPartition = 1048576,
    minBytes = 1,
    maxBytes = 10485760,
    maxWaitTimeInMs = 5000,
    retry = { retries: 5 },
    allowAutoTopicCreation = true,
    maxInFlightRequests = null,
    readUncommitted = false,
    rackId = '',
    groupInstanceId
  } = {}) {
    if (!groupId) throw new KafkaJSNonRetriableError('Consumer groupId must be a non-empty string.')
    return createConsumer({
      cluster: this.#cluster,
      logger: this.#logger,
      retry: retrySettings(this.#retry, retry),
      userRetry: retry,
      groupId: String(groupId),
      partitionAssigners,
      sessionTimeout,
      rebalanceTimeout,
      heartbeatInterval,
      metadataMaxAge,
      allowAutoTopicCreation,
      maxBytesPerPartition,
      minBytes,
      maxBytes,
      maxWaitTimeInMs,
      maxInFlightRequests,
      readUncommitted,
      rackId,
      groupInstanceId
    })
  }

  /** An admin client; `retry` is layered over the client's retry options. */
  admin ({ retry } = {}) {
    return createAdmin({ cluster: this.#cluster, logger: this.#logger, retry: retrySettings(this.#retry, retry) })
  }

  /** The client's root logger. */
  logger () {
    return this.#logger
  }
}

module.exports = { Kafka }
