// kafkajs's Batch and its messages, built from a native batch: one buffer with the fetched record
// bytes, and tables of 32-bit words per message and per header locating their keys, values and
// headers in it, read in place (src/consumer_batch.rs). Keys, values and header values are views
// on that one buffer, as kafkajs's are views on the fetch response. eachMessage builds each
// message just before its handler runs; eachBatch gets them all in a kafkajs Batch.
'use strict'

// The global Buffer is a lazy getter in Node; the module's binding is a plain load.
const { Buffer } = require('node:buffer')

// Words per message entry: offset (low, high), timestamp (low, high), key start and length,
// value start and length (length -1: null), first header, header count, context, attributes.
const MESSAGE_WORDS = 12
// Words per header entry: key start and length, value start and length.
const HEADER_WORDS = 4
// Numbers and strings per record batch context (src/consumer_batch.rs, contexts_to_js).
const CONTEXT_NUMBERS = 8
const CONTEXT_TEXTS = 4

/**
 * A Buffer over part of the fetched bytes, as `Buffer.from(arrayBuffer, offset, length)` makes
 * one, without the checks of its arguments (thousands are made per fetch).
 */
class BufferView extends Uint8Array {}
Object.setPrototypeOf(BufferView.prototype, Buffer.prototype)
BufferView.prototype.constructor = Buffer

/** The texts of 0 to 999 in three digits: the end of an offset's text. */
const LAST_DIGITS = Array.from({ length: 1000 }, (_, n) => `${n}`.padStart(3, '0'))

/** A table of 32-bit words over a native buffer. */
const wordsOf = (buffer) => new Int32Array(buffer.buffer, buffer.byteOffset, buffer.length >> 2)

/** The 64-bit integer in words `at` (low) and `at + 1` (high), exact below 2^53. */
const int64 = (words, at) => words[at + 1] * 4294967296 + (words[at] >>> 0)

/** The last offset of a batch: its last message's, or the one before the high watermark. */
const lastOffsetOf = (highWatermark, last) => last ?? (BigInt(highWatermark) - 1n).toString()

/** How far `offset` lies behind the last offset of the partition. */
const lagOf = (highWatermark, offset) => (BigInt(highWatermark) - 1n - BigInt(offset)).toString()

/** kafkajs's `batchContext` of each record batch, from the native batch's two context tables. */
function contextsOf (numbers, texts) {
  const contexts = new Array(numbers.length / CONTEXT_NUMBERS)
  for (let c = 0; c < contexts.length; c++) {
    const n = c * CONTEXT_NUMBERS
    const t = c * CONTEXT_TEXTS
    contexts[c] = {
      firstOffset: texts[t],
      firstTimestamp: texts[t + 1],
      partitionLeaderEpoch: numbers[n],
      inTransaction: numbers[n + 1] === 1,
      isControlBatch: numbers[n + 2] === 1,
      lastOffsetDelta: numbers[n + 3],
      producerId: texts[t + 2],
      producerEpoch: numbers[n + 4],
      firstSequence: numbers[n + 5],
      maxTimestamp: texts[t + 3],
      timestampType: numbers[n + 6],
      magicByte: numbers[n + 7]
    }
  }
  return contexts
}

/** kafkajs's Batch: the messages of one partition from one fetch. */
class Batch {
  constructor (topic, partition, highWatermark, messages, nextOffset) {
    this.topic = topic
    this.partition = partition
    this.highWatermark = highWatermark
    this.messages = messages
    this.nextOffset = nextOffset
  }

  isEmpty () { return this.messages.length === 0 }

  firstOffset () { return this.isEmpty() ? null : this.messages[0].offset }

  lastOffset () {
    return lastOffsetOf(this.highWatermark, this.isEmpty() ? null : this.messages[this.messages.length - 1].offset)
  }

  offsetLag () { return lagOf(this.highWatermark, this.lastOffset()) }

  offsetLagLow () { return this.isEmpty() ? '0' : lagOf(this.highWatermark, this.firstOffset()) }
}

/** kafkajs's headers object: a repeated key's values become an array. */
function readHeaders (data, table, first, count) {
  const headers = {}
  for (let h = first; h < first + count; h++) {
    const at = h * HEADER_WORDS
    const nameStart = table[at]
    const name = data.toString('utf8', nameStart, nameStart + table[at + 1])
    const valueLength = table[at + 3]
    const value = valueLength < 0 ? null : new BufferView(data.buffer, data.byteOffset + table[at + 2], valueLength)
    const previous = headers[name]
    headers[name] = previous === undefined ? value : Array.isArray(previous) ? previous.concat([value]) : [previous, value]
  }
  return headers
}

/** A native batch: its partition's fields, and its messages built on request. */
class Fetched {
  constructor (native) {
    this.topic = native.topic
    this.partition = native.partition
    this.highWatermark = native.highWatermark
    this.nextOffset = native.nextOffset
    this.table = wordsOf(native.messages)
    this.length = this.table.length / MESSAGE_WORDS
    this.data = native.data
    this.buffer = native.data.buffer
    this.base = native.data.byteOffset
    this.headers = wordsOf(native.headers)
    this.contexts = contextsOf(native.contextNumbers, native.contextTexts)
    this.exact = native.exact ?? null
    this.timestamp = NaN
    this.timestampText = ''
    this.thousands = NaN
    this.thousandsText = ''
  }

  isEmpty () { return this.length === 0 }

  /** Message `i`'s offset, as kafkajs gives it (a string). */
  offset (i) {
    if (this.exact !== null) return this.exact[2 * i]
    const offset = int64(this.table, i * MESSAGE_WORDS)
    if (offset < 1000) return `${offset}`
    // Consecutive offsets share all but their last three digits: that text is made once.
    const thousands = Math.floor(offset / 1000)
    if (thousands !== this.thousands) {
      this.thousands = thousands
      this.thousandsText = `${thousands}`
    }
    return this.thousandsText + LAST_DIGITS[offset - thousands * 1000]
  }

  /** The offset after message `i`, which is committed once it is handled. */
  after (i) {
    return this.exact === null ? `${int64(this.table, i * MESSAGE_WORDS) + 1}` : (BigInt(this.exact[2 * i]) + 1n).toString()
  }

  firstOffset () { return this.isEmpty() ? null : this.offset(0) }

  lastOffset () { return lastOffsetOf(this.highWatermark, this.isEmpty() ? null : this.offset(this.length - 1)) }

  offsetLag () { return lagOf(this.highWatermark, this.lastOffset()) }

  offsetLagLow () { return this.isEmpty() ? '0' : lagOf(this.highWatermark, this.firstOffset()) }

  /** Message `i` as kafkajs gives it to a handler. */
  message (i) {
    const { table, buffer, base, exact } = this
    const at = i * MESSAGE_WORDS
    let timestamp
    if (exact === null) {
      // Messages of one producer batch mostly share a timestamp: its text is made once.
      const time = int64(table, at + 2)
      if (time !== this.timestamp) {
        this.timestamp = time
        this.timestampText = `${time}`
      }
      timestamp = this.timestampText
    } else {
      timestamp = exact[2 * i + 1]
    }
    const keyLength = table[at + 5]
    const valueLength = table[at + 7]
    const headerCount = table[at + 9]
    const batchContext = this.contexts[table[at + 10]]
    return {
      magicByte: batchContext.magicByte,
      attributes: table[at + 11],
      timestamp,
      offset: this.offset(i),
      key: keyLength < 0 ? null : new BufferView(buffer, base + table[at + 4], keyLength),
      value: valueLength < 0 ? null : new BufferView(buffer, base + table[at + 6], valueLength),
      headers: headerCount === 0 ? {} : readHeaders(this.data, this.headers, table[at + 8], headerCount),
      isControlRecord: false,
      batchContext
    }
  }

  /** The kafkajs Batch with every message. */
  toBatch () {
    const messages = new Array(this.length)
    for (let i = 0; i < this.length; i++) messages[i] = this.message(i)
    return new Batch(this.topic, this.partition, this.highWatermark, messages, this.nextOffset)
  }
}

/**
 * A batch of no messages and its kafkajs Batch, kept as long as the class: optimized code for
 * Fetched and Batch depends on their instances' object layout, which a full GC drops (and
 * deoptimizes that code, to be compiled again) whenever no instance is left, as between two runs
 * of a consumer.
 */
Fetched.empty = new Fetched({
  topic: '',
  partition: 0,
  highWatermark: '0',
  nextOffset: '0',
  messages: Buffer.alloc(0),
  headers: Buffer.alloc(0),
  data: Buffer.alloc(0),
  contextNumbers: new Int32Array(0),
  contextTexts: []
})
Fetched.emptyBatch = Fetched.empty.toBatch()

module.exports = { Fetched }
