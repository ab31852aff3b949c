// kafkajs's PartitionAssigners and AssignerProtocol. The built-in assigners run in Rust when
// this client leads the group; here they are named, and the consumer protocol's MemberMetadata
// and MemberAssignment encodings are offered for code that reads or writes them itself.
'use strict'

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

module.exports = { PartitionAssigners, AssignerProtocol, nativeAssigner }
