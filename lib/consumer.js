// kafka.consumer(): kafkajs's consumer API over the native consumer. Group membership,
// heartbeats, fetching and offsets run in Rust; this layer pulls one batch per native call and
// runs the user's eachMessage/eachBatch over it, resolving offsets as kafkajs does. It also
// matches RegExp subscriptions against the topic names the native side reports, and answers
// custom partition assigners' calls (lib/assigners.js).
'use strict'

const native = require('./native')
const { classes, fromFailure, connectOrThrow } = require('./errors')
const { Instrumentation, emitNetworkEvents } = require('./instrumentation')
const { createAssigners } = require('./assigners')
const { Fetched } = require('./batch')

const { KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } = classes

const events = Object.freeze({
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  GROUP_JOIN: 'consumer.group_join',
  FETCH: 'consumer.fetch',
  FETCH_START: 'consumer.fetch_start',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  CRASH: 'consumer.crash',
  REBALANCING: 'consumer.rebalancing',
  RECEIVED_UNSUBSCRIBED_TOPICS: 'consumer.received_unsubscribed_topics',
  REQUEST: 'consumer.network.request',
  REQUEST_TIMEOUT: 'consumer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'consumer.network.request_queue_size'
})

const key = (topic, partition) => `${topic}|${partition}`

/** Batches a worker takes without a turn of the event loop. */
const BATCHES_IN_A_ROW = 4

/** kafkajs's `heartbeat()` for handlers: heartbeats run in the background, so it has nothing to do. */
const heartbeat = async () => {}

/** The offset after `offset` (a string), through numbers while they are exact. */
const next = (offset) => {
  const following = Number(offset) + 1
  return Number.isSafeInteger(following) ? String(following) : (BigInt(offset) + 1n).toString()
}

/** Creates a consumer; `cluster` is what the Kafka instance shares with its clients. */
function createConsumer ({
  cluster,
  logger: rootLogger,
  retry,
  userRetry,
  groupId,
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
  readUncommitted,
  rackId,
  groupInstanceId,
  maxInFlightRequests
}) {
  const logger = rootLogger.namespace('Consumer')
  const networkEvents = [events.REQUEST, events.REQUEST_TIMEOUT, events.REQUEST_QUEUE_SIZE]
  const networkObserved = () => instrumentation.listening(...networkEvents)
  const instrumentation = new Instrumentation('consumer', events, logger, () => handle?.observeNetwork(networkObserved()))
  const subscriptions = new Map()
  const regexSubscriptions = []
  const pausedBeforeRun = []
  let handle = null
  let running = false
  let workers = []
  /** The batches the workers are handling now. */
  const inHand = new Set()
  let generation = null
  let restartTimer = null
  /** Whether the running consumer commits on its own (kafkajs then commits seeks at once). */
  let autoCommitting = true
  /** Partitions with a seek the handed-out batch does not reflect. */
  const sought = new Set()
  const assigners = createAssigners({
    partitionAssigners,
    groupId,
    logger,
    fetchMetadata: async (topics) => {
      if (!handle) throw new KafkaJSError('The consumer is disconnected')
      const { topics: found, failure } = await handle.topicMetadata(topics)
      if (failure) throw fromFailure(failure)
      return found
    }
  })

  /** The error a native failure stands for: what a custom assigner threw, as it was thrown. */
  const failureError = (failure) => {
    const thrown = failure.kind === 'assigner' ? assigners.lastError() : null
    if (!thrown) return fromFailure(failure)
    if (failure.retryCount == null) return thrown
    return new KafkaJSNumberOfRetriesExceeded(thrown, { retryCount: failure.retryCount, retryTime: failure.retryTime })
  }

  const open = async () => {
    const brokers = await cluster.resolveBrokers()
    const candidate = new native.NativeConsumer({
      ...cluster.connection,
      brokers,
      metadataMaxAge,
      clusterRetry: cluster.retry,
      retry,
      groupId,
      groupInstanceId: groupInstanceId ?? undefined,
      assigners: assigners.specs,
      maxInFlightRequests: maxInFlightRequests ? Number(maxInFlightRequests) : undefined,
      sessionTimeout,
      rebalanceTimeout,
      heartbeatInterval,
      maxBytesPerPartition,
      minBytes,
      maxBytes,
      maxWaitTimeInMs,
      readUncommitted,
      rackId: rackId ?? '',
      allowAutoTopicCreation: allowAutoTopicCreation !== false
    }, (batch) => emitNetworkEvents(instrumentation, events, batch), assigners.call)
    candidate.observeNetwork(networkObserved())
    handle = await connectOrThrow(candidate)
  }

  const connect = async () => {
    if (!handle) await open()
    instrumentation.emit(events.CONNECT)
  }

  const subscribe = async ({ topic, topics, fromBeginning = false } = {}) => {
    if (running) {
      throw new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running')
    }
    if (!topic && !topics) {
      throw new KafkaJSNonRetriableError('Missing required argument "topics"')
    }
    const list = topics ?? [topic]
    for (const t of list) {
      if (t instanceof RegExp) {
        regexSubscriptions.push({ regex: t, fromBeginning })
      } else if (typeof t === 'string' && t.length > 0) {
        subscriptions.set(t, fromBeginning)
      } else {
        throw new KafkaJSNonRetriableError(`Invalid topic ${t} (${typeof t}), the topic name has to be a String or a RegExp`)
      }
    }
    if (regexSubscriptions.length > 0) {
      if (!handle) throw new KafkaJSError('The consumer is disconnected')
      const { names, failure } = await handle.topicNames()
      if (failure) throw fromFailure(failure)
      subscribeMatching(names)
    }
  }

  /** Subscribes to the topics among `names` a RegExp subscription matches; returns the new ones. */
  const subscribeMatching = (names) => {
    const added = []
    for (const { regex, fromBeginning } of regexSubscriptions) {
      for (const name of names) {
        if (regex.test(name) && !subscriptions.has(name)) {
          subscriptions.set(name, fromBeginning)
          added.push({ topic: name, fromBeginning })
        }
      }
    }
    return added
  }

  /** Topics created since the subscription that a RegExp matches join it (the group rejoins). */
  const subscribeCreated = (names) => {
    const added = subscribeMatching(names)
    if (added.length === 0 || !running) return
    logger.info('Subscribing to new topics matching the subscription', { groupId, topics: added.map((t) => t.topic) })
    handle.subscribe(added)
  }

  const emitNative = (list) => {
    for (const e of list) {
      switch (e.type) {
        case 'group_join': {
          const memberAssignment = {}
          // kafkajs lists the topics in the assignment's order and sorts each one's partitions
          // with Array#sort's default (string) order.
          for (const { topic, partitions } of e.memberAssignment) memberAssignment[topic] = partitions.sort()
          generation = { memberId: e.memberId, generationId: e.generationId }
          const payload = {
            groupId,
            memberId: e.memberId,
            leaderId: e.leaderId,
            isLeader: e.isLeader,
            memberAssignment,
            groupProtocol: e.groupProtocol,
            duration: e.duration
          }
          logger.info('Consumer has joined the group', payload)
          instrumentation.emit(events.GROUP_JOIN, payload)
          break
        }
        case 'heartbeat':
          instrumentation.emit(events.HEARTBEAT, { groupId, memberId: e.memberId, groupGenerationId: e.generationId })
          break
        case 'rebalancing':
          instrumentation.emit(events.REBALANCING, { groupId, memberId: e.memberId })
          break
        case 'fetch_start':
          instrumentation.emit(events.FETCH_START, { nodeId: String(e.nodeId) })
          break
        case 'fetch':
          instrumentation.emit(events.FETCH, { numberOfBatches: e.numberOfBatches, duration: e.duration, nodeId: String(e.nodeId) })
          break
        case 'unsubscribed_topics': {
          const payload = {
            groupId,
            generationId: e.generationId,
            memberId: e.memberId,
            assignedTopics: e.assignedTopics,
            topicsSubscribed: e.topicsSubscribed,
            topicsNotSubscribed: e.topicsNotSubscribed
          }
          instrumentation.emit(events.RECEIVED_UNSUBSCRIBED_TOPICS, payload)
          logger.warn('Consumer group received unsubscribed topics', {
            ...payload,
            helpUrl: 'https://kafka.js.org/docs/faq#why-am-i-receiving-messages-for-topics-i-m-not-subscribed-to'
          })
          break
        }
        case 'topics':
          subscribeCreated(e.topicNames)
          break
      }
    }
  }

  /** Commits the given offsets, or every resolved one; emits COMMIT_OFFSETS. */
  const commit = async (offsets, explicit = false) => {
    if (!handle) return
    const list = offsets ?? handle.uncommitted()
    if (list.length === 0) return
    const { failure } = await handle.commit(list)
    if (failure) throw fromFailure(failure)
    const byTopic = new Map()
    for (const { topic, partition, offset } of list) {
      if (!byTopic.has(topic)) byTopic.set(topic, [])
      // kafkajs reports resolved partitions (and fetch node ids) as strings, and commitOffsets'
      // partitions as given, with their metadata.
      byTopic.get(topic).push(explicit ? { partition, offset, metadata: null } : { partition: String(partition), offset })
    }
    instrumentation.emit(events.COMMIT_OFFSETS, {
      groupId,
      memberId: generation?.memberId,
      groupGenerationId: generation?.generationId,
      topics: Array.from(byTopic, ([topic, partitions]) => ({ topic, partitions }))
    })
  }

  const flatten = (topicPartitions) => {
    const list = []
    for (const { topic, partitions } of topicPartitions ?? []) {
      if (!topic || typeof topic !== 'string') {
        throw new KafkaJSNonRetriableError(`Invalid topic ${(topic && topic.toString()) || topic}`)
      }
      for (const partition of partitions ?? []) list.push({ topic, partition })
    }
    return list
  }

  /** Counts pause() calls, so the eachMessage loop asks for the paused set only after one. */
  let pauseCalls = 0
  const pause = (topicPartitions) => {
    pauseCalls++
    const list = flatten(topicPartitions)
    if (handle && running) handle.pause(list)
    else pausedBeforeRun.push(...list)
  }

  const resume = (topicPartitions) => {
    const list = flatten(topicPartitions)
    if (handle) handle.resume(list)
  }

  const paused = () => {
    const byTopic = new Map()
    for (const { topic, partition } of handle?.paused() ?? []) {
      if (!byTopic.has(topic)) byTopic.set(topic, [])
      byTopic.get(topic).push(partition)
    }
    return Array.from(byTopic, ([topic, partitions]) => ({ topic, partitions }))
  }

  const run = async ({
    eachMessage,
    eachBatch,
    autoCommit = true,
    autoCommitInterval = null,
    autoCommitThreshold = null,
    eachBatchAutoResolve = true,
    partitionsConsumedConcurrently = 1
  } = {}) => {
    if (running) {
      logger.warn('consumer#run was called, but the consumer is already running', { groupId })
      return
    }
    if (!handle) throw new KafkaJSError('The consumer is disconnected')
    let lastCommit = Date.now()
    let resolvedSinceCommit = 0
    let failures = 0

    /** Whether autoCommitInterval or autoCommitThreshold call for a commit now. */
    const commitDue = () => autoCommit && (
      (autoCommitInterval != null && Date.now() >= lastCommit + autoCommitInterval) ||
      (autoCommitThreshold != null && resolvedSinceCommit >= autoCommitThreshold))

    /**
     * The commit that followed the last batch (autoCommit). The next batch is handled while it is
     * on the wire; the batch after that waits for it, so a failed commit fails the batch after,
     * whose offsets, like the failed ones, stay resolved and go in a later commit.
     */
    let batchCommit = Promise.resolve()
    const commitAfterBatch = async () => {
      const previous = batchCommit
      batchCommit = Promise.resolve()
      await previous
      lastCommit = Date.now()
      resolvedSinceCommit = 0
      batchCommit = commit()
      batchCommit.catch(() => {})
    }

    const commitIfNecessary = async (pending) => {
      if (!commitDue()) return
      if (pending) handle.resolve(pending)
      await commit()
      lastCommit = Date.now()
      resolvedSinceCommit = 0
    }

    const processBatch = async (fetched) => {
      const { topic, partition } = fetched
      const id = key(topic, partition)
      const started = Date.now()
      const payload = {
        topic,
        partition,
        highWatermark: fetched.highWatermark,
        offsetLag: fetched.offsetLag(),
        offsetLagLow: fetched.offsetLagLow(),
        batchSize: fetched.length,
        firstOffset: fetched.firstOffset(),
        lastOffset: fetched.lastOffset()
      }
      instrumentation.emit(events.START_BATCH_PROCESS, payload)
      if (fetched.isEmpty()) {
        handle.batchDone(topic, partition, fetched.nextOffset, null)
      } else {
        let resolved = null
        // eachMessage counts the messages handled and makes their offset text only when needed.
        let handled = 0
        const settle = () => { if (handled > 0) resolved = fetched.after(handled - 1) }
        const pausePartition = () => {
          pause([{ topic, partitions: [partition] }])
          return () => resume([{ topic, partitions: [partition] }])
        }
        const isPaused = () => handle.paused().some((p) => p.topic === topic && p.partition === partition)
        try {
          if (eachMessage) {
            let pauseCallsChecked = -1
            for (let i = 0; i < fetched.length; i++) {
              if (!running || sought.has(id)) break
              await eachMessage({ topic, partition, message: fetched.message(i), heartbeat, pause: pausePartition })
              handled = i + 1
              resolvedSinceCommit++
              if (commitDue()) await commitIfNecessary([{ topic, partition, offset: fetched.after(i) }])
              if (pauseCalls !== pauseCallsChecked) {
                pauseCallsChecked = pauseCalls
                if (isPaused()) break
              }
            }
            settle()
          } else {
            const batch = fetched.toBatch()
            const last = batch.messages[batch.messages.length - 1]
            await eachBatch({
              batch,
              resolveOffset: (offset) => {
                const offsetToResolve = String(offset) === last.offset ? batch.nextOffset : next(offset)
                if (resolved === null || BigInt(offsetToResolve) > BigInt(resolved)) {
                  resolved = offsetToResolve
                  resolvedSinceCommit++
                }
              },
              heartbeat,
              pause: pausePartition,
              commitOffsetsIfNecessary: async (offsets) => {
                if (offsets) return commitOffsets(offsets)
                return commitIfNecessary(resolved === null ? null : [{ topic, partition, offset: resolved }])
              },
              uncommittedOffsets: () => {
                const pending = handle.uncommitted()
                if (resolved !== null) {
                  const own = pending.find((p) => p.topic === topic && p.partition === partition)
                  if (own) own.offset = resolved
                  else pending.push({ topic, partition, offset: resolved })
                }
                const byTopic = new Map()
                for (const p of pending) {
                  if (!byTopic.has(p.topic)) byTopic.set(p.topic, [])
                  byTopic.get(p.topic).push({ partition: p.partition, offset: p.offset })
                }
                return { topics: Array.from(byTopic, ([topic, partitions]) => ({ topic, partitions })) }
              },
              isRunning: () => running,
              isStale: () => sought.has(id)
            })
            if (eachBatchAutoResolve && !sought.has(id)) resolved = batch.nextOffset
          }
        } catch (e) {
          settle()
          const rewind = sought.has(id) ? null : resolved ?? fetched.firstOffset()
          handle.batchDone(topic, partition, resolved, rewind)
          if (!(e instanceof KafkaJSError)) {
            logger.error(`Error when calling ${eachMessage ? 'eachMessage' : 'eachBatch'}`, {
              topic, partition, offset: resolved ?? fetched.firstOffset(), stack: e.stack, error: e
            })
          }
          if (autoCommit) await commit().catch(() => {})
          throw e
        }
        const complete = resolved === fetched.nextOffset || (resolved !== null && BigInt(resolved) > BigInt(fetched.lastOffset()))
        const rewind = complete || sought.has(id) ? null : resolved ?? fetched.firstOffset()
        handle.batchDone(topic, partition, resolved, rewind)
      }
      instrumentation.emit(events.END_BATCH_PROCESS, { ...payload, duration: Date.now() - started })
      if (autoCommit) await commitAfterBatch()
      failures = 0
    }

    const crash = async (error) => {
      if (!running) return
      logger.error(`Crash: ${error.name}: ${error.message}`, { groupId, retryCount: error.retryCount, stack: error.stack })
      running = false
      const original = (e) => (e.cause ? original(e.cause) : e)
      let restart = error.name === 'KafkaJSNumberOfRetriesExceeded' || original(error).retriable === true
      if (restart && userRetry?.restartOnFailure) {
        restart = await userRetry.restartOnFailure(error).catch(() => true)
      }
      await handle?.stop()
      instrumentation.emit(events.CRASH, { error, groupId, restart })
      if (restart) {
        const retryTime = error.retryTime || retry.initialRetryTime
        logger.error(`Restarting the consumer in ${retryTime}ms`, { retryCount: error.retryCount, retryTime, groupId })
        restartTimer = setTimeout(() => { restartTimer = null; start() }, retryTime)
      }
    }

    /** Hands back a batch taken while stopping, unprocessed: it is fetched again next time. */
    const release = (fetched) => {
      if (fetched.isEmpty()) handle.batchDone(fetched.topic, fetched.partition, fetched.nextOffset, null)
      else handle.batchDone(fetched.topic, fetched.partition, null, fetched.firstOffset())
    }

    /** Handles batches until the consumer stops, then waits for the last batch's commit. */
    const worker = async () => {
      await handleBatches()
      await batchCommit.catch((e) => logger.error('Failed to commit the last batch', { groupId, error: e.message }))
    }

    /**
     * The next poll: a batch fetched ahead is taken at once, but after a few in a row the worker
     * waits through the native side, so the event loop turns (timers, I/O) between batches.
     */
    let takenInARow = 0
    const nextPoll = async () => {
      let poll = takenInARow < BATCHES_IN_A_ROW ? handle.take() : null
      if (poll) {
        takenInARow++
      } else {
        takenInARow = 0
        poll = await handle.next()
      }
      // The events before this batch (its FETCH among them) reach listeners before it does.
      if (handle) emitNative(handle.drainEvents())
      return poll
    }

    const handleBatches = async () => {
      while (running) {
        const poll = await nextPoll()
        if (poll.failure) return crash(failureError(poll.failure))
        if (poll.stopped || !running) {
          if (poll.batch) release(new Fetched(poll.batch))
          return
        }
        if (!poll.batch) continue
        const fetched = new Fetched(poll.batch)
        sought.delete(key(fetched.topic, fetched.partition))
        const handling = processBatch(fetched)
        inHand.add(handling)
        try {
          await handling
        } catch (e) {
          failures++
          if (failures > retry.retries) {
            return crash(new KafkaJSNumberOfRetriesExceeded(e, { retryCount: failures - 1, retryTime: retry.initialRetryTime }))
          }
          const wait = Math.min(retry.maxRetryTime, retry.initialRetryTime * retry.multiplier ** (failures - 1))
          await new Promise((resolve) => setTimeout(resolve, wait))
        } finally {
          inHand.delete(handling)
        }
      }
    }

    const start = async () => {
      const topics = Array.from(subscriptions, ([topic, fromBeginning]) => ({ topic, fromBeginning }))
      failures = 0
      await handle.start(topics, autoCommit, regexSubscriptions.length > 0)
      autoCommitting = autoCommit
      running = true
      if (pausedBeforeRun.length > 0) handle.pause(pausedBeforeRun.splice(0))
      const pump = async () => {
        while (running && await handle.eventsWaiting()) emitNative(handle.drainEvents())
      }
      workers = [pump(), ...Array.from({ length: Math.max(1, partitionsConsumedConcurrently) }, () => worker())]
    }

    await start()
  }

  const stop = async () => {
    if (restartTimer) clearTimeout(restartTimer)
    restartTimer = null
    if (!running) return
    running = false
    // As in kafkajs, a batch being handled is finished first, its commit started included, so
    // that commit (and its COMMIT_OFFSETS) is the batch's own rather than the native stop's.
    await Promise.allSettled(inHand)
    await handle?.stop()
    await Promise.all(workers)
    workers = []
    logger.info('Stopped', { groupId })
    instrumentation.emit(events.STOP)
  }

  const disconnect = async () => {
    await stop()
    handle?.disconnect()
    handle = null
    instrumentation.emit(events.DISCONNECT)
  }

  const commitOffsets = async (topicPartitions = []) => {
    const offsets = topicPartitions.map(({ topic, partition, offset }) => ({ topic, partition, offset: String(offset) }))
    if (offsets.length === 0) return
    await commit(offsets, true)
  }

  const seek = ({ topic, partition, offset } = {}) => {
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`)
    if (isNaN(partition)) throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`)
    let value
    try {
      value = BigInt(offset)
    } catch (_) {
      throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset}`)
    }
    if (value < 0n && value !== -1n && value !== -2n) {
      throw new KafkaJSNonRetriableError('Offset must not be a negative number')
    }
    if (!running) {
      throw new KafkaJSNonRetriableError('Consumer group was not initialized, consumer#run must be called first')
    }
    sought.add(key(topic, Number(partition)))
    handle.seek(topic, Number(partition), value.toString())
    if (autoCommitting) {
      commit([{ topic, partition: Number(partition), offset: value.toString() }]).catch((e) => {
        logger.error('Failed to commit the sought offset', { topic, partition, offset: value.toString(), error: e.message })
      })
    }
  }

  const describeGroup = async () => {
    if (!handle) throw new KafkaJSError('The consumer is disconnected')
    const { failure, ...group } = await handle.describeGroup()
    if (failure) throw fromFailure(failure)
    return group
  }

  return {
    connect,
    disconnect,
    subscribe,
    stop,
    run,
    commitOffsets,
    seek,
    describeGroup,
    pause,
    paused,
    resume,
    on: (eventName, listener) => instrumentation.on(eventName, listener),
    events,
    logger: () => logger
  }
}

module.exports = { createConsumer, consumerEvents: events }
