// The messages ferrokafka's consumer hands to eachBatch are the ones kafkajs hands over, field for
// field, including the unusual ones: empty and binary values, unicode and repeated header names,
// null header values, timestamps beyond what a JavaScript number holds exactly, compressed batches.
import { Kafka, createBroker, Broker, CompressionTypes, EachBatchPayload } from '..'
import { kafkajs, uniqueName, waitFor } from './helpers/kafka'

let broker: Broker

beforeAll(async () => {
  broker = await createBroker({ numPartitions: 1 })
})

afterAll(async () => {
  await broker.close()
})

type Message = EachBatchPayload['batch']['messages'][number]

/** What both clients' consumers offer this test (kafkajs's message type is a wider union). */
interface Client {
  consumer: (config: { groupId: string }) => {
    connect: () => Promise<void>
    subscribe: (subscription: { topics: string[], fromBeginning: boolean }) => Promise<void>
    run: (config: { eachBatch: (payload: { batch: { messages: object[] } }) => Promise<void> }) => Promise<void>
    disconnect: () => Promise<void>
  }
}

async function readAll(kafka: Client, topic: string, count: number): Promise<Message[]> {
  const messages: Message[] = []
  const consumer = kafka.consumer({ groupId: uniqueName('batch-group') })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({ eachBatch: async ({ batch }) => { messages.push(...(batch.messages as Message[])) } })
  await waitFor(() => messages.length >= count, `${count} messages`)
  await consumer.disconnect()
  return messages
}

test('eachBatch messages match kafkajs field for field', async () => {
  const topic = uniqueName('batch-shapes')
  const producer = kafkajs(broker.brokers).producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: [
      { key: Buffer.from([0, 255, 1]), value: Buffer.alloc(0) },
      { key: '', value: null, headers: { 'ключ-☃': 'значение', empty: '' } },
      { value: Buffer.from([0xde, 0xad, 0xbe, 0xef]), headers: { repeated: ['one', 'two', 'three'] }, timestamp: '18014398509481985' },
      { value: 'last', timestamp: '-1' }
    ]
  })
  await producer.send({
    topic,
    compression: CompressionTypes.GZIP,
    messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `compressed ${i}`, headers: { i: String(i) } }))
  })
  await producer.disconnect()

  const reference = await readAll(kafkajs(broker.brokers), topic, 54)
  const seen = await readAll(new Kafka({ brokers: broker.brokers, logLevel: 0 }), topic, 54)
  expect(seen).toEqual(reference)
  expect(BigInt(seen[2].timestamp)).toBeGreaterThan(2n ** 53n)
  expect(seen[1].headers).toEqual({ 'ключ-☃': Buffer.from('значение'), empty: Buffer.alloc(0) })
})

test('timestamps before the epoch, read as numbers, match kafkajs', async () => {
  // No timestamp here is beyond what a number holds exactly, so none is passed on as text.
  const topic = uniqueName('batch-numbers')
  const producer = kafkajs(broker.brokers).producer()
  await producer.connect()
  await producer.send({ topic, messages: [{ value: 'before the epoch', timestamp: '-1' }, { value: 'long before', timestamp: '-4294967297' }] })
  await producer.send({ topic, messages: [{ value: 'now' }] })
  await producer.disconnect()

  const reference = await readAll(kafkajs(broker.brokers), topic, 3)
  const seen = await readAll(new Kafka({ brokers: broker.brokers, logLevel: 0 }), topic, 3)
  expect(seen).toEqual(reference)
  expect(seen.slice(0, 2).map((m) => m.timestamp)).toEqual(['-1', '-4294967297'])
})

test('offsets across thousands, and the Buffers of keys and values, match kafkajs', async () => {
  // Offsets are made from a shared text of their thousands, so 999 -> 1000 and 1999 -> 2000 are
  // where a mistake would show; keys and values must be Buffers as kafkajs's are.
  const topic = uniqueName('batch-offsets')
  const producer = kafkajs(broker.brokers).producer()
  await producer.connect()
  for (let sent = 0; sent < 2100; sent += 700) {
    await producer.send({ topic, messages: Array.from({ length: 700 }, (_, i) => ({ key: `k${sent + i}`, value: `v${sent + i}` })) })
  }
  await producer.disconnect()

  const reference = await readAll(kafkajs(broker.brokers), topic, 2100)
  const seen = await readAll(new Kafka({ brokers: broker.brokers, logLevel: 0 }), topic, 2100)
  expect(seen.map((m) => m.offset)).toEqual(Array.from({ length: 2100 }, (_, i) => String(i)))
  expect(seen).toStrictEqual(reference)
  for (const m of [seen[0], seen[1000], seen[2099]]) {
    expect(Buffer.isBuffer(m.value)).toBe(true)
    expect(m.value!.constructor).toBe(Buffer)
    expect(m.key!.toString()).toBe(`k${m.offset}`)
    expect(m.value!.subarray(1).toString()).toBe(m.offset)
  }
})
