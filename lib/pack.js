// Packs the messages of the sends started in one tick into three buffers (a Burst), so they
// cross into Rust in one step instead of one property read per field: `data` holds every key,
// value and header byte; `layout` (int32s) holds per message [key length, value length,
// partition, header count] and then a [key length, value length] pair per header (length -1 =
// null, partition NO_PARTITION = let the partitioner choose); `timestamps` (float64s) holds one
// timestamp per message, NaN = now. Large `data` buffers are reused once Rust has copied them
// (see `reuse`). Finished sends come back packed too, and unpackOutcomes turns them into
// kafkajs's RecordMetadata.
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

/** The index of the smallest kept buffer `fits` accepts, or -1. */
function smallestSpare (fits) {
  let best = -1
  for (let i = 0; i < spare.length; i++) {
    if (fits(spare[i]) && (best < 0 || spare[i].length < spare[best].length)) best = i
  }
  return best
}

/** A buffer of at least `size` bytes: the smallest kept one large enough, or a new one. */
function dataBuffer (size) {
  if (size >= REUSED_MIN) {
    const i = smallestSpare((b) => b.length >= size)
    if (i >= 0) return spare.splice(i, 1)[0]
  }
  return Buffer.allocUnsafe(size)
}

/**
 * Keeps `buffer` for later packs, if it is worth keeping; when REUSED_COUNT are kept, in place
 * of the smallest one if that is smaller (so the sizes sends need now replace older ones).
 */
function reuse (buffer) {
  if (buffer.length < REUSED_MIN || buffer.length > REUSED_MAX) return
  if (spare.length < REUSED_COUNT) {
    spare.push(buffer)
    return
  }
  const smallest = smallestSpare(() => true)
  if (spare[smallest].length < buffer.length) spare[smallest] = buffer
}

/** `array` (a typed array) with room for `needed` elements: itself, or a larger copy. */
function withRoom (array, used, needed) {
  if (needed <= array.length) return array
  const grown = new array.constructor(Math.max(needed, 2 * array.length))
  grown.set(array.subarray(0, used))
  return grown
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

/** A burst's data before its first send: none. */
const NO_DATA = Buffer.alloc(0)
/** Layout slots a burst starts with (a quarter as many timestamps), and most it keeps on reset. */
const INITIAL_SLOTS = 1024
const KEPT_SLOTS = 64 * 1024

/**
 * The packed messages of the sends started in one tick, written into shared buffers as each
 * send starts (so a caller may reuse its buffers at once, as with any send) and handed to Rust
 * together by `take`.
 */
class Burst {
  constructor () {
    this.data = NO_DATA
    this.used = 0
    this.layout = new Int32Array(INITIAL_SLOTS)
    this.slots = 0
    this.timestamps = new Float64Array(INITIAL_SLOTS / 4)
    this.count = 0
  }

  /** Makes room for `bytes` more data bytes, `slots` more layout slots and `messages` more. */
  reserve (bytes, slots, messages) {
    if (this.data === NO_DATA) {
      this.data = dataBuffer(Math.max(bytes, REUSED_MIN))
    } else if (this.used + bytes > this.data.length) {
      const grown = dataBuffer(Math.max(this.used + bytes, 2 * this.data.length))
      this.data.copy(grown, 0, 0, this.used)
      reuse(this.data)
      this.data = grown
    }
    this.layout = withRoom(this.layout, this.slots, this.slots + slots)
    this.timestamps = withRoom(this.timestamps, this.count, this.count + messages)
  }

  /**
   * Packs one send's topics (`{ topic, messages }`; `partitions[i]`, when given, a custom
   * partitioner's choice for each message of topic i) and returns what each took, for `take`.
   * A message that cannot be packed throws and leaves the burst as it was.
   */
  add (topicMessages, partitions) {
    let bytes = 0
    let slots = 0
    let messages = 0
    for (let t = 0; t < topicMessages.length; t++) {
      const list = topicMessages[t].messages
      messages += list.length
      for (let i = 0; i < list.length; i++) {
        const m = list[i]
        bytes += bound(bytesLike(m.key)) + bound(bytesLike(m.value))
        slots += 4
        if (m.headers) {
          eachHeader(m.headers, (key, value) => {
            bytes += bound(key) + bound(value)
            slots += 2
          })
        }
      }
    }
    this.reserve(bytes, slots, messages)
    const { data, layout, timestamps } = this
    let used = this.used
    let slot = this.slots
    let count = this.count
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
    const packed = new Array(topicMessages.length)
    for (let t = 0; t < topicMessages.length; t++) {
      const { topic, messages: list } = topicMessages[t]
      const chosen = partitions ? partitions[t] : null
      const usedBefore = used
      const slotBefore = slot
      for (let i = 0; i < list.length; i++) {
        const m = list[i]
        timestamps[count++] = timestampOf(m.timestamp, topic)
        layout[slot] = put(bytesLike(m.key))
        layout[slot + 1] = put(bytesLike(m.value))
        const partition = chosen ? chosen[i] : m.partition
        layout[slot + 2] = partition == null ? NO_PARTITION : partition | 0
        const counted = slot + 3
        layout[counted] = 0
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
      packed[t] = { topic, messages: list.length, slots: slot - slotBefore, bytes: used - usedBefore }
    }
    this.used = used
    this.slots = slot
    this.count = count
    return packed
  }

  /**
   * The burst as src/packed.rs reads it, for its sends (`{ id, topics, acks, timeout,
   * compression }`, `topics` from `add`) in the order they were added: `data`, `layout` and
   * `timestamps`, `topics` the distinct topic names, and `sends` (int32s) per send [id, acks,
   * timeout, compression, topic count] and per topic [topic index, message count, layout slots,
   * data bytes]. Call `reset` once Rust has copied it.
   */
  take (sends) {
    const names = new Map()
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
        header[at + 1] = packed.messages
        header[at + 2] = packed.slots
        header[at + 3] = packed.bytes
        at += 4
      }
    }
    return {
      sends: Buffer.from(header.buffer, header.byteOffset, header.byteLength),
      topics: Array.from(names.keys()),
      data: this.data.subarray(0, this.used),
      layout: Buffer.from(this.layout.buffer, this.layout.byteOffset, this.slots * 4),
      timestamps: Buffer.from(this.timestamps.buffer, this.timestamps.byteOffset, this.count * 8)
    }
  }

  /**
   * Empties the burst for the sends of a later tick, its data buffer given back for reuse. Its
   * tables are kept unless a large send grew them; a burst kept for reuse also keeps its class's
   * object layout alive, which optimized code built for it depends on.
   */
  reset () {
    reuse(this.data)
    this.data = NO_DATA
    this.used = 0
    this.slots = 0
    this.count = 0
    if (this.layout.length > KEPT_SLOTS) this.layout = new Int32Array(INITIAL_SLOTS)
    if (this.timestamps.length > KEPT_SLOTS / 4) this.timestamps = new Float64Array(INITIAL_SLOTS / 4)
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

module.exports = { Burst, unpackOutcomes, NO_PARTITION }
