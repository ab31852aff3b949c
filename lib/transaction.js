// The object producer.transaction() resolves with: kafkajs's send, sendBatch, sendOffsets,
// commit, abort and isActive. The transaction state lives in Rust (NativeProducer); every call
// made after the transaction ended rejects with kafkajs's error before anything else is checked.
'use strict'

const assert = require('assert')
const { classes: { KafkaJSNonRetriableError }, fromFailure } = require('./errors')

/**
 * A transaction of the native producer `owner`. `sendBatch` is the producer's sendBatch bound to
 * this transaction.
 */
function createTransaction ({ owner, generation, sendBatch }) {
  const isActive = () => owner.transactionActive(generation)

  const guard = (fn) => (...args) => {
    if (!isActive()) {
      return Promise.reject(new KafkaJSNonRetriableError('Cannot continue to use transaction once ended'))
    }
    return fn(...args)
  }

  const settle = async (pending) => {
    const failure = await pending
    if (failure) throw fromFailure(failure)
  }

  return {
    sendBatch: guard(sendBatch),
    send: guard(({ acks, timeout, compression, topic, messages } = {}) =>
      sendBatch({ acks, timeout, compression, topicMessages: [{ topic, messages }] })),
    sendOffsets: guard(async ({ consumerGroupId, topics }) => {
      assert(consumerGroupId, 'Missing consumerGroupId')
      assert(topics, 'Missing offset topics')
      const offsets = topics.map(({ topic, partitions }) => ({
        topic: String(topic),
        partitions: partitions.map(({ partition, offset }) => ({ partition, offset: String(offset) }))
      }))
      await settle(owner.sendOffsets(generation, String(consumerGroupId), offsets))
    }),
    commit: guard(() => settle(owner.endTransaction(generation, true))),
    abort: guard(() => settle(owner.endTransaction(generation, false))),
    isActive
  }
}

module.exports = { createTransaction }
