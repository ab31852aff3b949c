// Operations run in Rust whose results come back in batches (see src/deliveries.rs). Operations
// started in the same tick cross into Rust together in one call; each gets a number, its promise
// settles when a batch of results carries that number, and the event loop stays alive while any
// is outstanding, as an open socket would keep it alive in kafkajs.
'use strict'

const KEEP_ALIVE_MS = 2 ** 30

class Outstanding {
  #begin
  #waiting = new Map()
  #queued = []
  #nextId = 0
  #keepAlive = null

  /** `begin(requests)` hands a batch of `{ id, ...request }` to Rust. */
  constructor (begin) {
    this.#begin = begin
  }

  /** Starts an operation; resolves with its result object. */
  start (request) {
    const id = this.#nextId
    this.#nextId = (this.#nextId + 1) >>> 0
    if (this.#queued.length === 0) queueMicrotask(this.#flush)
    this.#queued.push({ id, ...request })
    this.#keepAlive ??= setInterval(() => {}, KEEP_ALIVE_MS)
    return new Promise((resolve) => this.#waiting.set(id, resolve))
  }

  /** Receives a batch of results `{ id, ... }` from Rust. */
  settle = (results) => {
    for (const result of results) {
      const resolve = this.#waiting.get(result.id)
      this.#waiting.delete(result.id)
      resolve?.(result)
    }
    if (this.#waiting.size === 0 && this.#queued.length === 0 && this.#keepAlive) {
      clearInterval(this.#keepAlive)
      this.#keepAlive = null
    }
  }

  #flush = () => {
    const batch = this.#queued
    this.#queued = []
    try {
      this.#begin(batch)
    } catch (e) {
      this.settle(batch.map(({ id }) => ({ id, failure: { kind: 'invalid', message: e.message } })))
    }
  }
}

module.exports = { Outstanding }
