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

  #onListenersChanged

  /** `onListenersChanged()` is called whenever a listener is added or removed. */
  constructor (prefix, events, logger, onListenersChanged = () => {}) {
    this.#prefix = prefix
    this.#events = events
    this.#logger = logger
    this.#onListenersChanged = onListenersChanged
  }

  /** Whether any listener waits for one of `types`. */
  listening (...types) {
    return types.some((type) => this.#emitter.listenerCount(type) > 0)
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
    this.#onListenersChanged()
    return () => {
      this.#emitter.removeListener(eventName, wrapped)
      this.#onListenersChanged()
    }
  }

  /** Delivers `type` with `payload` to its listeners, if it has any. */
  emit (type, payload) {
    if (this.#emitter.listenerCount(type) === 0) return
    this.#emitter.emit(type, { id: nextId++, type, timestamp: Date.now(), payload })
  }
}

/** Emits network events reported by the native client with kafkajs's payloads. */
function emitNetworkEvents (instrumentation, events, batch) {
  for (const e of batch) {
    const { broker, clientId } = e
    const request = {
      broker,
      clientId,
      correlationId: e.correlationId,
      createdAt: e.createdAt,
      sentAt: e.sentAt,
      pendingDuration: e.pendingDuration
    }
    const api = { apiName: e.apiName, apiKey: e.apiKey, apiVersion: e.apiVersion }
    switch (e.kind) {
      case 'request':
        instrumentation.emit(events.REQUEST, { ...request, size: e.size, duration: e.duration, ...api })
        break
      case 'request_timeout':
        instrumentation.emit(events.REQUEST_TIMEOUT, { ...request, ...api })
        break
      case 'request_queue_size':
        instrumentation.emit(events.REQUEST_QUEUE_SIZE, { broker, clientId, queueSize: e.queueSize })
        break
    }
  }
}

module.exports = { eventNames, Instrumentation, emitNetworkEvents }
