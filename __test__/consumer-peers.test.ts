// ferrokafka's consumer against brokers nobody here wrote: real Apache Kafka 4.x and librdkafka's
// mock cluster. eachMessage delivers what a kafkajs consumer delivers, committed offsets carry a
// second run on, eachBatch hands each partition's messages in order, and a topic a transactional
// producer creates while the consumer joins is consumed.
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { Kafka, EachMessagePayload } from '..'
import { startApacheKafka, startRdmock, ExternalBroker } from './helpers/peers'
import { waitFor } from './helpers/kafka'

const PARTITIONS = 3
const TOPICS = ['ferro-consume', 'ferro-batches']

/** What a handler saw; the message is compared whole, as each client delivered it. */
type Seen = { topic: string, partition: number, message: { offset: string, headers?: EachMessagePayload['message']['headers'] } }

const byPosition = (a: Seen, b: Seen) =>
  a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset))

let groups = 0
const group = (name: string) => `${name}-${process.pid}-${++groups}`

async function produce(brokers: string[], topic: string, from: number, count: number): Promise<void> {
  const producer = new KafkaJS({ brokers, logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, j) => {
      const i = from + j
      return {
        partition: i % PARTITIONS,
        key: i % 7 === 0 ? null : `key-${i}`,
        value: i % 11 === 10 ? null : `value-${i}`,
        timestamp: String(1_700_000_000_000 + i),
        headers: { index: String(i), tags: ['a', 'b'] }
      }
    })
  })
  await producer.disconnect()
}

async function consumeLikeKafkajs(brokers: string[]): Promise<void> {
  const [topic] = TOPICS
  await produce(brokers, topic, 0, 40)

  const reference: Seen[] = []
  const peer = new KafkaJS({ brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: group('kafkajs') })
  await peer.connect()
  await peer.subscribe({ topic, fromBeginning: true })
  await peer.run({ eachMessage: async ({ topic, partition, message }) => { reference.push({ topic, partition, message }) } })
  await waitFor(() => reference.length === 40, 'kafkajs to read 40 messages', 60000)
  await peer.disconnect()

  const groupId = group('ferro')
  const ferro = new Kafka({ clientId: 'ferro-peers', brokers, logLevel: 0 })
  const seen: Seen[] = []
  const consumer = ferro.consumer({ groupId })
  let commits = 0
  consumer.on(consumer.events.COMMIT_OFFSETS, () => { commits++ })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({ eachMessage: async ({ topic, partition, message }) => { seen.push({ topic, partition, message }) } })
  await waitFor(() => seen.length === 40, 'ferrokafka to read 40 messages', 60000)
  await waitFor(() => commits > 0, 'a commit')
  await consumer.disconnect()
  expect(seen.slice().sort(byPosition)).toEqual(reference.slice().sort(byPosition))
  for (let p = 0; p < PARTITIONS; p++) {
    const offsets = seen.filter((s) => s.partition === p).map((s) => Number(s.message.offset))
    expect(offsets).toEqual(offsets.map((_, i) => i))
  }

  await produce(brokers, topic, 40, 10)
  const resumed: Seen[] = []
  const again = ferro.consumer({ groupId })
  await again.connect()
  await again.subscribe({ topic, fromBeginning: true })
  await again.run({ eachMessage: async ({ topic, partition, message }) => { resumed.push({ topic, partition, message }) } })
  await waitFor(() => resumed.length === 10, 'the 10 new messages', 60000)
  await again.disconnect()
  expect(resumed.map((s) => s.message.headers?.index?.toString()).sort()).toEqual(
    Array.from({ length: 10 }, (_, j) => String(40 + j)).sort())
}

async function consumeBatches(brokers: string[]): Promise<void> {
  const topic = TOPICS[1]
  await produce(brokers, topic, 0, 30)
  const consumer = new Kafka({ clientId: 'ferro-peers', brokers, logLevel: 0 }).consumer({ groupId: group('ferro-batch') })
  const offsets = new Map<number, string[]>()
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachBatch: async ({ batch }) => {
      offsets.set(batch.partition, [...(offsets.get(batch.partition) ?? []), ...batch.messages.map((m) => m.offset)])
    }
  })
  await waitFor(() => Array.from(offsets.values()).flat().length === 30, '30 messages in batches', 60000)
  await consumer.disconnect()
  expect(offsets.size).toBe(PARTITIONS)
  for (const list of offsets.values()) expect(list).toEqual(list.map((_, i) => String(i)))
}

/**
 * A consumer joins its group while a transactional producer's first send creates the subscribed
 * topic: the topic may have no partitions yet when the group's partitions are assigned, and the
 * consumer must still get its committed messages once it has them.
 */
async function consumeTopicCreatedByTransaction(brokers: string[], transactional: boolean): Promise<void> {
  const topic = group('ferro-txn-created')
  const kafka = new Kafka({ clientId: 'ferro-peers', brokers, logLevel: 0 })
  const consumer = kafka.consumer({ groupId: group('ferro-txn-created'), maxWaitTimeInMs: 200 })
  // The librdkafka mock names a controller that is none of its brokers, so there the producer
  // is transactional without asking for an idempotent producer id first.
  const producer = kafka.producer({ transactionalId: group('ferro-txn-created'), idempotent: transactional, maxInFlightRequests: 1 })
  await Promise.all([consumer.connect(), producer.connect()])
  await consumer.subscribe({ topic, fromBeginning: true })
  const seen: string[] = []
  const send = async (values: string[]) => {
    const transaction = await producer.transaction()
    await transaction.send({ topic, messages: values.map((value) => ({ value })) })
    await transaction.commit()
  }
  await Promise.all([
    consumer.run({ eachMessage: async ({ message }) => { seen.push(String(message.value)) } }),
    send(['a', 'b', 'c'])
  ])
  await send(['d'])
  await producer.disconnect()
  await waitFor(() => seen.length === 4, 'the messages of the topic created by the transaction', 60000)
  await consumer.disconnect()
  expect(seen.sort()).toEqual(['a', 'b', 'c', 'd'])
}

describe('ferrokafka consumer against reference brokers', () => {
  let apache: ExternalBroker | undefined
  let rdmock: ExternalBroker | undefined
  afterAll(async () => {
    await apache?.close()
    await rdmock?.close()
  })

  it('consumes from Apache Kafka', async () => {
    apache = await startApacheKafka([`num.partitions=${PARTITIONS}`])
    const admin = new KafkaJS({ brokers: apache.brokers, logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    await admin.createTopics({ topics: TOPICS.map((topic) => ({ topic, numPartitions: PARTITIONS })), waitForLeaders: true })
    await admin.disconnect()
    await consumeLikeKafkajs(apache.brokers)
    await consumeBatches(apache.brokers)
    await consumeTopicCreatedByTransaction(apache.brokers, true)
  }, 240000)

  it('consumes from the librdkafka mock cluster', async () => {
    rdmock = await startRdmock(TOPICS.flatMap((topic) => ['-t', `${topic}:${PARTITIONS}`]))
    await consumeLikeKafkajs(rdmock.brokers)
    await consumeBatches(rdmock.brokers)
    await consumeTopicCreatedByTransaction(rdmock.brokers, false)
  }, 180000)
})
