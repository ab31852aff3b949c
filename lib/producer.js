// kafka.producer(): kafkajs's producer API over the native producer. Arguments are checked here
// with kafkajs's errors and messages; each send crosses into Rust once with every message.
'use strict'

const native = require('./native')
const { classes, fromFailure, connectOrThrow } = require('./errors')
const { CompressionTypes, isCompressionType } = require('./compression')
const { eventNames, Instrumentation, emitNetworkEvents } = require('./instrumentation')
const { nativeKind } = require('./partitioners')
const { packMessages, packSends } = require('./pack')
const { Outstanding } = require('./outstanding')

const { KafkaJSError, KafkaJSNonRetriableError } = classes

const events = eventNames('producer')

/** kafkajs's `maxInFlightRequests: null`: no limit on Produce requests in flight per broker. */
const UNLIMITED_IN_FLIGHT = 2 ** 31 - 1

const CONNECTED = 'connected'
const DISCONNECTING = 'disconnecting'
const DISCONNECTED = 'disconnected'

/** kafkajs's checks on a sendBatch request, in kafkajs's order and words. */
function checkTopicMessages (topicMessages) {
  if (topicMessages.some(({ topic }) => !topic)) {
    throw new KafkaJSNonRetriableError('Invalid topic')
  }
  for (const { topic, messages } of topicMessages) {
    if (!messages) {
      throw new KafkaJSNonRetriableError(`Invalid messages array [${messages}] for topic "${topic}"`)
    }
    const withoutValue = messages.find((message) => message.value === undefined)
    if (withoutValue) {
      throw new KafkaJSNonRetriableError(
        `Invalid message without value for topic "${topic}": ${JSON.stringify(withoutValue)}`
      )
    }
  }
}

/** Messages for the same topic are sent together, as kafkajs does. */
function mergeByTopic (topicMessages) {
  if (topicMessages.length === 1) return topicMessages
  const merged = new Map()
  for (const { topic, messages } of topicMessages) {
    const previous = merged.get(topic)
    merged.set(topic, previous ? previous.concat(messages) : messages)
  }
  return Array.from(merged, ([topic, messages]) => ({ topic, messages }))
}

/**
 * Creates a producer. `cluster` is what the Kafka instance shares with its producers:
 * `resolveBrokers()`, the connection settings and the client-level retry settings.
 */
function createProducer ({ cluster, logger: rootLogger, retry, createPartitioner, allowAutoTopicCreation, metadataMaxAge, maxInFlightRequests, lingerMs }) {
  const logger = rootLogger.namespace('Producer')
  const networkEvents = [events.REQUEST, events.REQUEST_TIMEOUT, events.REQUEST_QUEUE_SIZE]
  const networkObserved = () => instrumentation.listening(...networkEvents)
  const instrumentation = new Instrumentation('producer', events, logger, () => handle?.observeNetwork(networkObserved()))
  const kind = nativeKind(createPartitioner)
  const partitioner = kind ? null : createPartitioner()
  let status = DISCONNECTED
  let handle = null
  const outcomes = new Outstanding((sends) => {
    if (!handle) throw new Error('The producer is disconnected')
    handle.send(packSends(sends))
  })
  let connecting = null

  const open = async () => {
    const brokers = await cluster.resolveBrokers()
    const candidate = new native.NativeProducer({
      ...cluster.connection,
      brokers,
      metadataMaxAge,
      allowAutoTopicCreation,
      maxInFlightRequests: maxInFlightRequests ?? UNLIMITED_IN_FLIGHT,
      lingerMs: Math.max(0, Number(lingerMs) || 0),
      partitioner: kind ?? 'default',
      clusterRetry: cluster.retry,
      retry
    }, outcomes.settle, (batch) => emitNetworkEvents(instrumentation, events, batch))
    candidate.observeNetwork(networkObserved())
    handle = await connectOrThrow(candidate)
  }

  const connect = async () => {
    if (!handle) {
      connecting ??= open().finally(() => { connecting = null })
      await connecting
    }
    status = CONNECTED
    instrumentation.emit(events.CONNECT)
  }

  const disconnect = async () => {
    status = DISCONNECTING
    if (connecting) await connecting.catch(() => {})
    handle?.disconnect()
    handle = null
    status = DISCONNECTED
    instrumentation.emit(events.DISCONNECT)
  }

  /** A custom partitioner's choice for every message, called with kafkajs's arguments. */
  const customPartitions = async (topicMessages) => {
    const { topics, failure } = await handle.partitionMetadata(topicMessages.map(({ topic }) => topic))
    if (failure) throw fromFailure(failure)
    return topicMessages.map(({ topic, messages }, i) => {
      const partitionMetadata = topics[i].partitions
      return messages.map((message) => partitioner({ topic, partitionMetadata, message }))
    })
  }

  const sendBatch = async ({ acks = -1, timeout = 30000, compression, topicMessages = [] } = {}) => {
    checkTopicMessages(topicMessages)
    if (status === DISCONNECTING) {
      throw new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore")
    }
    if (status === DISCONNECTED || !handle) {
      throw new KafkaJSError('The producer is disconnected')
    }
    const codec = compression ?? CompressionTypes.None
    if (!isCompressionType(codec)) {
      throw new KafkaJSNonRetriableError(`Unsupported compression type ${compression}`)
    }
    const merged = mergeByTopic(topicMessages)
    const chosen = partitioner ? await customPartitions(merged) : null
    const outgoing = merged.map(({ topic, messages }, i) => packMessages(topic, messages, chosen?.[i]))
    const { records, failure } = await outcomes.start({ topics: outgoing, acks, timeout, compression: codec })
    if (failure) {
      const error = fromFailure(failure)
      logger.error(error.message, { retryCount: failure.retryCount, retryTime: failure.retryTime })
      throw error
    }
    return records
  }

  const send = async ({ acks, timeout, compression, topic, messages } = {}) =>
    sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] })

  const transaction = async () => {
    throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer')
  }

  return {
    connect,
    disconnect,
    isIdempotent: () => false,
    events,
    on: (eventName, listener) => instrumentation.on(eventName, listener),
    send,
    sendBatch,
    transaction,
    logger: () => logger
  }
}

module.exports = { createProducer }
