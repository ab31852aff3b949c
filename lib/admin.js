// kafka.admin(): kafkajs's admin API over the native admin client. Arguments are checked here
// with kafkajs's errors and messages (lib/admin-checks.js); each operation crosses into Rust
// once, and per-item failures are raised with the error classes kafkajs raises.
'use strict'

const native = require('./native')
const { classes, fromFailure, protocolError, connectOrThrow } = require('./errors')
const { eventNames, Instrumentation, emitNetworkEvents } = require('./instrumentation')
const checks = require('./admin-checks')

const {
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSAggregateError,
  KafkaJSCreateTopicError,
  KafkaJSDeleteGroupsError,
  KafkaJSDeleteTopicRecordsError,
  KafkaJSBrokerNotFound,
  KafkaJSTimeout,
  KafkaJSAlterPartitionReassignmentsError
} = classes

const events = eventNames('admin')

const EARLIEST_OFFSET = -2
const LATEST_OFFSET = -1

/** The value of a native outcome, or its failure raised as kafkajs's error. */
function unwrap ({ value, failure }) {
  if (failure) throw fromFailure(failure)
  return value
}

const indexByPartition = (offsets) => new Map(offsets.map((o) => [o.partition, o]))

/**
 * Creates an admin client. `cluster` is what the Kafka instance shares with its clients:
 * `resolveBrokers()`, the connection settings and the client-level retry settings.
 */
function createAdmin ({ cluster, logger: rootLogger, retry }) {
  const logger = rootLogger.namespace('Admin')
  const networkEvents = [events.REQUEST, events.REQUEST_TIMEOUT, events.REQUEST_QUEUE_SIZE]
  const networkObserved = () => instrumentation.listening(...networkEvents)
  const instrumentation = new Instrumentation('admin', events, logger, () => handle?.observeNetwork(networkObserved()))
  let handle = null
  let opening = null

  const open = async () => {
    const brokers = await cluster.resolveBrokers()
    const candidate = new native.NativeAdmin({
      ...cluster.connection,
      brokers,
      clusterRetry: cluster.retry,
      retry
    }, (batch) => emitNetworkEvents(instrumentation, events, batch))
    candidate.observeNetwork(networkObserved())
    handle = await connectOrThrow(candidate)
  }

  /** The native admin, connected on first use like kafkajs's cluster. */
  const nativeAdmin = async () => {
    if (!handle) {
      opening ??= open().finally(() => { opening = null })
      await opening
    }
    return handle
  }

  const connect = async () => {
    await nativeAdmin()
    instrumentation.emit(events.CONNECT)
  }

  const disconnect = async () => {
    if (opening) await opening.catch(() => {})
    handle?.disconnect()
    handle = null
    instrumentation.emit(events.DISCONNECT)
  }

  const createTopics = async ({ topics, validateOnly, timeout, waitForLeaders = true }) => {
    checks.checkCreateTopics(topics)
    const { topicErrors, leadersReady } = unwrap(
      await (await nativeAdmin()).createTopics({ topics, validateOnly, timeout, waitForLeaders })
    )
    if (topicErrors.length > 0) {
      const errors = topicErrors.map(({ topic, errorCode }) => new KafkaJSCreateTopicError(protocolError(errorCode), topic))
      if (errors.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) return false
      throw new KafkaJSAggregateError('Topic creation errors', errors)
    }
    if (!leadersReady) throw new KafkaJSTimeout('Timed out while waiting for topic leaders')
    return true
  }

  const createPartitions = async ({ topicPartitions, validateOnly, timeout }) => {
    checks.checkCreatePartitions(topicPartitions)
    unwrap(await (await nativeAdmin()).createPartitions({ topicPartitions, validateOnly, timeout }))
  }

  const deleteTopics = async ({ topics, timeout }) => {
    checks.checkDeleteTopics(topics)
    const outcome = await (await nativeAdmin()).deleteTopics({ topics, timeout })
    if (outcome.failure?.errorCode === 7) {
      logger.error('Could not delete topics, check if "delete.topic.enable" is set to "true" (the default value is "false") or increase the timeout', {
        error: outcome.failure.message
      })
    }
    unwrap(outcome)
  }

  const listTopics = async () => unwrap(await (await nativeAdmin()).listTopics())

  const fetchTopicMetadata = async ({ topics = [] } = {}) => {
    if (topics) topics.forEach(checks.checkTopic)
    return { topics: unwrap(await (await nativeAdmin()).fetchTopicMetadata(topics ?? [])) }
  }

  const describeCluster = async () => unwrap(await (await nativeAdmin()).describeCluster())

  const fetchTopicOffsets = async (topic) => {
    checks.checkTopic(topic)
    return unwrap(await (await nativeAdmin()).fetchTopicOffsets(topic))
  }

  const fetchTopicOffsetsByTimestamp = async (topic, timestamp) => {
    checks.checkTopic(topic)
    const at = timestamp == null ? undefined : Number(timestamp)
    return unwrap(await (await nativeAdmin()).fetchTopicOffsetsByTimestamp(topic, at))
  }

  const setOffsets = async ({ groupId, topic, partitions }) => {
    checks.checkGroupAndTopic(groupId, topic)
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions')
    const runningState = unwrap(await (await nativeAdmin()).setOffsets({ groupId, topic, partitions }))
    if (runningState != null) {
      throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${runningState}`)
    }
  }

  const resetOffsets = async ({ groupId, topic, earliest = false }) => {
    checks.checkGroupAndTopic(groupId, topic)
    const runningState = unwrap(await (await nativeAdmin()).resetOffsets(groupId, topic, Boolean(earliest)))
    if (runningState != null) {
      throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${runningState}`)
    }
  }

  const fetchOffsets = async ({ groupId, topics, resolveOffsets = false }) => {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${groupId}`)
    if (!topics) topics = []
    if (!Array.isArray(topics)) throw new KafkaJSNonRetriableError('Expected topics array to be set')
    let offsets = unwrap(await (await nativeAdmin()).fetchOffsets({ groupId, topics }))
    if (resolveOffsets) {
      offsets = await Promise.all(offsets.map(async ({ topic, partitions }) => {
        const bounds = indexByPartition(await fetchTopicOffsets(topic))
        const resolved = partitions.map(({ offset, partition, ...props }) => {
          let resolvedOffset = offset
          if (Number(offset) === EARLIEST_OFFSET) resolvedOffset = bounds.get(partition).low
          if (Number(offset) === LATEST_OFFSET) resolvedOffset = bounds.get(partition).high
          return { partition, offset: resolvedOffset, ...props }
        })
        await setOffsets({ groupId, topic, partitions: resolved })
        return { topic, partitions: resolved }
      }))
    }
    return offsets.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, offset, metadata }) => ({ partition, offset, metadata: metadata || null }))
    }))
  }

  const deleteTopicRecords = async ({ topic, partitions }) => {
    checks.checkDeleteTopicRecords(topic, partitions)
    const { errors, retryCount, retryTime } = unwrap(await (await nativeAdmin()).deleteTopicRecords({ topic, partitions }))
    if (errors.length === 0) return
    const leaderless = errors.some(({ errorCode }) => errorCode == null)
    const error = new KafkaJSDeleteTopicRecordsError({
      topic,
      partitions: errors.map(({ partition, offset, errorCode }) => ({
        partition,
        offset: partitions.find((p) => p.partition === partition)?.offset ?? offset,
        error: errorCode == null
          ? new KafkaJSBrokerNotFound('Could not find the leader for the partition', { retriable: false })
          : protocolError(errorCode)
      }))
    })
    if (leaderless) throw error
    if (retryCount != null) throw new KafkaJSNumberOfRetriesExceeded(error, { retryCount, retryTime })
    throw new KafkaJSNonRetriableError(error, { cause: error })
  }

  const describeConfigs = async ({ resources, includeSynonyms }) => {
    checks.checkDescribeConfigs(resources)
    return { resources: unwrap(await (await nativeAdmin()).describeConfigs({ resources, includeSynonyms: Boolean(includeSynonyms) })) }
  }

  const alterConfigs = async ({ resources, validateOnly }) => {
    checks.checkAlterConfigs(resources)
    return { resources: unwrap(await (await nativeAdmin()).alterConfigs({ resources, validateOnly: !!validateOnly })) }
  }

  const listGroups = async () => ({ groups: unwrap(await (await nativeAdmin()).listGroups()) })

  const describeGroups = async (groupIds) => {
    const groups = unwrap(await (await nativeAdmin()).describeGroups(groupIds.map(String)))
    return {
      groups: groups.map((group) => ({
        ...group,
        members: group.members.map((member) => ({
          ...member,
          memberMetadata: Buffer.from(member.memberMetadata),
          memberAssignment: Buffer.from(member.memberAssignment)
        }))
      }))
    }
  }

  const deleteGroups = async (groupIds) => {
    checks.checkDeleteGroups(groupIds)
    const results = unwrap(await (await nativeAdmin()).deleteGroups(groupIds))
    const errors = results
      .filter(({ errorCode }) => errorCode !== 0)
      .map(({ groupId, errorCode }) => ({ groupId, errorCode, error: protocolError(errorCode) }))
    if (errors.length > 0) throw new KafkaJSDeleteGroupsError('Error in DeleteGroups', errors)
    return results
  }

  const createAcls = async ({ acl }) => {
    checks.checkCreateAcls(acl)
    unwrap(await (await nativeAdmin()).createAcls(acl))
    return true
  }

  const describeAcls = async (filter) => {
    checks.checkDescribeAcls(filter)
    return { resources: unwrap(await (await nativeAdmin()).describeAcls(filter)) }
  }

  const deleteAcls = async ({ filters }) => {
    checks.checkDeleteAcls(filters)
    return { filterResponses: unwrap(await (await nativeAdmin()).deleteAcls(filters)) }
  }

  const alterPartitionReassignments = async ({ topics, timeout }) => {
    checks.checkReassignments(topics)
    const { value, failure } = await (await nativeAdmin()).alterPartitionReassignments({ topics, timeout })
    if (failure?.kind === 'protocol' && failure.retryCount == null) {
      throw new KafkaJSAlterPartitionReassignmentsError(protocolError(failure.errorCode))
    }
    const refused = unwrap({ value, failure })
    if (refused.length > 0) {
      throw new KafkaJSAggregateError('Errors altering partition reassignments', refused.map(({ topic, partition, errorCode }) =>
        new KafkaJSAlterPartitionReassignmentsError(protocolError(errorCode), topic, partition)))
    }
  }

  const listPartitionReassignments = async ({ topics = null, timeout }) => {
    checks.checkListReassignments(topics)
    return { topics: unwrap(await (await nativeAdmin()).listPartitionReassignments({ topics: topics || null, timeout })) }
  }

  return {
    connect,
    disconnect,
    listTopics,
    createTopics,
    deleteTopics,
    createPartitions,
    fetchTopicMetadata,
    describeCluster,
    events,
    fetchOffsets,
    fetchTopicOffsets,
    fetchTopicOffsetsByTimestamp,
    setOffsets,
    resetOffsets,
    describeConfigs,
    alterConfigs,
    on: (eventName, listener) => instrumentation.on(eventName, listener),
    logger: () => logger,
    listGroups,
    describeGroups,
    deleteGroups,
    describeAcls,
    deleteAcls,
    createAcls,
    deleteTopicRecords,
    alterPartitionReassignments,
    listPartitionReassignments
  }
}

module.exports = { createAdmin }
