// kafkajs's transactional and idempotent producers against the embedded broker, with Apache Kafka
// as the reference running the same scenarios: what read_committed and read_uncommitted consumers
// see, offsets sent inside a transaction, the fencing of an older producer instance, and the
// broker aborting a transaction left open past its timeout.
import { Kafka, logLevel, Producer } from 'kafkajs'
import { describeTargets } from './helpers/peers'
import { uniqueName, waitFor } from './helpers/kafka'

/** How often the brokers look for timed out transactions (Kafka's default is 10 s). */
const ABORT_CHECK_MS = 500

/** A record as a consumer handed it over. */
interface Seen {
  offset: string
  value: string
}

/** What a failed kafkajs call threw, in the terms a kafkajs user checks. */
interface Thrown {
  name: string
  type: string | undefined
  retriable: boolean
}

function thrown(error: unknown): Thrown {
  const e = error as { name: string, type?: string, retriable: boolean }
  return { name: e.name, type: e.type, retriable: e.retriable }
}

describeTargets('kafkajs transactions against %s', 1, (bootstrap) => {
  const client = () => new Kafka({ clientId: 'transactions', brokers: [bootstrap()], logLevel: logLevel.NOTHING })

  async function createTopic(prefix: string): Promise<string> {
    const topic = uniqueName(prefix)
    const admin = client().admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
    await admin.disconnect()
    return topic
  }

  async function transactional(transactionalId: string, transactionTimeout?: number): Promise<Producer> {
    const producer = client().producer({ transactionalId, transactionTimeout, maxInFlightRequests: 1, idempotent: true })
    await producer.connect()
    return producer
  }

  /** Reads `topic` from the start in a fresh group until `done` holds for what arrived. */
  async function consume(topic: string, readUncommitted: boolean, done: (seen: Seen[]) => boolean): Promise<Seen[]> {
    const consumer = client().consumer({ groupId: uniqueName('reader'), readUncommitted })
    const seen: Seen[] = []
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => { seen.push({ offset: message.offset, value: String(message.value) }) }
    })
    await waitFor(() => done(seen), `records of ${topic}`, 60_000)
    await consumer.disconnect()
    return seen
  }

  const includes = (value: string) => (seen: Seen[]) => seen.some((s) => s.value === value)

  beforeAll(async () => {
    // Right after it starts, Apache Kafka can answer a transactional producer with
    // COORDINATOR_NOT_AVAILABLE, which kafkajs does not retry (it names code 15
    // GROUP_COORDINATOR_NOT_AVAILABLE but retries only COORDINATOR_NOT_AVAILABLE), or with
    // CONCURRENT_TRANSACTIONS for longer than kafkajs's test-mode retry budget while its
    // transaction state topic settles. One transaction with offsets, each attempt by a new
    // producer, is repeated until it goes through before the tests run.
    const topic = await createTopic('warm-up')
    await waitFor(async () => {
      const producer = await transactional(uniqueName('warm-up'))
      try {
        const txn = await producer.transaction()
        await txn.sendOffsets({ consumerGroupId: uniqueName('warm-up'), topics: [{ topic, partitions: [{ partition: 0, offset: '0' }] }] })
        await txn.commit()
        return true
      } catch (error) {
        // kafkajs wraps the last error of a spent retry budget in KafkaJSNumberOfRetriesExceeded.
        const { type, retriable } = thrown((error as { cause?: unknown }).cause ?? error)
        if (!retriable && type !== 'GROUP_COORDINATOR_NOT_AVAILABLE') throw error
        return false
      } finally {
        await producer.disconnect()
      }
    }, 'a transactional offset commit to go through', 60_000)
  }, 120_000)

  it('shows committed records to read_committed consumers, hides aborted ones, and shows all to read_uncommitted ones', async () => {
    const topic = await createTopic('txn-visibility')
    const producer = await transactional(uniqueName('visibility'))
    const first = await producer.transaction()
    await first.send({ topic, messages: [{ value: 'c1' }, { value: 'c2' }] })
    await first.commit()
    const aborted = await producer.transaction()
    await aborted.send({ topic, messages: [{ value: 'a1' }, { value: 'a2' }] })
    await aborted.abort()
    const last = await producer.transaction()
    await last.send({ topic, messages: [{ value: 'c3' }] })
    await last.commit()
    await producer.disconnect()

    // Each transaction ends with a marker taking one offset: c1 c2 | a1 a2 | c3 |
    expect(await consume(topic, false, includes('c3'))).toEqual([
      { offset: '0', value: 'c1' }, { offset: '1', value: 'c2' }, { offset: '6', value: 'c3' }
    ])
    expect(await consume(topic, true, includes('c3'))).toEqual([
      { offset: '0', value: 'c1' }, { offset: '1', value: 'c2' },
      { offset: '3', value: 'a1' }, { offset: '4', value: 'a2' },
      { offset: '6', value: 'c3' }
    ])
  })

  it('makes offsets sent in a transaction visible to the group only once it commits', async () => {
    const topic = await createTopic('txn-offsets')
    const groupId = uniqueName('txn-offsets')
    const producer = await transactional(uniqueName('offsets'))
    const admin = client().admin()
    await admin.connect()
    const committed = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))
      .flatMap((t) => t.partitions.map((p) => p.offset))

    const txn = await producer.transaction()
    await txn.send({ topic, messages: [{ value: 'processed' }] })
    await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '5' }] }] })
    expect(await committed()).toEqual(['-1'])
    await txn.commit()
    // Kafka answers EndTxn once the commit is decided and writes the offsets' marker after it.
    await waitFor(async () => (await committed())[0] === '5', 'the committed offset to show')

    // Another transactional id aborts: Kafka may still be writing the first one's markers, and
    // kafkajs does not retry the CONCURRENT_TRANSACTIONS its sendOffsets would get meanwhile.
    const other = await transactional(uniqueName('offsets-dropped'))
    const dropped = await other.transaction()
    await dropped.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: '9' }] }] })
    await dropped.abort()
    expect(await committed()).toEqual(['5'])
    await admin.disconnect()
    await other.disconnect()
    await producer.disconnect()
  })

  it('fences the older of two producers with one transactionalId', async () => {
    const topic = await createTopic('txn-fencing')
    const transactionalId = uniqueName('fencing')
    const older = await transactional(transactionalId)
    const open = await older.transaction()
    await open.send({ topic, messages: [{ value: 'zombie' }] })

    // The newer instance's first transaction initialises its transactional id, which aborts the
    // older one's open transaction and fences it.
    const newer = await transactional(transactionalId)
    const fresh = await newer.transaction()
    const fenced = await open.commit().then(() => undefined, thrown)
    expect(fenced).toEqual({ name: 'KafkaJSProtocolError', type: 'INVALID_PRODUCER_EPOCH', retriable: false })

    await fresh.send({ topic, messages: [{ value: 'fresh' }] })
    await fresh.commit()
    expect((await consume(topic, false, includes('fresh'))).map((s) => s.value)).toEqual(['fresh'])
    await older.disconnect()
    await newer.disconnect()
  })

  it('aborts a transaction left open past its transactionTimeout and fences its producer', async () => {
    const topic = await createTopic('txn-timeout')
    const forgetful = await transactional(uniqueName('timeout'), 1000)
    const open = await forgetful.transaction()
    await open.send({ topic, messages: [{ value: 'forgotten' }] })
    const plain = client().producer()
    await plain.connect()
    await plain.send({ topic, messages: [{ value: 'after' }] })
    await plain.disconnect()

    // read_committed readers see nothing past the open transaction until the broker aborts it.
    expect((await consume(topic, false, includes('after'))).map((s) => s.value)).toEqual(['after'])
    const fenced = await open.commit().then(() => undefined, thrown)
    expect(fenced).toEqual({ name: 'KafkaJSProtocolError', type: 'INVALID_PRODUCER_EPOCH', retriable: false })
    await forgetful.disconnect()
  })

  it('writes every batch of an idempotent producer once, in order', async () => {
    const topic = await createTopic('idempotent')
    const producer = client().producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const offsets: string[] = []
    for (let i = 0; i < 5; i++) {
      const [ack] = await producer.send({ topic, messages: [{ value: `m${i}a` }, { value: `m${i}b` }] })
      offsets.push(String(ack.baseOffset))
    }
    await producer.disconnect()
    expect(offsets).toEqual(['0', '2', '4', '6', '8'])
    const seen = await consume(topic, false, includes('m4b'))
    expect(seen.map((s) => s.value)).toEqual(Array.from({ length: 5 }, (_, i) => [`m${i}a`, `m${i}b`]).flat())
    expect(seen.map((s) => s.offset)).toEqual(Array.from({ length: 10 }, (_, i) => String(i)))
  })
}, { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': String(ABORT_CHECK_MS) })
