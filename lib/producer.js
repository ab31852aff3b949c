// kafka.producer(): kafkajs's producer API over the native producer. Arguments are checked here
// with kafkajs's errors and messages; each send crosses into Rust once with every message. An
// idempotent producer gets its producer id when it connects; a producer with a transactionalId
// runs transactions (lib/transaction.js).
'use strict'

const native = require('./native')
const { classes, fromFailure, connectOrThrow } = require('./errors')
const { CompressionTypes, isCompressionType } = require('./compression')
const { eventNames, Instrumentation, emitNetworkEvents } = require('./instrumentation')
const { nativeKind } = require('./partitioners')
const { Burst, unpackOutcomes } = require('./pack')
const { Outstanding } = require('./outstanding')
const { createTransaction } = require('./transaction')

const { KafkaJSError, KafkaJSNonRetriableError } = classes

const events = eventNames('producer')

/** kafkajs's `maxInFlightRequests: null`: no limit on Produce requests in flight per broker. */
const UNLIMITED_IN_FLIGHT = 2 ** 31 - 1

const CONNECTED = 'connected'
const DISCONNECTING = 'disconnecting'
const DISCONNECTED = 'disconnected'

/** kafkajs's default transactionTimeout. */
const DEFAULT_TRANSACTION_TIMEOUT = 60000

/** kafkajs's checks on a sendBatch request, in kafkajs's order and words. */
function checkSendBatch (topicMessages, acks, idempotent) {
  if (topicMessages.some(({ topic }) => !topic)) {
    throw new KafkaJSNonRetriableError('Invalid topic')
  }
  if (idempotent && acks !== -1) {
    throw new KafkaJSNonRetriableError("Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees")
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
 * `resolveBrokers()`, the connection settings and the client-level retry settings. `retry` is
 * in effect; `retryOptions` is what the user set (client and producer options merged, as kafkajs
 * checks them for idempotent producers).
 */
function createProducer ({
  cluster,
  logger: rootLogger,
  retry,
  retryOptions,
  createPartitioner,
  allowAutoTopicCreation,
  metadataMaxAge,
  maxInFlightRequests,
  lingerMs,
  idempotent = false,
  transactionalId,
  transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT
}) {
  if (idempotent && retryOptions.retries < 1) {
    throw new KafkaJSNonRetriableError('Idempotent producer must allow retries to protect against transient errors')
  }
  const logger = rootLogger.namespace('Producer')
  if (idempotent && retryOptions.retries < Number.MAX_SAFE_INTEGER) {
    logger.warn('Limiting retries for the idempotent producer may invalidate EoS guarantees')
  }
  const networkEvents = [events.REQUEST, events.REQUEST_TIMEOUT, events.REQUEST_QUEUE_SIZE]
  const networkObserved = () => instrumentation.listening(...networkEvents)
  const instrumentation = new Instrumentation('producer', events, logger, () => handle?.observeNetwork(networkObserved()))
  const kind = nativeKind(createPartitioner)
  const partitioner = kind ? null : createPartitioner()
  const builtInPartitioner = new native.NativePartitioner(kind ?? 'default')
  let status = DISCONNECTED
  let handle = null
  let hasProducerId = false
  // The packed messages of the sends started in this tick, per transaction (none: undefined);
  // they cross into Rust together when the tick's sends do. Emptied bursts are kept for reuse.
  let bursts = new Map()
  const idle = []
  const burstOf = (transaction) => {
    let burst = bursts.get(transaction)
    if (!burst) bursts.set(transaction, burst = idle.pop() ?? new Burst())
    return burst
  }
  const outcomes = new Outstanding((sends) => {
    const taken = bursts
    bursts = new Map()
    if (!handle) throw new Error('The producer is disconnected')
    // Sends outside a transaction cross together, and so do the sends of each transaction.
    const byTransaction = new Map()
    for (const send of sends) {
      const same = byTransaction.get(send.transaction)
      if (same) same.push(send)
      else byTransaction.set(send.transaction, [send])
    }
    for (const [transaction, same] of byTransaction) {
      const burst = taken.get(transaction)
      handle.send(burst.take(same), transaction)
      burst.reset()
      idle.push(burst)
    }
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
      clusterRetry: cluster.retry,
      retry,
      idempotent: Boolean(idempotent),
      transactionalId: transactionalId ? String(transactionalId) : undefined,
      transactionTimeout: Number(transactionTimeout)
    }, builtInPartitioner, (packed) => {
      // A send's REQUEST event reaches listeners before its promise settles, as in kafkajs.
      emitNetworkEvents(instrumentation, events, candidate.takeNetworkEvents())
      outcomes.settle(unpackOutcomes(packed))
    }, (batch) => emitNetworkEvents(instrumentation, events, batch))
    candidate.observeNetwork(networkObserved())
    handle = await connectOrThrow(candidate)
    hasProducerId = false
  }

  const connect = async () => {
    if (!handle) {
      connecting ??= open().finally(() => { connecting = null })
      await connecting
    }
    status = CONNECTED
    instrumentation.emit(events.CONNECT)
    if (idempotent && !hasProducerId) {
      const failure = await handle.initProducerId()
      if (failure) throw fromFailure(failure)
      hasProducerId = true
    }
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

  /** Throws kafkajs's error unless the producer can take messages. */
  const checkConnected = () => {
    if (status === DISCONNECTING) {
      throw new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore")
    }
    if (status === DISCONNECTED || !handle) {
      throw new KafkaJSError('The producer is disconnected')
    }
  }

  /** kafkajs's sendBatch, sent idempotently when `idempotent`, in `transaction` when given. */
  const sendBatchWith = async ({ idempotent, transaction }, { acks = -1, timeout = 30000, compression, topicMessages = [] } = {}) => {
    checkSendBatch(topicMessages, acks, idempotent)
    checkConnected()
    const codec = compression ?? CompressionTypes.None
    if (!isCompressionType(codec)) {
      throw new KafkaJSNonRetriableError(`Unsupported compression type ${compression}`)
    }
    const merged = mergeByTopic(topicMessages)
    const chosen = partitioner ? await customPartitions(merged) : null
    const packed = burstOf(transaction).add(merged, chosen)
    const { records, failure } = await outcomes.start({ topics: packed, acks, timeout, compression: codec, transaction })
    if (failure) {
      const error = fromFailure(failure)
      logger.error(error.message, { retryCount: failure.retryCount, retryTime: failure.retryTime })
      throw error
    }
    return records
  }

  const sendBatch = (batch) => sendBatchWith({ idempotent }, batch)

  const send = async ({ acks, timeout, compression, topic, messages } = {}) =>
    sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] })

  const transaction = async () => {
    if (!transactionalId) {
      throw new KafkaJSNonRetriableError('Must provide transactional id for transactional producer')
    }
    checkConnected()
    const owner = handle
    const { generation, failure } = await owner.beginTransaction()
    if (failure) throw fromFailure(failure)
    return createTransaction({
      owner,
      generation,
      sendBatch: (batch) => sendBatchWith({ idempotent: true, transaction: generation }, batch)
    })
  }

  return {
    connect,
    disconnect,
    isIdempotent: () => idempotent,
    events,
    on: (eventName, listener) => instrumentation.on(eventName, listener),
    send,
    sendBatch,
    transaction,
    logger: () => logger
  }
}

module.exports = { createProducer }
