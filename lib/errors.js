// kafkajs's error classes: the same names, properties and inheritance, so `instanceof` checks,
// `error.name`, `error.retriable` and `error.type` written for kafkajs keep working.
'use strict'

const { describeErrorCode } = require('./error-codes')

const ISSUES_URL = 'https://github.com/tulios/kafkajs/issues'

/** A subclass of `Base` that only sets its own `name`, as most kafkajs error classes do. */
function named (name, Base) {
  const subclass = {
    [name]: class extends Base {
      constructor (e, options) {
        super(e, options)
        this.name = name
      }
    }
  }
  return subclass[name]
}

/** The base class; `e` is a message or an object carrying `message` (and maybe `helpUrl`). */
class KafkaJSError extends Error {
  constructor (e, { retriable = true, cause } = {}) {
    super(typeof e === 'string' ? e : e?.message ?? String(e), { cause })
    Error.captureStackTrace(this, this.constructor)
    this.message = e?.message || e
    this.name = 'KafkaJSError'
    this.retriable = retriable
    this.helpUrl = e?.helpUrl
    this.cause = cause
  }
}

class KafkaJSNonRetriableError extends KafkaJSError {
  constructor (e, { cause } = {}) {
    super(e, { retriable: false, cause })
    this.name = 'KafkaJSNonRetriableError'
  }
}

/** A Kafka error code; `e` describes it: `{ type, code, retriable, message }`. */
class KafkaJSProtocolError extends KafkaJSError {
  constructor (e, { retriable = e.retriable } = {}) {
    super(e, { retriable })
    this.type = e.type
    this.code = e.code
    this.name = 'KafkaJSProtocolError'
  }
}

class KafkaJSOffsetOutOfRange extends KafkaJSProtocolError {
  constructor (e, { topic, partition }) {
    super(e)
    this.topic = topic
    this.partition = partition
    this.name = 'KafkaJSOffsetOutOfRange'
  }
}

class KafkaJSMemberIdRequired extends KafkaJSProtocolError {
  constructor (e, { memberId }) {
    super(e)
    this.memberId = memberId
    this.name = 'KafkaJSMemberIdRequired'
  }
}

/** Retriable failures outlasted every retry; the last one is the `cause`. */
class KafkaJSNumberOfRetriesExceeded extends KafkaJSNonRetriableError {
  constructor (e, { retryCount, retryTime }) {
    super(e, { cause: e })
    this.name = 'KafkaJSNumberOfRetriesExceeded'
    this.stack = `${this.name}\n  Caused by: ${e.stack}`
    this.retryCount = retryCount
    this.retryTime = retryTime
  }
}

class KafkaJSConnectionError extends KafkaJSError {
  constructor (e, { broker, code } = {}) {
    super(e)
    this.broker = broker
    this.code = code
    this.name = 'KafkaJSConnectionError'
  }
}

class KafkaJSConnectionClosedError extends KafkaJSConnectionError {
  constructor (e, { host, port } = {}) {
    super(e, { broker: `${host}:${port}` })
    this.host = host
    this.port = port
    this.name = 'KafkaJSConnectionClosedError'
  }
}

class KafkaJSRequestTimeoutError extends KafkaJSError {
  constructor (e, { broker, correlationId, createdAt, sentAt, pendingDuration } = {}) {
    super(e)
    this.broker = broker
    this.correlationId = correlationId
    this.createdAt = createdAt
    this.sentAt = sentAt
    this.pendingDuration = pendingDuration
    this.name = 'KafkaJSRequestTimeoutError'
  }
}

const KafkaJSMetadataNotLoaded = named('KafkaJSMetadataNotLoaded', KafkaJSError)

class KafkaJSTopicMetadataNotLoaded extends KafkaJSMetadataNotLoaded {
  constructor (e, { topic } = {}) {
    super(e)
    this.topic = topic
    this.name = 'KafkaJSTopicMetadataNotLoaded'
  }
}

class KafkaJSStaleTopicMetadataAssignment extends KafkaJSError {
  constructor (e, { topic, unknownPartitions } = {}) {
    super(e)
    this.topic = topic
    this.unknownPartitions = unknownPartitions
    this.name = 'KafkaJSStaleTopicMetadataAssignment'
  }
}

class KafkaJSDeleteGroupsError extends KafkaJSError {
  constructor (e, groups = []) {
    super(e)
    this.groups = groups
    this.name = 'KafkaJSDeleteGroupsError'
  }
}

class KafkaJSServerDoesNotSupportApiKey extends KafkaJSNonRetriableError {
  constructor (e, { apiKey, apiName } = {}) {
    super(e)
    this.apiKey = apiKey
    this.apiName = apiName
    this.name = 'KafkaJSServerDoesNotSupportApiKey'
  }
}

const KafkaJSBrokerNotFound = named('KafkaJSBrokerNotFound', KafkaJSError)
const KafkaJSPartialMessageError = named('KafkaJSPartialMessageError', KafkaJSNonRetriableError)
const KafkaJSSASLAuthenticationError = named('KafkaJSSASLAuthenticationError', KafkaJSNonRetriableError)
const KafkaJSGroupCoordinatorNotFound = named('KafkaJSGroupCoordinatorNotFound', KafkaJSNonRetriableError)
const KafkaJSNotImplemented = named('KafkaJSNotImplemented', KafkaJSNonRetriableError)
const KafkaJSTimeout = named('KafkaJSTimeout', KafkaJSNonRetriableError)
const KafkaJSLockTimeout = named('KafkaJSLockTimeout', KafkaJSTimeout)
const KafkaJSUnsupportedMagicByteInMessageSet = named('KafkaJSUnsupportedMagicByteInMessageSet', KafkaJSNonRetriableError)

/** Retriable only when every failed partition's error is. */
class KafkaJSDeleteTopicRecordsError extends KafkaJSError {
  constructor ({ partitions }) {
    const failed = partitions.filter(({ error }) => error != null)
    super('Error while deleting records', { retriable: failed.every(({ error }) => error.retriable === true) })
    this.name = 'KafkaJSDeleteTopicRecordsError'
    this.partitions = partitions
  }
}

class KafkaJSInvariantViolation extends KafkaJSNonRetriableError {
  constructor (e) {
    const message = e?.message || e
    super(`Invariant violated: ${message}. This is likely a bug and should be reported.`)
    this.name = 'KafkaJSInvariantViolation'
    const title = encodeURIComponent(`Invariant violation: ${message}`)
    this.helpUrl = `${ISSUES_URL}/new?assignees=&labels=bug&template=bug_report.md&title=${title}`
  }
}

// kafkajs names these two after their parent class.
class KafkaJSInvalidVarIntError extends KafkaJSNonRetriableError {}
class KafkaJSInvalidLongError extends KafkaJSNonRetriableError {}

class KafkaJSCreateTopicError extends KafkaJSProtocolError {
  constructor (e, topicName) {
    super(e)
    this.topic = topicName
    this.name = 'KafkaJSCreateTopicError'
  }
}

class KafkaJSAlterPartitionReassignmentsError extends KafkaJSProtocolError {
  constructor (e, topicName, partition) {
    super(e)
    this.topic = topicName
    this.partition = partition
    this.name = 'KafkaJSAlterPartitionReassignmentsError'
  }
}

class KafkaJSAggregateError extends Error {
  constructor (message, errors) {
    super(message)
    this.errors = errors
    this.name = 'KafkaJSAggregateError'
  }
}

class KafkaJSFetcherRebalanceError extends Error {}

class KafkaJSNoBrokerAvailableError extends KafkaJSError {
  constructor () {
    super('No broker available')
    this.name = 'KafkaJSNoBrokerAvailableError'
  }
}

/** The kafkajs error for a Kafka error code. */
function protocolError (code) {
  return new KafkaJSProtocolError(describeErrorCode(code))
}

/** `host:port` as kafkajs keeps them: the host, and the port as a number. */
function splitAddress (address = '') {
  const at = address.lastIndexOf(':')
  return at < 0 ? [address, undefined] : [address.slice(0, at), Number(address.slice(at + 1))]
}

/** The kafkajs error for a failure reported by the native client (see src/client.rs). */
function fromFailure (failure) {
  let error
  switch (failure.kind) {
    case 'connection':
      error = new KafkaJSConnectionError(failure.message, { broker: failure.broker, code: failure.errno })
      break
    case 'closed': {
      const [host, port] = splitAddress(failure.broker)
      error = new KafkaJSConnectionClosedError(failure.message, { host, port })
      break
    }
    case 'timeout':
      error = new KafkaJSRequestTimeoutError(failure.message, { broker: failure.broker })
      break
    case 'protocol':
      error = protocolError(failure.errorCode)
      break
    case 'unsupported':
      error = new KafkaJSServerDoesNotSupportApiKey('The Kafka server does not support the requested API version', {
        apiKey: failure.apiKey,
        apiName: failure.apiName
      })
      break
    default:
      error = new KafkaJSNonRetriableError(failure.message)
  }
  if (failure.retryCount != null) {
    return new KafkaJSNumberOfRetriesExceeded(error, { retryCount: failure.retryCount, retryTime: failure.retryTime })
  }
  return error
}

/** Connects a native client handle; on failure closes it and throws kafkajs's error. */
async function connectOrThrow (candidate) {
  const failure = await candidate.connect()
  if (failure) {
    candidate.disconnect()
    throw fromFailure(failure)
  }
  return candidate
}

module.exports = {
  classes: {
    KafkaJSError,
    KafkaJSNonRetriableError,
    KafkaJSPartialMessageError,
    KafkaJSBrokerNotFound,
    KafkaJSProtocolError,
    KafkaJSConnectionError,
    KafkaJSConnectionClosedError,
    KafkaJSRequestTimeoutError,
    KafkaJSSASLAuthenticationError,
    KafkaJSNumberOfRetriesExceeded,
    KafkaJSOffsetOutOfRange,
    KafkaJSMemberIdRequired,
    KafkaJSGroupCoordinatorNotFound,
    KafkaJSNotImplemented,
    KafkaJSMetadataNotLoaded,
    KafkaJSTopicMetadataNotLoaded,
    KafkaJSStaleTopicMetadataAssignment,
    KafkaJSDeleteGroupsError,
    KafkaJSTimeout,
    KafkaJSLockTimeout,
    KafkaJSServerDoesNotSupportApiKey,
    KafkaJSUnsupportedMagicByteInMessageSet,
    KafkaJSDeleteTopicRecordsError,
    KafkaJSInvariantViolation,
    KafkaJSInvalidVarIntError,
    KafkaJSInvalidLongError,
    KafkaJSCreateTopicError,
    KafkaJSAggregateError,
    KafkaJSFetcherRebalanceError,
    KafkaJSNoBrokerAvailableError,
    KafkaJSAlterPartitionReassignmentsError
  },
  protocolError,
  fromFailure,
  connectOrThrow
}
