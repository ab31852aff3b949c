// `ferrokafka/jest`: what a Jest suite needs around the broker the preset starts. In test files:
// `brokers()` (the address from KAFKA_BROKERS) and `uniqueName()` (topic and group names no other
// test uses, so test files can share the one broker, in parallel workers too). For a project's
// own globalSetup/globalTeardown: `setup(options)` and `teardown()`, which the preset runs.
'use strict'

const { randomBytes } = require('node:crypto')
const { createBroker } = require('../lib/broker')

/** Where the running broker is kept between globalSetup and globalTeardown (one Jest process). */
const RUNNING = Symbol.for('ferrokafka.jest.broker')

/**
 * Starts the run's broker and puts its address in process.env.KAFKA_BROKERS, which Jest's workers
 * inherit; `options` are createBroker's. Calling it again while it runs changes nothing.
 */
async function setup (options) {
  if (!globalThis[RUNNING]) {
    const broker = await createBroker(options)
    globalThis[RUNNING] = { broker, previous: process.env.KAFKA_BROKERS }
    process.env.KAFKA_BROKERS = broker.brokers.join(',')
  }
  return globalThis[RUNNING].broker.brokers
}

/** Closes the broker `setup` started and restores KAFKA_BROKERS; a no-op when none runs. */
async function teardown () {
  const running = globalThis[RUNNING]
  if (!running) return
  delete globalThis[RUNNING]
  if (running.previous === undefined) delete process.env.KAFKA_BROKERS
  else process.env.KAFKA_BROKERS = running.previous
  await running.broker.close()
}

/** The broker addresses in KAFKA_BROKERS, ready for `new Kafka({ brokers })`. */
function brokers () {
  const list = (process.env.KAFKA_BROKERS ?? '').split(',').map((s) => s.trim()).filter(Boolean)
  if (list.length === 0) {
    throw new Error("KAFKA_BROKERS is not set: add `preset: 'ferrokafka/jest'` to the Jest config, or set KAFKA_BROKERS to a running Kafka")
  }
  return list
}

let counter = 0

/**
 * A topic or group name no other test uses: `prefix` (characters Kafka does not allow in a topic
 * name become `-`), then the worker, a counter and random characters.
 */
function uniqueName (prefix = 'test') {
  counter += 1
  const base = String(prefix).replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 200)
  return `${base}-${process.env.JEST_WORKER_ID ?? '0'}-${counter}-${randomBytes(4).toString('hex')}`
}

module.exports = { brokers, uniqueName, setup, teardown }
