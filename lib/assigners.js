// kafkajs's PartitionAssigners and AssignerProtocol, and the bridge to custom assigners. The
// built-in assigners run in Rust when this client leads the group; here they are named. Custom
// assigners (kafkajs's `({ cluster }) => ({ name, version, protocol, assign })`) are called from
// the native membership code: `protocol` for every JoinGroup, `assign` when this member leads.
'use strict'

const { classes: { KafkaJSNonRetriableError, KafkaJSTopicMetadataNotLoaded } } = require('./errors')

const NATIVE = Symbol('ferrokafka.assigner')

/** A built-in assigner: kafkajs's factory shape, carrying the protocol name Rust implements. */
function builtIn (name) {
  const factory = () => ({
    name,
    version: 0,
    assign: async () => { throw new Error(`${name} assigns in the native client`) },
    protocol: ({ topics }) => ({ name, metadata: MemberMetadata.encode({ version: 0, topics }) })
  })
  factory[NATIVE] = name
  return factory
}

/** The protocol name of a built-in assigner factory, or undefined for a custom one. */
const nativeAssigner = (factory) => factory?.[NATIVE]

const writeString = (s) => {
  const body = Buffer.from(s)
  const out = Buffer.alloc(2 + body.length)
  out.writeInt16BE(body.length, 0)
  body.copy(out, 2)
  return out
}
const int16 = (v) => { const b = Buffer.alloc(2); b.writeInt16BE(v, 0); return b }
const int32 = (v) => { const b = Buffer.alloc(4); b.writeInt32BE(v, 0); return b }
const bytes = (buffer) => Buffer.concat([int32(buffer.length), buffer])

/** Reads the consumer protocol's fields from a buffer. */
class Reader {
  constructor (buffer) { this.buffer = buffer; this.at = 0 }
  int16 () { const v = this.buffer.readInt16BE(this.at); this.at += 2; return v }
  int32 () { const v = this.buffer.readInt32BE(this.at); this.at += 4; return v }
  string () { const n = this.int16(); const s = this.buffer.toString('utf8', this.at, this.at + n); this.at += n; return s }
  array (item) { const n = this.int32(); return Array.from({ length: Math.max(0, n) }, () => item()) }
  bytes () {
    const n = this.int32()
    if (n < 0) return null
    const b = this.buffer.subarray(this.at, this.at + n)
    this.at += n
    return b
  }
}

const MemberMetadata = {
  encode ({ version, topics, userData = Buffer.alloc(0) }) {
    return Buffer.concat([int16(version), int32(topics.length), ...topics.map(writeString), bytes(userData)])
  },
  decode (buffer) {
    const r = new Reader(buffer)
    return { version: r.int16(), topics: r.array(() => r.string()), userData: r.bytes() }
  }
}

const MemberAssignment = {
  encode ({ version, assignment, userData = Buffer.alloc(0) }) {
    const topics = Object.keys(assignment)
    return Buffer.concat([
      int16(version),
      int32(topics.length),
      ...topics.flatMap((topic) => [writeString(topic), int32(assignment[topic].length), ...assignment[topic].map(int32)]),
      bytes(userData)
    ])
  },
  decode (buffer) {
    if (buffer.length < 2) return null
    const r = new Reader(buffer)
    const version = r.int16()
    const assignment = {}
    for (const { topic, partitions } of r.array(() => ({ topic: r.string(), partitions: r.array(() => r.int32()) }))) {
      assignment[topic] = partitions
    }
    return { version, assignment, userData: r.bytes() }
  }
}

const PartitionAssigners = Object.freeze({
  roundRobin: builtIn('RoundRobinAssigner'),
  range: builtIn('range')
})

const AssignerProtocol = Object.freeze({ MemberMetadata, MemberAssignment })

/**
 * The `cluster` custom assigners receive: the part of kafkajs's Cluster an assigner uses, the
 * partition metadata of the group's topics. Before an assignment the native leader hands over
 * the metadata it just refreshed, so `findTopicPartitionMetadata` answers what it assigns from.
 */
function assignerCluster (fetchMetadata) {
  let known = null
  const update = (topics) => {
    known ??= new Map()
    for (const { topic, partitions } of topics) known.set(topic, partitions)
  }
  const refreshMetadata = async () => update(await fetchMetadata(known ? [...known.keys()] : []))
  return {
    update,
    view: {
      findTopicPartitionMetadata (topic) {
        if (!known) throw new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded', { topic })
        return known.get(topic) ?? []
      },
      refreshMetadata,
      refreshMetadataIfNecessary: refreshMetadata
    }
  }
}

/** An assigner's plan checked and converted for the native SyncGroup request. */
function checkPlan (name, plan) {
  if (!Array.isArray(plan)) {
    throw new KafkaJSNonRetriableError(`Invalid assignment from partition assigner "${name}": expected an array of { memberId, memberAssignment }`)
  }
  return plan.map(({ memberId, memberAssignment } = {}) => {
    if (typeof memberId !== 'string' || !Buffer.isBuffer(memberAssignment)) {
      throw new KafkaJSNonRetriableError(`Invalid assignment from partition assigner "${name}": memberId must be a string and memberAssignment a Buffer (AssignerProtocol.MemberAssignment.encode)`)
    }
    return { memberId, memberAssignment }
  })
}

/**
 * The consumer's assigners: `specs` for the native consumer (protocol names in preference
 * order, custom ones marked), `call` answering the native side's protocol and assign requests,
 * and `lastError()`, what a custom assigner last threw (the crash reports that very error).
 */
function createAssigners ({ partitionAssigners, groupId, logger, fetchMetadata }) {
  const cluster = assignerCluster(fetchMetadata)
  const custom = []
  const specs = partitionAssigners.map((factory) => {
    const name = nativeAssigner(factory)
    if (name) return { name, custom: false }
    const assigner = factory({ groupId, logger, cluster: cluster.view })
    custom.push(assigner)
    return { name: String(assigner?.name), custom: true }
  })
  let lastError = null

  const call = async ({ kind, topics, name, members, metadata }) => {
    try {
      if (kind === 'protocols') {
        return {
          protocols: custom.map((assigner) => {
            const { name, metadata } = assigner.protocol({ topics })
            if (!Buffer.isBuffer(metadata)) {
              throw new KafkaJSNonRetriableError(`Invalid protocol from partition assigner "${assigner.name}": metadata must be a Buffer (AssignerProtocol.MemberMetadata.encode)`)
            }
            return { name: String(name), metadata }
          })
        }
      }
      cluster.update(metadata)
      const assigner = custom.find((a) => a.name === name)
      const plan = await assigner.assign({
        members: members.map(({ memberId, groupInstanceId, memberMetadata }) => ({ memberId, groupInstanceId: groupInstanceId ?? null, memberMetadata })),
        topics
      })
      return { assignments: checkPlan(name, plan) }
    } catch (e) {
      lastError = e
      return { error: String(e?.message ?? e) }
    }
  }

  return { specs, hasCustom: custom.length > 0, call, lastError: () => lastError }
}

module.exports = { PartitionAssigners, AssignerProtocol, nativeAssigner, createAssigners }
