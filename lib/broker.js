// createBroker(): the embedded Kafka broker's JavaScript face.
'use strict'

const native = require('./native')

if (typeof Symbol.asyncDispose !== 'symbol') {
  Object.defineProperty(Symbol, 'asyncDispose', { value: Symbol.for('nodejs.asyncDispose') })
}

const OPTION_TYPES = {
  host: 'string',
  port: 'number',
  nodeId: 'number',
  clusterId: 'string',
  numPartitions: 'number',
  autoCreateTopics: 'boolean',
  logDir: 'string',
  config: 'object'
}

function checkOptions (options) {
  if (options === undefined || options === null) return {}
  if (typeof options !== 'object') throw new TypeError('createBroker options must be an object')
  for (const [key, value] of Object.entries(options)) {
    const expected = OPTION_TYPES[key]
    if (!expected) throw new TypeError(`Unknown createBroker option "${key}"`)
    if (value === undefined) continue
    if (typeof value !== expected || value === null) {
      throw new TypeError(`createBroker option "${key}" must be a ${expected}, got ${value === null ? 'null' : typeof value}`)
    }
    if (expected === 'number' && !Number.isInteger(value)) {
      throw new TypeError(`createBroker option "${key}" must be an integer, got ${value}`)
    }
  }
  if (options.port !== undefined && (options.port < 0 || options.port > 65535)) {
    throw new RangeError(`createBroker option "port" must be between 0 and 65535, got ${options.port}`)
  }
  const config = {}
  for (const [key, value] of Object.entries(options.config ?? {})) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new TypeError(`createBroker config "${key}" must be a string, number or boolean`)
    }
    config[key] = String(value)
  }
  return { ...options, config }
}

/** Longest delay a timer accepts; the keep-alive timer never needs to fire. */
const KEEP_ALIVE_MS = 2 ** 31 - 1

/**
 * A running in-process Kafka broker. Like a `net.Server`, it keeps the Node process alive until
 * it is closed, unless `unref()` is called.
 */
class Broker {
  #handle
  #closed = null
  #keepAlive = setInterval(() => {}, KEEP_ALIVE_MS)

  constructor (handle) {
    this.#handle = handle
    this.host = handle.host
    this.port = handle.port
    this.nodeId = handle.nodeId
    this.clusterId = handle.clusterId
    this.brokers = [`${this.host}:${this.port}`]
  }

  /** Stops the broker and releases its port; safe to call more than once. */
  close () {
    clearInterval(this.#keepAlive)
    this.#closed ??= this.#handle.close()
    return this.#closed
  }

  /** Lets the process exit while the broker is still running. */
  unref () {
    this.#keepAlive.unref()
    return this
  }

  /** Undoes `unref()`: the broker keeps the process alive again. */
  ref () {
    this.#keepAlive.ref()
    return this
  }

  [Symbol.asyncDispose] () {
    return this.close()
  }
}

/** Starts a Kafka broker on 127.0.0.1 (an ephemeral port by default). */
async function createBroker (options) {
  const checked = checkOptions(options)
  return new Broker(await native.startBroker(checked))
}

module.exports = { createBroker, Broker }
