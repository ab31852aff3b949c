// kafkajs's instrumentation events: `producer.events`, `on(event, listener)` returning a remover,
// and events delivered as `{ id, type, timestamp, payload }`.
'use strict'

const { EventEmitter } = require('node:events')
const { classes: { KafkaJSNonRetriableError } } = require('./errors')

let nextId = 0

/** The event names of a client part, e.g. `producer.connect`, `producer.network.request`. */
function eventNames (prefix) {
  return Object.freeze({
    CONNECT: `${prefix}.connect`,
    DISCONNECT: `${prefix}.disconnect`,
    REQUEST: `${prefix}.network.request`,
    REQUEST_TIMEOUT: `${prefix}.network.request_timeout`,
    REQUEST_QUEUE_SIZE: `${prefix}.network.request_queue_size`
  })
}

/** Emits a client part's events to the listeners registered with `on`. */
class Instrumentation {
  #emitter = new EventEmitter()
  #events
  #prefix
  #logger

  constructor (prefix, events, logger) {
    this.#prefix = prefix
    this.#events = events
    this.#logger = logger
  }

  /** Registers `listener` for `eventName`; returns the function that removes it. */
  on (eventName, listener) {
    const names = Object.values(this.#events)
    if (!names.includes(eventName)) {
      const keys = Object.keys(this.#events).map((key) => `${this.#prefix}.events.${key}`).join(', ')
      throw new KafkaJSNonRetriableError(`Event name should be one of ${keys}`)
    }
    const wrapped = (event) => {
      Promise.resolve(listener(event)).catch((e) => {
        this.#logger.error(`Failed to execute listener: ${e.message}`, { eventName, stack: e.stack })
      })
    }
    this.#emitter.addListener(eventName, wrapped)
    return () => this.#emitter.removeListener(eventName, wrapped)
  }

  /** Delivers `type` with `payload` to its listeners, if it has any. */
  emit (type, payload) {
    if (this.#emitter.listenerCount(type) === 0) return
    this.#emitter.emit(type, { id: nextId++, type, timestamp: Date.now(), payload })
  }
}

module.exports = { eventNames, Instrumentation }
