// ferrokafka's producer against brokers nobody here wrote: real Apache Kafka 4.x and librdkafka's
// mock cluster. What it sends, kafkajs reads back byte for byte, on the partitions kafkajs's
// DefaultPartitioner would have chosen, at consecutive offsets.
import { Kafka as KafkaJS, Partitioners, logLevel } from 'kafkajs'
import { Kafka, CompressionTypes } from '..'
import { startApacheKafka, startRdmock, ExternalBroker } from './helpers/peers'
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

describe('ferrokafka producer against reference brokers', () => {
  let apache: ExternalBroker | undefined
  let rdmock: ExternalBroker | undefined
  afterAll(async () => {
    await apache?.close()
    await rdmock?.close()
  })

  it('produces to Apache Kafka', async () => {
    apache = await startApacheKafka([`num.partitions=${PARTITIONS}`])
    await produceAndReadBack(apache.brokers)
  }, 180000)

  it('produces to the librdkafka mock cluster', async () => {
    rdmock = await startRdmock(['-t', `${TOPIC}:${PARTITIONS}`])
    await produceAndReadBack(rdmock.brokers)
  }, 120000)
})
