// kafkajs's retry defaults, including the ones it switches to when NODE_ENV=test (as under Jest),
// and the merge of client-level and producer-level `retry` options over them.
'use strict'

const DEFAULTS = Object.freeze({ maxRetryTime: 30000, initialRetryTime: 300, factor: 0.2, multiplier: 2, retries: 5 })
const TEST_DEFAULTS = Object.freeze({ maxRetryTime: 1000, initialRetryTime: 50, factor: 0.02, multiplier: 1.5, retries: 15 })

// Like kafkajs, the environment is read once, when the module loads.
const RETRY_DEFAULTS = process.env.NODE_ENV === 'test' ? TEST_DEFAULTS : DEFAULTS

const MAX_RETRIES = 2 ** 32 - 1

/** The retry settings in effect for `options` layered left to right over the defaults. */
function retrySettings (...options) {
  const merged = Object.assign({}, RETRY_DEFAULTS, ...options.filter(Boolean))
  return {
    maxRetryTime: Number(merged.maxRetryTime),
    initialRetryTime: Number(merged.initialRetryTime),
    factor: Number(merged.factor),
    multiplier: Number(merged.multiplier),
    retries: Math.max(0, Math.min(MAX_RETRIES, Math.floor(Number(merged.retries))))
  }
}

module.exports = { retrySettings }
