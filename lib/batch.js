// kafkajs's Batch and its messages, built from a native batch: one buffer with every key, value
// and header, and a table of numbers per message (src/consumer_batch.rs). Keys, values and header
// values are views on that one buffer, as kafkajs's are views on the fetch response.
'use strict'

const MESSAGE_FIELDS = 10
const HEADER_FIELDS = 4

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
    if (this.isEmpty()) return (BigInt(this.highWatermark) - 1n).toString()
    return this.messages[this.messages.length - 1].offset
  }

  offsetLag () {
    return (BigInt(this.highWatermark) - 1n - BigInt(this.lastOffset())).toString()
  }

  offsetLagLow () {
    if (this.isEmpty()) return '0'
    return (BigInt(this.highWatermark) - 1n - BigInt(this.firstOffset())).toString()
  }
}

/** kafkajs's headers object: a repeated key's values become an array. */
function readHeaders (data, table, first, count) {
  const headers = {}
  for (let h = first; h < first + count; h++) {
    const at = h * HEADER_FIELDS
    const nameStart = table[at]
    const name = data.toString('utf8', nameStart, nameStart + table[at + 1])
    const valueLength = table[at + 3]
    const value = valueLength < 0 ? null : Buffer.from(data.buffer, data.byteOffset + table[at + 2], valueLength)
    const previous = headers[name]
    headers[name] = previous === undefined ? value : Array.isArray(previous) ? previous.concat([value]) : [previous, value]
  }
  return headers
}

/** The kafkajs Batch of a native batch. */
function toBatch (native) {
  const { data, messages: table, headers: headerTable, contexts, exact } = native
  const count = table.length / MESSAGE_FIELDS
  const messages = new Array(count)
  const buffer = data.buffer
  const base = data.byteOffset
  let timestamp = NaN
  let timestampText = ''
  for (let i = 0; i < count; i++) {
    const at = i * MESSAGE_FIELDS
    if (table[at + 1] !== timestamp) {
      timestamp = table[at + 1]
      timestampText = String(timestamp)
    }
    const keyLength = table[at + 5]
    const valueLength = table[at + 7]
    const headerCount = table[at + 9]
    const batchContext = contexts[table[at + 3]]
    messages[i] = {
      magicByte: batchContext.magicByte,
      attributes: table[at + 2],
      timestamp: exact === null || exact === undefined ? timestampText : exact[2 * i + 1],
      offset: exact === null || exact === undefined ? String(table[at]) : exact[2 * i],
      key: keyLength < 0 ? null : Buffer.from(buffer, base + table[at + 4], keyLength),
      value: valueLength < 0 ? null : Buffer.from(buffer, base + table[at + 6], valueLength),
      headers: headerCount === 0 ? {} : readHeaders(data, headerTable, table[at + 8], headerCount),
      isControlRecord: false,
      batchContext
    }
  }
  return new Batch(native.topic, native.partition, native.highWatermark, messages, native.nextOffset)
}

module.exports = { Batch, toBatch }
