// new Kafka(config) and the module's kafkajs exports: error classes, log levels, logging,
// broker lists, unsupported options, and the ES module entry.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import * as kafkajsModule from 'kafkajs'
import * as ferrokafka from '..'
import { createBroker, Kafka, logLevel, LogEntry, KafkaJSNotImplemented, KafkaJSNonRetriableError, KafkaJSConnectionError } from '..'

/** kafkajs exports that belong to the consumer and admin APIs, which come later. */
const kafkajsErrorNames = Object.keys(kafkajsModule).filter((name) => name.startsWith('KafkaJS'))

describe('module exports', () => {
  it('exports everything kafkajs exports', () => {
    expect(Object.keys(kafkajsModule).filter((name) => !(name in ferrokafka))).toEqual([])
    for (const table of ['ConfigResourceTypes', 'AclResourceTypes', 'AclOperationTypes', 'AclPermissionTypes', 'ResourcePatternTypes', 'ConfigSource'] as const) {
      expect(ferrokafka[table]).toEqual(kafkajsModule[table])
    }
    expect(ferrokafka.logLevel).toEqual(kafkajsModule.logLevel)
    expect(ferrokafka.CompressionTypes).toEqual(kafkajsModule.CompressionTypes)
    expect(ferrokafka.Partitioners.JavaCompatiblePartitioner).toBe(ferrokafka.Partitioners.DefaultPartitioner)
  })

  it.each(kafkajsErrorNames)('%s has kafkajs\'s name, properties and ancestry', (name) => {
    const Ours = (ferrokafka as any)[name]
    const Theirs = (kafkajsModule as any)[name]
    const args: unknown[] = name === 'KafkaJSDeleteTopicRecordsError'
      ? [{ partitions: [{ partition: 0, error: { retriable: true } }] }]
      : name === 'KafkaJSAggregateError'
        ? ['failed', [new Error('a')]]
        : [
            { message: 'went wrong', type: 'SOME_TYPE', code: 42, retriable: false, helpUrl: 'https://example.com' },
            { broker: 'b:1', code: 'ECONNREFUSED', retryCount: 3, retryTime: 120, topic: 't', partition: 1, memberId: 'm', apiKey: 1, apiName: 'Fetch', host: 'h', port: 2 }
          ]
    const ours = new Ours(...args)
    const theirs = new Theirs(...args)
    const own = (e: object) => Object.fromEntries(Object.entries(e).filter(([key]) => key !== 'stack' && key !== 'cause'))
    expect(own(ours)).toEqual(own(theirs))
    expect(ours.name).toBe(theirs.name)
    expect(ours.message).toBe(theirs.message)
    const ancestry = (e: object) => {
      const names = []
      for (let p = Object.getPrototypeOf(e); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) names.push(p.constructor.name)
      return names
    }
    expect(ancestry(ours)).toEqual(ancestry(theirs))
    expect(ours).toBeInstanceOf(Error)
  })
})

describe('new Kafka()', () => {
  it('logs through logCreator with kafkajs\'s entries, honouring logLevel and KAFKAJS_LOG_LEVEL', () => {
    const entries: LogEntry[] = []
    const levels: number[] = []
    const logCreator = (level: number) => {
      levels.push(level)
      return (entry: LogEntry) => { entries.push(entry) }
    }
    const logger = new Kafka({ brokers: ['localhost:9092'], logLevel: logLevel.WARN, logCreator }).producer().logger()
    logger.info('hidden')
    logger.warn('shown', { extra: 1 })
    expect(levels).toEqual([logLevel.WARN])
    expect(entries).toEqual([{
      namespace: 'Producer',
      level: logLevel.WARN,
      label: 'WARN',
      log: { timestamp: expect.any(String), logger: 'kafkajs', message: 'shown', extra: 1 }
    }])
    process.env.KAFKAJS_LOG_LEVEL = 'debug'
    try {
      const debug = new Kafka({ brokers: ['localhost:9092'], logLevel: logLevel.NOTHING, logCreator }).logger()
      debug.debug('now visible')
      expect(entries.at(-1)?.log.message).toBe('now visible')
    } finally {
      delete process.env.KAFKAJS_LOG_LEVEL
    }
  })

  it('takes brokers from a sync or async function at connect time, as kafkajs does', async () => {
    await using broker = await createBroker()
    for (const brokers of [() => broker.brokers, async () => broker.brokers]) {
      const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer()
      await producer.connect()
      const [record] = await producer.send({ topic: 'from-function', messages: [{ value: 'v' }] })
      expect(record.errorCode).toBe(0)
      await producer.disconnect()
    }
    const failing = new Kafka({ brokers: async () => { throw new Error('no discovery') }, logLevel: logLevel.NOTHING })
    const error = await failing.producer().connect().catch((e) => e)
    expect(error).toBeInstanceOf(KafkaJSConnectionError)
    expect(error.message).toBe('Failed to connect: "config.brokers" threw: no discovery')
  })

  it('rejects bad broker lists with kafkajs\'s messages', async () => {
    const attempts: Array<[unknown, string]> = [
      [[], 'Failed to connect: brokers array is empty'],
      [['localhost:9092', 7], 'Failed to connect: broker at index 1 is invalid "number"'],
      [undefined, 'Failed to connect: brokers should not be null']
    ]
    for (const [brokers, message] of attempts) {
      const ours = await new Kafka({ brokers: brokers as string[], logLevel: logLevel.NOTHING }).producer().connect().catch((e) => e)
      const theirs = await new kafkajsModule.Kafka({ brokers: brokers as string[], logLevel: logLevel.NOTHING }).producer().connect().catch((e) => e)
      expect([ours.name, ours.message]).toEqual([theirs.name, message])
      expect(ours).toBeInstanceOf(KafkaJSNonRetriableError)
    }
  })

  it('says clearly that ssl and sasl are not supported yet', () => {
    expect(() => new Kafka({ brokers: ['b:1'], ssl: true })).toThrow(KafkaJSNotImplemented)
    expect(() => new Kafka({ brokers: ['b:1'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } })).toThrow(/sasl is not supported/)
    expect(new Kafka({ brokers: ['b:1'], ssl: false }).producer().isIdempotent()).toBe(false)
  })

  it('can be imported as an ES module', async () => {
    const script = "import { Kafka, KafkaJSError, createBroker, CompressionTypes } from 'ferrokafka'; console.log(typeof Kafka, typeof KafkaJSError, typeof createBroker, CompressionTypes.ZSTD)"
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: path.resolve(__dirname, '..') })
    expect(stdout.trim()).toBe('function function function 4')
  })
})
