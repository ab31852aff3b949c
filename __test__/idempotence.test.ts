// The idempotent producer (kafka.producer({ idempotent: true })) against our broker, Apache Kafka
// 4.x and the librdkafka mock: every message is written once and in order, kafkajs's option
// checks and errors are kafkajs's own, and when a proxy loses Produce responses after the
// broker appended them, the retries neither duplicate nor reorder anything, where a producer
// without idempotence does duplicate.
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { Kafka, createBroker, Partitioners } from '..'
import { awaitGroupCoordinator, startApacheKafka } from './helpers/peers'
import { uniqueName } from './helpers/kafka'
import { BROKERS, START_TIMEOUT_MS, readBack, startBroker, ReadMessage } from './helpers/eos'
import { startFaultProxy, FaultProxy } from './helpers/fault-proxy'

const PARTITIONS = 4

/** What kafkajs's DefaultPartitioner does with `key` on a topic of PARTITIONS partitions. */
function partitionOf(key: string): number {
  const partitioner = Partitioners.DefaultPartitioner()
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 1 }))
  return partitioner({ topic: 't', partitionMetadata: partitionMetadata as never, message: { key, value: null } })
}

/** `count` messages, keys spread over the partitions, values numbered in send order. */
function numbered(count: number): Array<{ key: string, value: string }> {
  return Array.from({ length: count }, (_, i) => ({ key: `key-${i % 40}`, value: String(i) }))
}

/**
 * Asserts every message was read exactly once, and each partition holds its messages in the
 * order they were sent, at consecutive offsets.
 */
function expectExactlyOnceInOrder(sent: Array<{ key: string, value: string }>, seen: ReadMessage[]): void {
  const values = seen.map((m) => m.value)
  expect(new Set(values).size).toBe(values.length)
  expect(values.length).toBe(sent.length)
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const expected = sent.filter((m) => partitionOf(m.key) === partition).map((m) => m.value)
    const stored = seen.filter((m) => m.partition === partition).sort((a, b) => Number(a.offset) - Number(b.offset))
    expect(stored.map((m) => m.value)).toEqual(expected)
    expect(stored.map((m) => Number(m.offset) - Number(stored[0]?.offset))).toEqual(stored.map((_, i) => i))
  }
}

describe('idempotent producer options', () => {
  const quiet = { brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING }

  it('refuses retries: 0 as kafkajs does', () => {
    const ours = (): unknown => new Kafka(quiet).producer({ idempotent: true, retry: { retries: 0 } })
    const theirs = (): unknown => new KafkaJS(quiet).producer({ idempotent: true, retry: { retries: 0 } })
    expect(theirs).toThrow('Idempotent producer must allow retries to protect against transient errors')
    expect(ours).toThrow('Idempotent producer must allow retries to protect against transient errors')
    let error: unknown
    try { ours() } catch (e) { error = e }
    expect((error as Error).name).toBe('KafkaJSNonRetriableError')
    expect(() => new Kafka({ ...quiet, retry: { retries: 0 } }).producer({ idempotent: true })).toThrow('Idempotent producer must allow retries')
  })

  it('reports the option through isIdempotent()', () => {
    expect(new Kafka(quiet).producer({ idempotent: true }).isIdempotent()).toBe(true)
    expect(new Kafka(quiet).producer().isIdempotent()).toBe(false)
    expect(new Kafka(quiet).producer({ transactionalId: 'x' }).isIdempotent()).toBe(false)
  })
})

describe.each(BROKERS)('idempotent producer on %s', (name) => {
  const started = startBroker(name, PARTITIONS)
  started.catch(() => undefined)
  let brokers: string[]
  beforeAll(async () => { brokers = (await started).brokers }, START_TIMEOUT_MS)
  afterAll(async () => { await (await started).close() })

  it('writes every message once, in send order per partition, from many concurrent sends', async () => {
    const topic = uniqueName('idempotent')
    const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true })
    await producer.connect()
    const sent = numbered(2000)
    const [first, ...chunks] = Array.from({ length: 200 }, (_, i) => sent.slice(i * 10, i * 10 + 10))
    // Sends racing to fetch a new topic's metadata may reach the partitions in any order: the
    // first send fetches it alone.
    const results = [await producer.send({ topic, messages: first })]
    results.push(...await Promise.all(chunks.map((messages) => producer.send({ topic, messages }))))
    await producer.disconnect()
    expect(results.flat().every((r) => r.errorCode === 0 && Number(r.baseOffset) >= 0)).toBe(true)
    const seen = await readBack(brokers, topic, (seen) => seen.length >= sent.length)
    expectExactlyOnceInOrder(sent, seen)
  })

  it('fails a send with acks other than -1 with kafkajs\'s error', async () => {
    const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true })
    await producer.connect()
    const send = producer.send({ topic: uniqueName('acks'), acks: 1, messages: [{ value: 'x' }] })
    await expect(send).rejects.toMatchObject({
      name: 'KafkaJSNonRetriableError',
      message: "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees"
    })
    await producer.disconnect()
  })
})

describe('kafkajs compared: acks other than -1 on an idempotent producer', () => {
  it('throws the same error class and message', async () => {
    const broker = await createBroker()
    try {
      const errors = await Promise.all([Kafka, KafkaJS].map(async (Client) => {
        const producer = new Client({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true })
        await producer.connect()
        const error = await producer.send({ topic: 'acks', acks: 0, messages: [{ value: 'x' }] }).catch((e: Error) => e)
        await producer.disconnect()
        return error
      }))
      const [ours, theirs] = errors as Error[]
      expect(theirs.name).toBe('KafkaJSNonRetriableError')
      expect({ name: ours.name, message: ours.message }).toEqual({ name: theirs.name, message: theirs.message })
    } finally {
      await broker.close()
    }
  })
})

/** A broker reached only through a fault proxy, which it advertises. */
interface Proxied {
  proxy: FaultProxy
  close(): Promise<void>
}

/** Every `n`-th Produce response is lost, after the broker appended the records. */
const EVERY = 7

async function proxiedFerrokafka(): Promise<Proxied> {
  const proxy = await startFaultProxy((n) => n % EVERY === 0)
  const broker = await createBroker({ numPartitions: PARTITIONS, config: { 'advertised.listeners': `PLAINTEXT://${proxy.address}` } })
  proxy.setTarget(`127.0.0.1:${broker.port}`)
  return { proxy, close: async () => { await proxy.close(); await broker.close() } }
}

async function proxiedApacheKafka(): Promise<Proxied> {
  const proxy = await startFaultProxy((n) => n % EVERY === 0)
  const kafka = await startApacheKafka([`num.partitions=${PARTITIONS}`, `advertised.listeners=PLAINTEXT://${proxy.address}`])
  proxy.setTarget(kafka.brokers[0])
  const close = async () => { await proxy.close(); await kafka.close() }
  await awaitGroupCoordinator([proxy.address]).catch(async (error) => {
    await close()
    throw error
  })
  return { proxy, close }
}

describe.each([
  ['ferrokafka', proxiedFerrokafka],
  ['Apache Kafka', proxiedApacheKafka]
] as const)('lost Produce responses on %s', (_name, start) => {
  const started = start()
  started.catch(() => undefined)
  let proxied: Proxied
  beforeAll(async () => { proxied = await started }, START_TIMEOUT_MS)
  afterAll(async () => { await (await started).close() })

  /** Sends `sent` through the proxy in sends of 10 messages, 5 at a time (the first alone). */
  async function sendThroughProxy(idempotent: boolean, topic: string, sent: Array<{ key: string, value: string }>): Promise<void> {
    const kafka = new Kafka({ brokers: [proxied.proxy.address], logLevel: logLevel.NOTHING, retry: { retries: 30 } })
    const producer = kafka.producer({ idempotent, maxInFlightRequests: 5 })
    await producer.connect()
    await producer.send({ topic, messages: sent.slice(0, 10) })
    for (let i = 10; i < sent.length; i += 50) {
      const round = sent.slice(i, i + 50)
      await Promise.all(Array.from({ length: 5 }, (_, j) => producer.send({ topic, messages: round.slice(j * 10, j * 10 + 10) })))
    }
    await producer.disconnect()
  }

  it('retries through them without duplicating or reordering 10,000 messages', async () => {
    const topic = uniqueName('lost-responses')
    const sent = numbered(10_000)
    const droppedBefore = proxied.proxy.dropped()
    await sendThroughProxy(true, topic, sent)
    expect(proxied.proxy.dropped() - droppedBefore).toBeGreaterThan(20)
    const seen = await readBack([proxied.proxy.address], topic, (seen) => seen.length >= sent.length)
    expectExactlyOnceInOrder(sent, seen)
  }, 180_000)

  it('duplicates messages when the producer is not idempotent (the faults are real)', async () => {
    const topic = uniqueName('lost-responses-plain')
    const sent = numbered(2000)
    const droppedBefore = proxied.proxy.dropped()
    await sendThroughProxy(false, topic, sent)
    const dropped = proxied.proxy.dropped() - droppedBefore
    expect(dropped).toBeGreaterThan(0)
    const seen = await readBack([proxied.proxy.address], topic, (seen) => seen.length > sent.length)
    expect(seen.length).toBeGreaterThan(sent.length)
  }, 180_000)
})
