// Packs a topic's messages into three buffers, so they cross into Rust in one step instead of
// one property read per field: `data` holds every key, value and header byte; `layout` (int32s)
// holds per message [key length, value length, partition, header count] and then a [key length,
// value length] pair per header (length -1 = null, partition NO_PARTITION = let the partitioner
// choose); `timestamps` (float64s) holds one timestamp per message, NaN = now. Large `data`
// buffers are reused once Rust has copied them (see `reuse`). Finished sends come back packed
// too, and unpackOutcomes turns them into kafkajs's RecordMetadata.
'use strict'

const { classes: { KafkaJSNonRetriableError } } = require('./errors')

const NO_PARTITION = -2147483648

/**
 * Packed data of at least REUSED_MIN bytes goes into buffers kept for reuse: a fresh buffer of a
 * megabyte costs more in page faults than writing into it does. Up to REUSED_COUNT buffers of
 * at most REUSED_MAX bytes are kept.
 */
const REUSED_MIN = 64 * 1024
const REUSED_MAX = 8 * 1024 * 1024
const REUSED_COUNT = 4
const spare = []

/** A buffer of at least `size` bytes, a kept one when one is large enough. */
function dataBuffer (size) {
  if (size >= REUSED_MIN) {
    const i = spare.findIndex((b) => b.length >= size)
    if (i >= 0) return spare.splice(i, 1)[0]
  }
  return Buffer.allocUnsafe(size)
}

/**
 * Keeps the buffers behind `packed` (from packSends) for later packs. Call it once `send` has
 * returned: src/producer.rs copies the packed bytes before it returns.
 */
function reuse (packed) {
  for (const b of packed.buffers) {
    if (b.length >= REUSED_MIN && b.length <= REUSED_MAX && spare.length < REUSED_COUNT) spare.push(b)
  }
}

/**
 * A key or value as bytes or a string; null and undefined mean null. Typed arrays count as their
 * bytes; anything else is refused with the TypeError kafkajs's encoder throws for it.
 */
function bytesLike (v) {
  if (v == null || typeof v === 'string' || Buffer.isBuffer(v)) return v
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  if (v instanceof ArrayBuffer) return Buffer.from(v)
  Buffer.byteLength(v)
  return v
}

/** A header value: as a key or value, except that kafkajs refuses null and undefined too. */
function headerBytes (v) {
  if (v == null) Buffer.byteLength(v)
  return bytesLike(v)
}

/** The most bytes `v` can take once encoded. */
const bound = (v) => v == null ? 0 : typeof v === 'string' ? v.length * 3 : v.length

/** A message's timestamp in milliseconds, NaN for "now"; throws kafkajs-style for junk. */
function timestampOf (timestamp, topic) {
  if (timestamp == null || timestamp === '') return NaN
  if (typeof timestamp === 'number' && Number.isFinite(timestamp)) return Math.trunc(timestamp)
  const text = String(timestamp).trim()
  if (/^-?\d+$/.test(text)) return Number(text)
  const shown = typeof timestamp === 'string' ? JSON.stringify(timestamp) : String(timestamp)
  throw new KafkaJSNonRetriableError(`Invalid timestamp ${shown} for topic "${topic}"`)
}

/** Calls `visit(key, value)` for each header, once per element of an array value. */
function eachHeader (headers, visit) {
  for (const key in headers) {
    const value = headers[key]
    if (Array.isArray(value)) {
      for (const element of value) visit(key, headerBytes(element))
    } else {
      visit(key, headerBytes(value))
    }
  }
}

/** Packs `messages`; `partitions`, when given, holds a custom partitioner's choice for each. */
function packMessages (topic, messages, partitions) {
  let bytes = 0
  let slots = 0
  for (const m of messages) {
    bytes += bound(bytesLike(m.key)) + bound(bytesLike(m.value))
    slots += 4
    if (m.headers) {
      eachHeader(m.headers, (key, value) => {
        bytes += key.length * 3 + bound(value)
        slots += 2
      })
    }
  }
  const data = dataBuffer(bytes)
  const layout = new Int32Array(slots)
  const timestamps = new Float64Array(messages.length)
  let used = 0
  let slot = 0
  const put = (v) => {
    if (v == null) return -1
    if (typeof v === 'string') {
      const written = data.write(v, used)
      used += written
      return written
    }
    data.set(v, used)
    used += v.length
    return v.length
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]
    timestamps[i] = timestampOf(m.timestamp, topic)
    layout[slot] = put(bytesLike(m.key))
    layout[slot + 1] = put(bytesLike(m.value))
    const partition = partitions ? partitions[i] : m.partition
    layout[slot + 2] = partition == null ? NO_PARTITION : partition | 0
    const counted = slot + 3
    slot += 4
    if (m.headers) {
      eachHeader(m.headers, (key, value) => {
        layout[slot] = put(key)
        layout[slot + 1] = put(value)
        layout[counted]++
        slot += 2
      })
    }
  }
  return {
    topic,
    buffer: data,
    data: data.subarray(0, used),
    layout: Buffer.from(layout.buffer, layout.byteOffset, slot * 4),
    timestamps: Buffer.from(timestamps.buffer, timestamps.byteOffset, timestamps.byteLength)
  }
}

/**
 * Joins the packed topics of many sends (`{ id, topics, acks, timeout, compression }`, each topic
 * from packMessages) into one set of buffers, so a burst of sends crosses into Rust in one call:
 * `data`, `layout` and `timestamps` concatenated, `topics` the distinct topic names, and
 * `sends` (int32s) per send [id, acks, timeout, compression, topic count] and per topic
 * [topic index, message count, layout slots, data bytes].
 */
function packSends (sends) {
  const names = new Map()
  const buffers = []
  const data = []
  const layout = []
  const timestamps = []
  let slots = 5 * sends.length
  for (const send of sends) slots += 4 * send.topics.length
  const header = new Int32Array(slots)
  let at = 0
  for (const send of sends) {
    header[at] = send.id | 0
    header[at + 1] = send.acks
    header[at + 2] = send.timeout
    header[at + 3] = send.compression
    header[at + 4] = send.topics.length
    at += 5
    for (const packed of send.topics) {
      let index = names.get(packed.topic)
      if (index === undefined) {
        index = names.size
        names.set(packed.topic, index)
      }
      header[at] = index
      header[at + 1] = packed.timestamps.length / 8
      header[at + 2] = packed.layout.length / 4
      header[at + 3] = packed.data.length
      at += 4
      buffers.push(packed.buffer)
      data.push(packed.data)
      layout.push(packed.layout)
      timestamps.push(packed.timestamps)
    }
  }
  return {
    sends: Buffer.from(header.buffer, header.byteOffset, header.byteLength),
    topics: Array.from(names.keys()),
    buffers,
    data: data.length === 1 ? data[0] : Buffer.concat(data),
    layout: layout.length === 1 ? layout[0] : Buffer.concat(layout),
    timestamps: timestamps.length === 1 ? timestamps[0] : Buffer.concat(timestamps)
  }
}

/** The record count src/producer.rs gives a failed send. */
const FAILED = 0xffffffff

/**
 * Unpacks the finished sends src/producer.rs packs (`sends`: [id, record count or FAILED] per
 * send; `records`: [topic index, partition, error code] and `offsets`: [base offset, log append
 * time, log start offset] per record; `failures` in order) into `{ id, records }` with kafkajs's
 * RecordMetadata, or `{ id, failure }`.
 */
function unpackOutcomes ({ sends, topics, records, offsets, failures }) {
  const results = []
  let record = 0
  let failed = 0
  for (let i = 0; i < sends.length; i += 2) {
    const id = sends[i]
    const count = sends[i + 1]
    if (count === FAILED) {
      results.push({ id, failure: failures[failed++] })
      continue
    }
    const metadata = new Array(count)
    for (let j = 0; j < count; j++, record++) {
      const at = record * 3
      metadata[j] = {
        topicName: topics[records[at]],
        partition: records[at + 1],
        errorCode: records[at + 2],
        baseOffset: String(offsets[at]),
        logAppendTime: String(offsets[at + 1]),
        logStartOffset: String(offsets[at + 2])
      }
    }
    results.push({ id, records: metadata })
  }
  return results
}

module.exports = { packMessages, packSends, reuse, unpackOutcomes, NO_PARTITION }
