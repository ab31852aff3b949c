// kafkajs's partitioners. DefaultPartitioner hashes keys with the Java client's murmur2,
// LegacyPartitioner with kafkajs 1.x's; both send keyless messages round-robin over the
// partitions that have a leader. A producer created with one of them partitions in Rust; calling
// them from JavaScript (for instance inside a custom partitioner) gives the same answers.
'use strict'

const { randomBytes } = require('node:crypto')
const native = require('./native')

/** Marks the built-in partitioners, which the native producer runs itself. */
const NATIVE_KIND = Symbol('ferrokafka.partitioner')

const toPositive = (x) => x & 0x7fffffff

function keyBytes (key) {
  return Buffer.isBuffer(key) ? key : Buffer.from(String(key))
}

function builtIn (kind, hash) {
  const createPartitioner = () => {
    const counters = new Map()
    return ({ topic, partitionMetadata, message }) => {
      if (!counters.has(topic)) counters.set(topic, randomBytes(4).readUInt32BE(0))
      if (message.partition !== null && message.partition !== undefined) return message.partition
      const count = partitionMetadata.length
      if (message.key !== null && message.key !== undefined) {
        return toPositive(hash(keyBytes(message.key))) % count
      }
      const next = counters.get(topic) + 1
      counters.set(topic, next)
      const available = partitionMetadata.filter((p) => p.leader >= 0)
      if (available.length > 0) return available[toPositive(next) % available.length].partitionId
      return toPositive(next) % count
    }
  }
  createPartitioner[NATIVE_KIND] = kind
  return createPartitioner
}

const DefaultPartitioner = builtIn('default', native.murmur2Hash)
const LegacyPartitioner = builtIn('legacy', native.legacyMurmur2Hash)

const Partitioners = {
  DefaultPartitioner,
  LegacyPartitioner,
  /** kafkajs's former name for DefaultPartitioner. */
  JavaCompatiblePartitioner: DefaultPartitioner
}

/** `"default"` or `"legacy"` for a built-in partitioner factory, otherwise undefined. */
function nativeKind (createPartitioner) {
  return createPartitioner?.[NATIVE_KIND]
}

module.exports = { Partitioners, nativeKind }
