// kafkajs's logging: levels, the `logCreator` hook, per-namespace loggers, `setLogLevel`, the
// KAFKAJS_LOG_LEVEL override and the default JSON-lines console logger.
'use strict'

const logLevel = Object.freeze({ NOTHING: 0, ERROR: 1, WARN: 2, INFO: 4, DEBUG: 5 })

const LABELS = [['ERROR', logLevel.ERROR], ['WARN', logLevel.WARN], ['INFO', logLevel.INFO], ['DEBUG', logLevel.DEBUG]]

/** KAFKAJS_LOG_LEVEL (a level name) wins over the configured level. */
function effectiveLevel (level) {
  const fromEnv = logLevel[(process.env.KAFKAJS_LOG_LEVEL || '').toUpperCase()]
  return fromEnv ?? level
}

/** kafkajs's default logCreator: one JSON object per line on the console. */
function consoleLogCreator () {
  return ({ namespace, level, label, log }) => {
    const prefix = namespace ? `[${namespace}] ` : ''
    const line = JSON.stringify({ level: label, ...log, message: `${prefix}${log.message}` })
    switch (level) {
      case logLevel.ERROR: return console.error(line)
      case logLevel.WARN: return console.warn(line)
      case logLevel.INFO: return console.info(line)
      case logLevel.DEBUG: return console.log(line)
    }
  }
}

/** The root logger; `namespace(name, level?)` derives the loggers of the client's parts. */
function createLogger ({ level = logLevel.INFO, logCreator = consoleLogCreator } = {}) {
  let rootLevel = effectiveLevel(level)
  const write = logCreator(rootLevel)

  const loggerFor = (namespace, ownLevel) => {
    const current = () => ownLevel ?? rootLevel
    const logger = {}
    for (const [label, lvl] of LABELS) {
      logger[label.toLowerCase()] = (message, extra = {}) => {
        if (lvl > current()) return
        write({
          namespace,
          level: lvl,
          label,
          log: { timestamp: new Date().toISOString(), logger: 'kafkajs', message, ...extra }
        })
      }
    }
    logger.namespace = (name, nsLevel = null) => loggerFor(name, effectiveLevel(nsLevel))
    logger.setLogLevel = (newLevel) => { rootLevel = newLevel }
    return logger
  }

  return loggerFor(undefined, null)
}

module.exports = { logLevel, createLogger, consoleLogCreator }
