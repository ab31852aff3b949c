// ferrokafka's producer against brokers nobody here wrote: real Apache Kafka 4.x and librdkafka's
// mock cluster. What it sends, kafkajs reads back byte for byte, on the partitions kafkajs's
// DefaultPartitioner would have chosen, at consecutive offsets; every codec and acks setting
// reads back through kcat; a send too large for one batch is split; and when Apache Kafka
// restarts mid-stream, sends resume and nothing acknowledged is lost.
import { Kafka as KafkaJS, Partitioners, logLevel } from 'kafkajs'
import { Kafka, CompressionTypes } from '..'
import { startApacheKafka, startRdmock, kcat, ExternalBroker, RestartableBroker } from './helpers/peers'
import { waitFor } from './helpers/kafka'

const TOPIC = 'ferro-produce'
const PARTITIONS = 3
const KEYS = Array.from({ length: 30 }, (_, i) => `key-${i}`)

interface Seen {
  partition: number
  offset: string
  key: string | null
  value: string | null
  timestamp: string
  headers: Record<string, string>
}

async function produceAndReadBack(brokers: string[]): Promise<void> {
  const producer = new Kafka({ clientId: 'ferro-peers', brokers, logLevel: 0 }).producer()
  await producer.connect()
  const messages = KEYS.map((key, i) => ({
    key,
    value: i % 10 === 9 ? null : `value-${i}`,
    timestamp: String(1_700_000_000_000 + i),
    headers: { index: String(i), tags: ['a', 'b'] }
  }))
  const half = messages.length / 2
  const first = await producer.send({ topic: TOPIC, compression: CompressionTypes.GZIP, messages: messages.slice(0, half) })
  const second = await producer.send({ topic: TOPIC, messages: messages.slice(half) })
  await producer.disconnect()
  expect([...first, ...second].every((r) => r.errorCode === 0 && r.topicName === TOPIC)).toBe(true)

  const partitioner = Partitioners.DefaultPartitioner()
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 1 }))
  const expectedPartition = (key: string): number =>
    partitioner({ topic: TOPIC, partitionMetadata: partitionMetadata as never, message: { key, value: null } })

  const consumer = new KafkaJS({ brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: `ferro-peers-${Date.now()}` })
  await consumer.connect()
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
  const seen: Seen[] = []
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        timestamp: message.timestamp,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]))
      })
    }
  })
  await waitFor(() => seen.length === messages.length, 'every produced message')
  await consumer.disconnect()

  for (const [i, message] of messages.entries()) {
    const got = seen.find((s) => s.key === message.key)
    expect(got).toMatchObject({
      partition: expectedPartition(message.key),
      value: message.value,
      timestamp: message.timestamp,
      headers: { index: String(i), tags: 'a,b' }
    })
  }
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const offsets = seen.filter((s) => s.partition === partition).map((s) => Number(s.offset)).sort((a, b) => a - b)
    expect(offsets).toEqual(offsets.map((_, i) => i))
  }
}

/** Every record of `topic`'s partition 0 as kcat (librdkafka, which knows every codec) reads it. */
async function kcatRead(brokers: string[], topic: string): Promise<Array<{ key: string | null; payload: string | null; offset: number }>> {
  const { stdout } = await kcat(['-C', '-b', brokers[0], '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-J', '-q'])
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))
}

/** Each codec and acks setting, and one send larger than a broker takes in one batch. */
async function everyOption(brokers: string[], prefix: string): Promise<void> {
  const producer = new Kafka({ clientId: 'ferro-peers', brokers, logLevel: 0 }).producer()
  await producer.connect()
  const codecs = [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]
  for (const [i, compression] of codecs.entries()) {
    const topic = `${prefix}-codec-${i}`
    const values = Array.from({ length: 20 }, (_, n) => `codec ${i} value ${n} `.repeat(5))
    for (const acks of [-1, 1]) {
      await producer.send({ topic, acks, compression, messages: values.map((value, n) => ({ key: `k${n}`, value, partition: 0 })) })
    }
    await producer.send({ topic, acks: 0, compression, messages: [{ key: 'last', value: 'acks=0', partition: 0 }] })
    await waitFor(async () => (await kcatRead(brokers, topic)).length === 41, `${topic} to hold every message`)
    const read = await kcatRead(brokers, topic)
    expect(read.map((r) => r.payload)).toEqual([...values, ...values, 'acks=0'])
    expect(read.map((r) => r.offset)).toEqual(read.map((_, n) => n))
  }
  const large = `${prefix}-large`
  const value = 'x'.repeat(100_000)
  const [sent] = await producer.send({ topic: large, messages: Array.from({ length: 30 }, (_, n) => ({ key: String(n), value, partition: 0 })) })
  expect(sent).toMatchObject({ topicName: large, partition: 0, errorCode: 0, baseOffset: '0' })
  expect((await kcatRead(brokers, large)).map((r) => r.key)).toEqual(Array.from({ length: 30 }, (_, n) => String(n)))
  await producer.disconnect()
}

describe('ferrokafka producer against reference brokers', () => {
  let apache: RestartableBroker | undefined
  let rdmock: ExternalBroker | undefined
  afterAll(async () => {
    await apache?.close()
    await rdmock?.close()
  })

  it('produces to Apache Kafka', async () => {
    apache = await startApacheKafka([`num.partitions=${PARTITIONS}`])
    await produceAndReadBack(apache.brokers)
  }, 180000)

  it('uses every codec and acks setting on Apache Kafka, and splits what one batch cannot hold', async () => {
    await everyOption(apache!.brokers, 'options')
    const reference = new KafkaJS({ brokers: apache!.brokers, logLevel: logLevel.NOTHING }).producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await reference.connect()
    const tooLarge = reference.send({ topic: 'options-kafkajs-large', messages: Array.from({ length: 30 }, () => ({ value: 'x'.repeat(100_000), partition: 0 })) })
    await expect(tooLarge).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' })
    await reference.disconnect()
  }, 120000)

  it('resumes sending when Apache Kafka restarts mid-stream, losing nothing acknowledged', async () => {
    const brokers = apache!.brokers
    const topic = 'restarted'
    const producer = new Kafka({ clientId: 'ferro-restart', brokers, logLevel: 0, retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 3000 } }).producer()
    await producer.connect()
    const acknowledged: string[] = []
    let failures = 0
    let restarted = false
    const restart = (async () => {
      await waitFor(() => acknowledged.length >= 50, 'sends before the restart')
      await apache!.restart()
      restarted = true
    })()
    for (let i = 0; !(restarted && acknowledged.length >= 150); i++) {
      const value = `m${i}`
      try {
        await producer.send({ topic, messages: [{ value, partition: 0 }] })
        acknowledged.push(value)
      } catch {
        failures++
      }
    }
    await restart
    await producer.disconnect()
    const stored = new Set((await kcatRead(brokers, topic)).map((r) => r.payload))
    expect(acknowledged.filter((value) => !stored.has(value))).toEqual([])
    expect(failures).toBeLessThan(acknowledged.length)
  }, 240000)

  it('produces to the librdkafka mock cluster', async () => {
    rdmock = await startRdmock(['-t', `${TOPIC}:${PARTITIONS}`])
    await produceAndReadBack(rdmock.brokers)
  }, 120000)

  it('uses every codec and acks setting on the librdkafka mock, and splits what one batch cannot hold', async () => {
    await everyOption(rdmock!.brokers, 'options')
  }, 120000)
})
