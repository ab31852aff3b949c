// ferrokafka's consumer against the embedded broker, side by side with kafkajs's consumer on the
// same topic: the same payloads, committed offsets a second run resumes from, and membership
// that outlives a handler slower than the session timeout.
import { Kafka, createBroker, Broker, EachMessagePayload, PartitionAssigners } from '..'
import { kafkajs, uniqueName, waitFor } from './helpers/kafka'

let broker: Broker
let brokers: string[]

beforeAll(async () => {
  broker = await createBroker({ numPartitions: 3 })
  brokers = broker.brokers
})

afterAll(async () => {
  await broker.close()
})

function ferro() {
  return new Kafka({ clientId: 'ferro-consumer', brokers, logLevel: 0 })
}

async function produce(topic: string, from: number, count: number): Promise<void> {
  const producer = kafkajs(brokers).producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, j) => {
      const i = from + j
      return {
        key: i % 7 === 0 ? null : `key-${i}`,
        value: i % 11 === 10 ? null : `value-${i}`,
        timestamp: String(1_700_000_000_000 + i),
        headers: { index: String(i), tags: ['a', 'b'] }
      }
    })
  })
  await producer.disconnect()
}

/** What a handler saw; the message is compared whole, as each client delivered it. */
type Seen = { topic: string; partition: number; message: Pick<EachMessagePayload['message'], 'offset' | 'value'> }

const byPosition = (a: Seen, b: Seen) =>
  a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset))

describe('consumer', () => {
  test('eachMessage sees what kafkajs sees, commits, and a second run resumes after the commit', async () => {
    const topic = uniqueName('consume')
    await produce(topic, 0, 40)

    const reference: Seen[] = []
    const peer = kafkajs(brokers).consumer({ groupId: uniqueName('kafkajs-group') })
    await peer.connect()
    await peer.subscribe({ topic, fromBeginning: true })
    await peer.run({ eachMessage: async ({ topic, partition, message }) => { reference.push({ topic, partition, message }) } })
    await waitFor(() => reference.length === 40, 'kafkajs to read 40 messages')
    await peer.disconnect()

    const groupId = uniqueName('ferro-group')
    const seen: Seen[] = []
    const consumer = ferro().consumer({ groupId })
    const committed: unknown[] = []
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => { committed.push(e.payload) })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ topic, partition, message }) => { seen.push({ topic, partition, message }) } })
    await waitFor(() => seen.length === 40, 'ferrokafka to read 40 messages')
    await waitFor(() => committed.length > 0, 'a commit')
    await consumer.disconnect()

    expect(seen.slice().sort(byPosition)).toEqual(reference.slice().sort(byPosition))
    for (const p of [0, 1, 2]) {
      const offsets = seen.filter((s) => s.partition === p).map((s) => Number(s.message.offset))
      expect(offsets).toEqual(offsets.slice().sort((a, b) => a - b))
    }

    await produce(topic, 40, 10)
    const resumed: Seen[] = []
    const again = ferro().consumer({ groupId })
    await again.connect()
    await again.subscribe({ topic, fromBeginning: true })
    await again.run({ eachMessage: async ({ topic, partition, message }) => { resumed.push({ topic, partition, message }) } })
    await waitFor(() => resumed.length === 10, 'the 10 new messages')
    await again.disconnect()
    expect(resumed.map((s) => s.message.value?.toString()).sort()).toEqual(
      Array.from({ length: 10 }, (_, j) => 40 + j).map((i) => (i % 11 === 10 ? undefined : `value-${i}`)).sort()
    )
  })

  test('eachBatch hands whole batches with kafkajs batch helpers', async () => {
    const topic = uniqueName('batches')
    await produce(topic, 0, 30)
    const consumer = ferro().consumer({ groupId: uniqueName('ferro-batch'), partitionAssigners: [PartitionAssigners.roundRobin] })
    const offsets = new Map<number, string[]>()
    let lagChecked = false
    await consumer.connect()
    await consumer.subscribe({ topics: [new RegExp(`^${topic}$`)], fromBeginning: true })
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const list = offsets.get(batch.partition) ?? []
        list.push(...batch.messages.map((m) => m.offset))
        offsets.set(batch.partition, list)
        expect(batch.firstOffset()).toBe(batch.messages[0].offset)
        expect(batch.lastOffset()).toBe(batch.messages[batch.messages.length - 1].offset)
        expect(BigInt(batch.offsetLag())).toBe(BigInt(batch.highWatermark) - 1n - BigInt(batch.lastOffset()))
        lagChecked = true
      }
    })
    await waitFor(() => Array.from(offsets.values()).flat().length === 30, '30 messages in batches')
    await consumer.disconnect()
    expect(lagChecked).toBe(true)
    for (const list of offsets.values()) {
      expect(list).toEqual(list.map((_, i) => String(i)))
    }
  })

  test('a handler slower than the session timeout keeps its membership: heartbeats go on', async () => {
    const topic = uniqueName('slow')
    await produce(topic, 0, 3)
    const consumer = ferro().consumer({ groupId: uniqueName('ferro-slow'), sessionTimeout: 6000, heartbeatInterval: 300 })
    let heartbeats = 0
    let rebalances = 0
    let joins = 0
    consumer.on(consumer.events.HEARTBEAT, () => { heartbeats++ })
    consumer.on(consumer.events.REBALANCING, () => { rebalances++ })
    consumer.on(consumer.events.GROUP_JOIN, () => { joins++ })
    const handled: string[] = []
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (handled.length === 0) {
          // 25 heartbeats 300 ms apart span more than the 6 s session timeout.
          const from = heartbeats
          await waitFor(() => heartbeats >= from + 25, 'heartbeats during the slow handler', 60000)
        }
        handled.push(message.offset)
      }
    })
    await waitFor(() => handled.length === 3, 'all three messages', 60000)
    const group = await consumer.describeGroup()
    await consumer.disconnect()
    expect(rebalances).toBe(0)
    expect(joins).toBe(1)
    expect(group.state).toBe('Stable')
    expect(group.members).toHaveLength(1)
  }, 90000)

  it('creates a subscribed topic that does not exist yet, as kafkajs does, unless told not to', async () => {
    const created = uniqueName('ferro-created')
    const consumer = ferro().consumer({ groupId: uniqueName('ferro-create') })
    const seen: string[] = []
    let joined = false
    consumer.on(consumer.events.GROUP_JOIN, () => { joined = true })
    await consumer.connect()
    await consumer.subscribe({ topic: created, fromBeginning: true })
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(String(message.value)) } })
    await waitFor(() => joined, 'the group join')
    const producer = ferro().producer({ allowAutoTopicCreation: false })
    await producer.connect()
    await producer.send({ topic: created, messages: [{ value: 'into the created topic' }] })
    await producer.disconnect()
    await waitFor(() => seen.length === 1, 'the message')
    await consumer.disconnect()
    expect(seen).toEqual(['into the created topic'])

    const absent = uniqueName('ferro-absent')
    const strict = ferro().consumer({ groupId: uniqueName('ferro-strict'), allowAutoTopicCreation: false })
    let strictJoined = false
    strict.on(strict.events.GROUP_JOIN, () => { strictJoined = true })
    await strict.connect()
    await strict.subscribe({ topic: absent })
    await strict.run({ eachMessage: async () => {} })
    await waitFor(() => strictJoined, 'the group join without the topic')
    await strict.disconnect()
    const admin = ferro().admin()
    await admin.connect()
    const topics = await admin.listTopics()
    await admin.disconnect()
    expect(topics).toContain(created)
    expect(topics).not.toContain(absent)
  }, 60000)

  it('receives the messages of a topic a transactional producer creates while the consumer joins', async () => {
    const topic = uniqueName('ferro-txn-created')
    const consumer = ferro().consumer({ groupId: uniqueName('ferro-txn-created') })
    const seen: string[] = []
    const producer = ferro().producer({ transactionalId: uniqueName('ferro-txn-created'), maxInFlightRequests: 1, idempotent: true })
    await Promise.all([consumer.connect(), producer.connect()])
    await consumer.subscribe({ topic, fromBeginning: true })
    const sendInTransaction = async (values: string[]) => {
      const transaction = await producer.transaction()
      await transaction.send({ topic, messages: values.map((value) => ({ key: value, value })) })
      await transaction.commit()
    }
    await Promise.all([
      consumer.run({ eachMessage: async ({ message }) => { seen.push(String(message.value)) } }),
      sendInTransaction(['first-0', 'first-1', 'first-2'])
    ])
    await sendInTransaction(['second-0', 'second-1', 'second-2'])
    await producer.disconnect()
    await waitFor(() => seen.length === 6, 'the six committed messages')
    await consumer.disconnect()
    expect(seen.sort()).toEqual(['first-0', 'first-1', 'first-2', 'second-0', 'second-1', 'second-2'])
  }, 60000)
})
