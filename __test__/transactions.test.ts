// Transactions (producer.transaction()) against our broker, Apache Kafka 4.x and the librdkafka
// mock: committed messages are visible to read_committed consumers and aborted ones are not
// (read_uncommitted sees both), sendOffsets commits a group's offsets only with the transaction,
// a second producer with the same transactionalId fences the first with kafkajs's error, a
// producer that died mid-transaction does not stop its successor, and every misuse fails as it
// fails with kafkajs itself, run against the same broker.
//
// The librdkafka mock (2.0.2) accepts the transactional requests but writes no transaction
// markers, ignores the isolation level, keeps no offsets from TxnOffsetCommit and hands a new
// producer id to every InitProducerId, so it cannot show visibility, offsets or fencing; on it
// the transaction flow and the error checks run.
import assert from 'node:assert'
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { Kafka } from '..'
import { uniqueName, waitFor } from './helpers/kafka'
import { BROKERS, BrokerName, START_TIMEOUT_MS, readBack, startBroker } from './helpers/eos'

const PARTITIONS = 4
type Client = typeof Kafka | typeof KafkaJS
const CLIENTS: Array<[string, Client]> = [['ferrokafka', Kafka], ['kafkajs', KafkaJS]]

/** Whether `name` keeps transaction markers, fences producers and stores transactional offsets. */
const isTransactional = (name: BrokerName): boolean => name !== 'librdkafka mock'

/** An error as the tests compare it. */
const shape = (error: unknown): { name: string, message: string, type?: string } => {
  const e = error as Error & { type?: string }
  return e.type === undefined ? { name: e.name, message: e.message } : { name: e.name, message: e.message, type: e.type }
}

/** What a call rejected with (failing the test if it resolved). */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await call
  } catch (error) {
    return error
  }
  throw new Error('expected the call to reject')
}

describe.each(BROKERS)('transactions on %s', (name) => {
  const started = startBroker(name, PARTITIONS)
  started.catch(() => undefined)
  let brokers: string[]
  beforeAll(async () => { brokers = (await started).brokers }, START_TIMEOUT_MS)
  afterAll(async () => { await (await started).close() })

  // kafkajs's idempotent producer asks the controller for its producer id, and the mock names a
  // controller (0) that is none of its brokers: there the producers are transactional only.
  const producerOf = (Client: Client, transactionalId: string) =>
    new Client({ brokers, logLevel: logLevel.NOTHING })
      .producer({ transactionalId, idempotent: name !== 'librdkafka mock', maxInFlightRequests: 1 })

  it('commits and aborts: the sends return offsets and the transaction ends', async () => {
    const topic = uniqueName('flow')
    const producer = producerOf(Kafka, uniqueName('flow-id'))
    await producer.connect()
    const committed = await producer.transaction()
    expect(committed.isActive()).toBe(true)
    const records = await committed.send({ topic, messages: [{ key: 'k', value: 'committed' }] })
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ topicName: topic, errorCode: 0 })
    await committed.commit()
    expect(committed.isActive()).toBe(false)
    const aborted = await producer.transaction()
    await aborted.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'k', value: 'aborted' }] }] })
    await aborted.abort()
    expect(aborted.isActive()).toBe(false)
    const empty = await producer.transaction()
    await empty.commit()
    await producer.disconnect()
  })

  if (isTransactional(name)) {
    it('shows committed messages to read_committed consumers and hides aborted ones', async () => {
      const topic = uniqueName('visibility')
      const producer = producerOf(Kafka, uniqueName('visibility-id'))
      await producer.connect()
      for (const [value, commit] of [['c1', true], ['a1', false], ['c2', true], ['a2', false], ['c3', true]] as const) {
        const transaction = await producer.transaction()
        await transaction.send({ topic, messages: [{ key: 'same-partition', value }, { key: 'same-partition', value: `${value}-2` }] })
        await (commit ? transaction.commit() : transaction.abort())
      }
      await producer.disconnect()
      const last = (seen: Array<{ value: string | null }>) => seen.some((m) => m.value === 'c3-2')
      const committed = await readBack(brokers, topic, last)
      expect(committed.map((m) => m.value)).toEqual(['c1', 'c1-2', 'c2', 'c2-2', 'c3', 'c3-2'])
      const everything = await readBack(brokers, topic, last, { readUncommitted: true })
      expect(everything.map((m) => m.value)).toEqual(['c1', 'c1-2', 'a1', 'a1-2', 'c2', 'c2-2', 'a2', 'a2-2', 'c3', 'c3-2'])
    })

    it('commits offsets sent with sendOffsets only when the transaction commits', async () => {
      const topic = uniqueName('offsets')
      const groupId = uniqueName('offsets-group')
      const producer = producerOf(Kafka, uniqueName('offsets-id'))
      await producer.connect()
      const admin = new KafkaJS({ brokers, logLevel: logLevel.NOTHING }).admin()
      await admin.connect()
      const offsets = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions
        .filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset])
      const send = async (commit: boolean, offset: string) => {
        const transaction = await producer.transaction()
        await transaction.send({ topic, messages: [{ value: offset }] })
        await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 1, offset }] }] })
        await (commit ? transaction.commit() : transaction.abort())
      }
      await send(false, '7')
      await send(true, '42')
      await waitFor(async () => (await offsets())?.length === 1, 'the committed offset')
      expect(await offsets()).toEqual([[1, '42']])
      await send(false, '50')
      expect(await offsets()).toEqual([[1, '42']])
      await admin.disconnect()
      await producer.disconnect()
    })

    it('fences the older of two producers with one transactionalId with kafkajs\'s error', async () => {
      const outcomes = []
      for (const [, Client] of CLIENTS) {
        const topic = uniqueName('fencing')
        const transactionalId = uniqueName('fencing-id')
        const older = producerOf(Client, transactionalId)
        await older.connect()
        const transaction = await older.transaction()
        await transaction.send({ topic, messages: [{ key: 'k', value: 'older' }] })
        const newer = producerOf(Client, transactionalId)
        await newer.connect()
        const newerTransaction = await newer.transaction()
        const send = shape(await rejection(transaction.send({ topic, messages: [{ key: 'k', value: 'fenced' }] })))
        const commit = shape(await rejection(transaction.commit()))
        await newerTransaction.send({ topic, messages: [{ key: 'k', value: 'newer' }] })
        await newerTransaction.commit()
        await older.disconnect()
        await newer.disconnect()
        const seen = await readBack(brokers, topic, (seen) => seen.some((m) => m.value === 'newer'))
        outcomes.push({ send, commit, seen: seen.map((m) => m.value) })
      }
      const [ours, theirs] = outcomes
      expect(theirs.send).toMatchObject({ name: 'KafkaJSProtocolError', type: 'INVALID_PRODUCER_EPOCH' })
      expect(ours).toEqual(theirs)
      expect(ours.seen).toEqual(['newer'])
    })

    it('lets a producer take over a transactionalId whose previous owner died mid-transaction', async () => {
      const topic = uniqueName('takeover')
      const transactionalId = uniqueName('takeover-id')
      const crashed = producerOf(Kafka, transactionalId)
      await crashed.connect()
      const abandoned = await crashed.transaction()
      await abandoned.send({ topic, messages: [{ key: 'k', value: 'abandoned' }] })
      const successor = producerOf(Kafka, transactionalId)
      await successor.connect()
      const transaction = await successor.transaction()
      await transaction.send({ topic, messages: [{ key: 'k', value: 'successor' }] })
      await transaction.commit()
      const seen = await readBack(brokers, topic, (seen) => seen.some((m) => m.value === 'successor'))
      expect(seen.map((m) => m.value)).toEqual(['successor'])
      await crashed.disconnect()
      await successor.disconnect()
    })
  }

  it('runs 20 transactions back to back (CONCURRENT_TRANSACTIONS, while the last one completes, is retried)', async () => {
    const topic = uniqueName('back-to-back')
    const producer = producerOf(Kafka, uniqueName('back-to-back-id'))
    await producer.connect()
    for (let i = 0; i < 20; i++) {
      const transaction = await producer.transaction()
      await transaction.send({ topic, messages: [{ key: String(i), value: String(i) }] })
      await transaction.commit()
    }
    await producer.disconnect()
    const seen = await readBack(brokers, topic, (seen) => seen.length >= 20)
    expect(seen.map((m) => Number(m.value)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
  })

  it('fails misuse exactly as kafkajs does', async () => {
    const topic = uniqueName('misuse')
    const outcomes = []
    for (const [, Client] of CLIENTS) {
      const kafka = new Client({ brokers, logLevel: logLevel.NOTHING })
      const plain = kafka.producer()
      await plain.connect()
      const withoutId = shape(await rejection(plain.transaction()))
      await plain.disconnect()

      const producer = producerOf(Client, uniqueName('misuse-id'))
      await producer.connect()
      const transaction = await producer.transaction()
      const second = shape(await rejection(producer.transaction()))
      const acks = shape(await rejection(transaction.send({ topic, acks: 1, messages: [{ value: 'x' }] })))
      const noGroup = shape(await rejection(transaction.sendOffsets({ topics: [] } as never)))
      const noTopics = shape(await rejection(transaction.sendOffsets({ consumerGroupId: 'g' } as never)))
      await transaction.send({ topic, messages: [{ value: 'x' }] })
      await transaction.commit()
      const afterEnd = {
        active: transaction.isActive(),
        send: shape(await rejection(transaction.send({ topic, messages: [{ value: 'y' }] }))),
        sendBatch: shape(await rejection(transaction.sendBatch({ topicMessages: [] }))),
        sendOffsets: shape(await rejection(transaction.sendOffsets({ consumerGroupId: 'g', topics: [] }))),
        commit: shape(await rejection(transaction.commit())),
        abort: shape(await rejection(transaction.abort()))
      }
      const next = await producer.transaction()
      const nextActive = next.isActive()
      await next.abort()
      await producer.disconnect()
      outcomes.push({ withoutId, second, acks, noGroup, noTopics, afterEnd, nextActive })
    }
    const [ours, theirs] = outcomes
    expect(theirs.withoutId).toEqual({ name: 'KafkaJSNonRetriableError', message: 'Must provide transactional id for transactional producer' })
    expect(theirs.afterEnd.commit).toEqual({ name: 'KafkaJSNonRetriableError', message: 'Cannot continue to use transaction once ended' })
    expect(theirs.noGroup).toEqual(shape(new assert.AssertionError({ message: 'Missing consumerGroupId' })))
    expect(ours).toEqual(theirs)
  })
})
