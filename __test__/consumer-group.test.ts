// A consumer group mixing ferrokafka and kafkajs members on the embedded broker: they share a
// 6-partition topic while messages flow and members join and leave, and every message is
// processed, each partition in offset order, with duplicates only around rebalances.
import { Kafka, createBroker, Broker, Consumer } from '..'
import { Consumer as KafkaJSConsumer } from 'kafkajs'
import { kafkajs, uniqueName, waitFor } from './helpers/kafka'

const PARTITIONS = 6
const MESSAGES = 300
const CHUNK = 10

let broker: Broker
let brokers: string[]

beforeAll(async () => {
  broker = await createBroker({ numPartitions: PARTITIONS })
  brokers = broker.brokers
})

afterAll(async () => {
  await broker.close()
})

/** The shared processing log: each handled message, and each member's (re)join, in order. */
type Entry =
  | { kind: 'message', member: string, partition: number, offset: number, index: number }
  | { kind: 'join', member: string }

type AnyConsumer = Consumer | KafkaJSConsumer

test('two ferrokafka members and a kafkajs member share a topic through joins and leaves', async () => {
  const topic = uniqueName('mixed')
  const groupId = uniqueName('mixed-group')
  const log: Entry[] = []
  const joins = new Map<string, number>()

  const member = async (name: string, consumer: AnyConsumer): Promise<AnyConsumer> => {
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joins.set(name, (joins.get(name) ?? 0) + 1)
      log.push({ kind: 'join', member: name })
    })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const index = Number(message.value?.toString())
        log.push({ kind: 'message', member: name, partition, offset: Number(message.offset), index })
      }
    })
    return consumer
  }
  const ferro = (name: string) =>
    member(name, new Kafka({ clientId: name, brokers, logLevel: 0 }).consumer({ groupId, heartbeatInterval: 300 }))
  const peer = (name: string) =>
    member(name, kafkajs(brokers, name).consumer({ groupId, heartbeatInterval: 300 }))

  const admin = kafkajs(brokers).admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] })
  await admin.disconnect()
  const producer = kafkajs(brokers).producer()
  await producer.connect()
  let sent = 0
  const produceChunks = async (chunks: number) => {
    for (let c = 0; c < chunks; c++) {
      await producer.send({
        topic,
        messages: Array.from({ length: CHUNK }, (_, j) => {
          const index = sent + j
          return { partition: index % PARTITIONS, key: `key-${index}`, value: String(index) }
        })
      })
      sent += CHUNK
    }
  }
  const handled = () => new Set(log.flatMap((e) => (e.kind === 'message' ? [e.index] : []))).size

  const a = await ferro('ferro-a')
  const k = await peer('kafkajs-k')
  await produceChunks(10)
  await waitFor(() => handled() === 100, 'the first 100 messages')

  const joinedBefore = log.length
  const b = await ferro('ferro-b')
  await produceChunks(5)
  await waitFor(() => log.slice(joinedBefore).some((e) => e.kind === 'join' && e.member === 'ferro-b'), 'ferro-b to join')
  await produceChunks(5)
  await waitFor(() => handled() === 200, 'the first 200 messages')

  await produceChunks(5)
  await a.disconnect()
  await produceChunks(5)
  await waitFor(() => handled() === MESSAGES, `all ${MESSAGES} messages`, 60000)
  await producer.disconnect()
  await Promise.all([b.disconnect(), k.disconnect()])

  const messages = log.flatMap((e) => (e.kind === 'message' ? [e] : []))
  expect(new Set(messages.map((m) => m.index))).toEqual(new Set(Array.from({ length: MESSAGES }, (_, i) => i)))
  for (const name of ['ferro-a', 'ferro-b', 'kafkajs-k']) {
    expect(messages.some((m) => m.member === name)).toBe(true)
  }
  expect(joins.get('ferro-b')).toBeGreaterThanOrEqual(1)
  expect(joins.get('kafkajs-k')).toBeGreaterThanOrEqual(2)

  // Per partition, in the order handled: never a gap; a step back (a redelivery) only when some
  // member joined a new generation since the partition's previous message.
  for (let partition = 0; partition < PARTITIONS; partition++) {
    let last = -1
    let highest = -1
    let rejoined = false
    for (const entry of log) {
      if (entry.kind === 'join') {
        rejoined = true
        continue
      }
      if (entry.partition !== partition) continue
      const step = { partition, offset: entry.offset, last, gap: entry.offset > highest + 1, redelivered: entry.offset !== last + 1 }
      expect(step).toEqual({ ...step, gap: false, redelivered: step.redelivered && rejoined })
      last = entry.offset
      highest = Math.max(highest, entry.offset)
      rejoined = false
    }
    expect(highest).toBe(MESSAGES / PARTITIONS - 1)
  }
}, 120000)
