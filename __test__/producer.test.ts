// ferrokafka's producer against the embedded broker, compared with kafkajs 2.2.4 on the same
// broker: record contents read back by kafkajs and kcat, partitioning, RecordMetadata, custom
// partitioners and errors.
import { execFile, spawn } from 'node:child_process'
import path from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, AddressInfo, Socket } from 'node:net'
import { promisify } from 'node:util'
import * as kafkajsModule from 'kafkajs'
import {
  createBroker,
  Broker,
  Kafka,
  Partitioners,
  CompressionTypes,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  Producer,
  PartitionerArgs,
  RecordMetadata,
  logLevel
} from '..'
import { kafkajs, uniqueName, waitFor } from './helpers/kafka'

type Consumed = { partition: number; key: Buffer | null; value: Buffer | null; headers: Record<string, unknown>; timestamp: string }

let broker: Broker
const producers: Array<{ disconnect(): Promise<void> }> = []

beforeAll(async () => {
  broker = await createBroker({ numPartitions: 3 })
})

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.disconnect()))
})

afterAll(async () => {
  await broker.close()
})

function ferrokafka(options: { retries?: number } = {}): Kafka {
  return new Kafka({
    clientId: 'ferrokafka-test',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    retry: options.retries === undefined ? undefined : { retries: options.retries, initialRetryTime: 10 }
  })
}

async function connected(producer: Producer): Promise<Producer> {
  await producer.connect()
  producers.push(producer)
  return producer
}

/** Every message of `topic`, read with a kafkajs consumer until `count` have arrived. */
async function consumeWithKafkajs(topic: string, count: number, from = broker): Promise<Consumed[]> {
  const consumer = kafkajs(from.brokers).consumer({ groupId: uniqueName('group') })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const seen: Consumed[] = []
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        seen.push({ partition: batch.partition, key: m.key, value: m.value, headers: m.headers ?? {}, timestamp: m.timestamp })
      }
    }
  })
  await waitFor(() => seen.length >= count, `${count} messages on ${topic}`)
  await consumer.disconnect()
  return seen
}

/** Every message of one partition of `topic`, read with kcat (librdkafka), which knows every codec. */
async function consumeWithKcat(topic: string, partition: number): Promise<Array<{ key: string | null; payload: string | null; ts: number; headers?: string[] }>> {
  const { stdout } = await promisify(execFile)('kcat', ['-C', '-b', broker.brokers[0], '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-J', '-q'])
  return stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))
}

/** The error `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(() => { throw new Error('expected a rejection') }, (error) => error)
}

describe('producer.send', () => {
  const messages = () => [
    { key: 'k1', value: 'plain text', headers: { single: 'one', many: ['a', Buffer.from('b')] }, timestamp: '1700000000000' },
    { key: Buffer.from([0, 1, 2, 255]), value: Buffer.from([9, 8, 7, 0, 200]), timestamp: '1700000000123' },
    { key: 'tombstone', value: null, partition: 2 },
    { value: 'no key', partition: 0, headers: { binary: Buffer.from([0xde, 0xad]) } }
  ]

  it.each([
    ['None', CompressionTypes.None],
    ['GZIP', CompressionTypes.GZIP]
  ])('writes keys, headers, null values, timestamps and partitions readable by kafkajs (%s)', async (_name, compression) => {
    const topic = uniqueName('contents')
    const producer = await connected(ferrokafka().producer())
    const before = Date.now()
    const sent = messages()
    await producer.send({ topic, compression, messages: sent })
    const read = await consumeWithKafkajs(topic, sent.length)
    const byValue = (v: Buffer | string | null) => read.find((m) => (v === null ? m.value === null : m.value?.equals(Buffer.from(v))))!

    const first = byValue('plain text')
    expect(first.key).toEqual(Buffer.from('k1'))
    expect(first.timestamp).toBe('1700000000000')
    expect(first.headers).toEqual({ single: Buffer.from('one'), many: [Buffer.from('a'), Buffer.from('b')] })

    const binary = byValue(Buffer.from([9, 8, 7, 0, 200]))
    expect(binary.key).toEqual(Buffer.from([0, 1, 2, 255]))
    expect(binary.timestamp).toBe('1700000000123')

    const tombstone = byValue(null)
    expect(tombstone.partition).toBe(2)
    expect(tombstone.key).toEqual(Buffer.from('tombstone'))
    expect(Number(tombstone.timestamp)).toBeGreaterThanOrEqual(before)

    const keyless = byValue('no key')
    expect(keyless.partition).toBe(0)
    expect(keyless.key).toBeNull()
    expect(keyless.headers).toEqual({ binary: Buffer.from([0xde, 0xad]) })
  })

  it('encodes unusual keys, values, headers and timestamps exactly as kafkajs does', async () => {
    const unusual = () => [
      { key: '', value: '' },
      { key: 'ünïcödé ✓ 🚀', value: '日本語のテキスト 🎉'.repeat(50), headers: { '🔑': 'välue', empty: '' } },
      { key: 'numeric timestamp', value: 'x', timestamp: 1700000000999 as unknown as string },
      { value: 'listed headers', headers: { kept: 'yes', list: ['x', '', 'y'] } },
      { value: Buffer.alloc(0), timestamp: ' 1700000000001 ' }
    ]
    const ours = uniqueName('unusual-ours')
    const theirs = uniqueName('unusual-theirs')
    const producer = await connected(ferrokafka().producer())
    const reference = kafkajs(broker.brokers).producer({ createPartitioner: kafkajsModule.Partitioners.DefaultPartitioner })
    await reference.connect()
    await producer.send({ topic: ours, messages: unusual().map((m) => ({ ...m, partition: 0 })) })
    await reference.send({ topic: theirs, messages: unusual().map((m) => ({ ...m, partition: 0 })) })
    await reference.disconnect()
    const strip = (read: Consumed[]) => read.map(({ key, value, headers, timestamp }) => ({ key, value, headers, timestamp: Number(timestamp) > 1700000001000 ? 'now' : timestamp }))
    expect(strip(await consumeWithKafkajs(ours, 5))).toEqual(strip(await consumeWithKafkajs(theirs, 5)))
  })

  it('refuses keys, values and header values kafkajs cannot encode with the same TypeError', async () => {
    const producer = await connected(ferrokafka().producer())
    const reference = kafkajs(broker.brokers).producer({ createPartitioner: kafkajsModule.Partitioners.DefaultPartitioner })
    await reference.connect()
    const topic = uniqueName('refused')
    const bad: Array<Record<string, unknown>> = [
      { key: 42, value: 'x' },
      { value: { an: 'object' } },
      { value: 'x', headers: { missing: undefined } },
      { value: 'x', headers: { nothing: null } },
      { value: 'x', headers: { list: ['ok', 7] } }
    ]
    for (const message of bad) {
      const ours = await rejection(producer.send({ topic, messages: [message as never] }))
      const theirs = await rejection(reference.send({ topic, messages: [message as never] }))
      expect(theirs.name).toBe('TypeError')
      expect({ name: ours.name, code: ours.code, message: ours.message }).toEqual({ name: theirs.name, code: theirs.code, message: theirs.message })
    }
    await reference.disconnect()
  })

  it.each([
    ['Snappy', CompressionTypes.Snappy],
    ['LZ4', CompressionTypes.LZ4],
    ['ZSTD', CompressionTypes.ZSTD]
  ])('writes %s batches that librdkafka reads back', async (_name, compression) => {
    const topic = uniqueName('codec')
    const producer = await connected(ferrokafka().producer())
    const values = Array.from({ length: 50 }, (_, i) => `value ${i} `.repeat(20))
    await producer.sendBatch({
      compression,
      topicMessages: [{ topic, messages: values.map((value, i) => ({ key: `k${i}`, value, partition: 0, headers: { n: String(i) }, timestamp: String(1700000000000 + i) })) }]
    })
    const read = await consumeWithKcat(topic, 0)
    expect(read.map((r) => r.payload)).toEqual(values)
    expect(read.map((r) => r.key)).toEqual(values.map((_, i) => `k${i}`))
    expect(read.map((r) => r.ts)).toEqual(values.map((_, i) => 1700000000000 + i))
    expect(read[7].headers).toEqual(['n', '7'])
  })

  it('sendBatch merges messages for the same topic and answers like kafkajs', async () => {
    const ours = uniqueName('ours')
    const theirs = uniqueName('theirs')
    const producer = await connected(ferrokafka().producer())
    const reference = kafkajs(broker.brokers).producer()
    await reference.connect()
    const batch = (topic: string) => ({
      topicMessages: [
        { topic, messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] },
        { topic, messages: [{ key: 'c', value: '3' }, { value: '4', partition: 1 }] }
      ]
    })
    const rename = (records: kafkajsModule.RecordMetadata[]) => records.map((r) => ({ ...r, topicName: 'topic' }))
    for (let round = 0; round < 3; round++) {
      const got = await producer.sendBatch(batch(ours))
      const expected = await reference.sendBatch(batch(theirs))
      expect(rename(got)).toEqual(rename(expected))
    }
    const acks1 = await producer.send({ topic: ours, acks: 1, messages: [{ key: 'a', value: 'x' }] })
    const acks1Reference = await reference.send({ topic: theirs, acks: 1, messages: [{ key: 'a', value: 'x' }] })
    expect(rename(acks1)).toEqual(rename(acks1Reference))
    expect(await producer.send({ topic: ours, acks: 0, messages: [{ value: 'y' }] })).toEqual([])
    await reference.disconnect()
  })

  it.each([
    ['DefaultPartitioner', Partitioners.DefaultPartitioner, kafkajsModule.Partitioners.DefaultPartitioner],
    ['LegacyPartitioner', Partitioners.LegacyPartitioner, kafkajsModule.Partitioners.LegacyPartitioner]
  ])('puts 10,000 random keys where kafkajs\'s %s does', async (_name, ours, theirs) => {
    const topic = uniqueName('keys')
    const numPartitions = 7
    await using sevenPartitions = await createBroker({ numPartitions })
    const kafka = new Kafka({ brokers: sevenPartitions.brokers, logLevel: logLevel.NOTHING })
    const producer = await connected(kafka.producer({ createPartitioner: ours }))
    const keys = Array.from({ length: 10000 }, (_, i) => (i % 2 === 0 ? randomBytes(1 + (i % 23)) : randomBytes(8).toString('base64')))
    await producer.send({ topic, messages: keys.map((key, i) => ({ key, value: String(i) })) })
    const read = await consumeWithKafkajs(topic, keys.length, sevenPartitions)
    await producer.disconnect()
    const partitionMetadata = Array.from({ length: numPartitions }, (_, partitionId) => ({
      partitionId, leader: sevenPartitions.nodeId, partitionErrorCode: 0, replicas: [sevenPartitions.nodeId], isr: [sevenPartitions.nodeId]
    }))
    const reference = theirs()
    const mismatches = read.filter((m) => {
      const key = keys[Number(m.value!.toString())]
      return reference({ topic, partitionMetadata, message: { key, value: null } }) !== m.partition
    })
    expect(read).toHaveLength(keys.length)
    expect(mismatches).toEqual([])
  })

  it('sends keyless messages round the partitions, carrying on across reconnects as kafkajs does', async () => {
    // kafkajs makes its partitioner once per producer, so the round-robin counter outlives
    // disconnect() and connect(). (kafkajs also calls it again when it retries a send, which
    // makes its own steps uneven whenever a reconnect races a send, so only ours are pinned.)
    const topic = uniqueName('round-robin')
    const producer = ferrokafka().producer()
    const partitions: number[] = []
    for (let round = 0; round < 6; round++) {
      await producer.connect()
      const [record] = await producer.send({ topic, messages: [{ value: String(round) }] })
      partitions.push(record.partition)
      await producer.disconnect()
    }
    const steps = partitions.slice(1).map((p, i) => (p - partitions[i] + 3) % 3)
    expect(steps).toEqual([1, 1, 1, 1, 1])
  })

  it('calls a custom partitioner with kafkajs\'s arguments and uses its choice', async () => {
    const topic = uniqueName('custom')
    const seen: { ours: PartitionerArgs[]; theirs: PartitionerArgs[] } = { ours: [], theirs: [] }
    const recording = (into: PartitionerArgs[]) => () => (args: PartitionerArgs) => {
      into.push(args)
      return 2
    }
    const producer = await connected(ferrokafka().producer({ createPartitioner: recording(seen.ours) }))
    const reference = kafkajs(broker.brokers).producer({ createPartitioner: recording(seen.theirs) })
    await reference.connect()
    const sent = [{ key: 'k', value: 'v', headers: { h: '1' } }, { value: 'w', partition: 0 }]
    const records = await producer.send({ topic, messages: sent })
    await reference.send({ topic, messages: sent })
    await reference.disconnect()
    expect(seen.ours).toEqual(seen.theirs)
    expect(seen.ours[0].message).toBe(sent[0])
    expect(records).toEqual([expect.objectContaining({ topicName: topic, partition: 2, baseOffset: '0' })])
  })

  it('emits REQUEST events with kafkajs\'s payload for every request, while someone listens', async () => {
    const topic = uniqueName('observed')
    const shapeOf = (payload: Record<string, unknown>) => Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, typeof v]))
    const collect = async (producer: any): Promise<any[]> => {
      const seen: any[] = []
      const remove = producer.on(producer.events.REQUEST, (e: any) => { seen.push(e.payload) })
      await producer.connect()
      await producer.send({ topic, messages: [{ value: 'observed' }] })
      remove()
      await producer.send({ topic, messages: [{ value: 'unobserved' }] })
      await producer.disconnect()
      return seen
    }
    const ours = await collect(ferrokafka().producer())
    const theirs = await collect(kafkajs(broker.brokers).producer({ createPartitioner: kafkajsModule.Partitioners.DefaultPartitioner }))
    const produce = ours.filter((p) => p.apiName === 'Produce')
    expect(produce).toHaveLength(1)
    expect(shapeOf(produce[0])).toEqual(shapeOf(theirs.find((p) => p.apiName === 'Produce')))
    expect(produce[0]).toMatchObject({ broker: broker.brokers[0], clientId: 'ferrokafka-test', apiKey: 0 })
    expect(produce[0].size).toBeGreaterThan(0)
    expect(produce[0].sentAt).toBeGreaterThanOrEqual(produce[0].createdAt)
    expect(ours.map((p) => p.apiName)).toEqual(expect.arrayContaining(['ApiVersions', 'Metadata', 'Produce']))
  })

  it('sends started in one tick share one Produce request per broker', async () => {
    const topic = uniqueName('burst')
    const producer = await connected(ferrokafka().producer())
    await producer.send({ topic, messages: [{ value: 'first' }] })
    const produced: number[] = []
    const remove = producer.on(producer.events.REQUEST, (e) => {
      if (e.payload.apiName === 'Produce') produced.push(e.payload.size)
    })
    const sends = Array.from({ length: 1000 }, (_, i) => producer.send({ topic, messages: [{ value: String(i) }] }))
    const records = (await Promise.all(sends)).flat()
    remove()
    expect(produced).toHaveLength(1)
    expect(records).toHaveLength(1000)
    const offsets = new Set(records.map((r) => `${r.partition}:${r.baseOffset}`))
    expect(offsets.size).toBe(1000)
    expect(await consumeWithKafkajs(topic, 1001)).toHaveLength(1001)
  })

  it('sends the bytes a message had when send() was called, though its Buffer is rewritten in the same tick', async () => {
    const topic = uniqueName('rewritten')
    const producer = await connected(ferrokafka().producer())
    const value = Buffer.alloc(4)
    const sends = Array.from({ length: 50 }, (_, i) => {
      value.writeUInt32BE(i)
      return producer.send({ topic, messages: [{ key: value, value, partition: 0 }] })
    })
    value.fill(0xff)
    await Promise.all(sends)
    const read = await consumeWithKafkajs(topic, 50)
    expect(read.map((m) => [m.key!.readUInt32BE(), m.value!.readUInt32BE()])).toEqual(Array.from({ length: 50 }, (_, i) => [i, i]))
  })

  it('a send refused while it is packed leaves the other sends of its tick intact', async () => {
    const topic = uniqueName('refused')
    const producer = await connected(ferrokafka().producer())
    const first = producer.send({ topic, messages: [{ value: 'first', partition: 0 }] })
    // The refused send's first topic is packed before its second one's timestamp is refused.
    const refused = producer.sendBatch({
      topicMessages: [
        { topic, messages: [{ value: 'x'.repeat(100_000), partition: 0 }] },
        { topic: uniqueName('other'), messages: [{ value: 'y', timestamp: 'soon' }] }
      ]
    })
    const last = producer.send({ topic, messages: [{ value: 'last', partition: 0 }] })
    await expect(refused).rejects.toThrow('Invalid timestamp "soon"')
    await Promise.all([first, last])
    const read = await consumeWithKafkajs(topic, 2)
    expect(read.map((m) => m.value!.toString())).toEqual(['first', 'last'])
  })

  it('keeps the bytes of each large send while the buffers it packs into are reused', async () => {
    const topic = uniqueName('large')
    const producer = await connected(ferrokafka().producer())
    const payloads = Array.from({ length: 6 }, () => randomBytes(200_000))
    for (const value of payloads.slice(0, 3)) await producer.send({ topic, messages: [{ value, partition: 0 }] })
    await Promise.all(payloads.slice(3).map((value) => producer.send({ topic, messages: [{ value, partition: 0 }] })))
    const read = await consumeWithKafkajs(topic, payloads.length)
    const digest = (bytes: Buffer | null) => bytes && createHash('sha256').update(bytes).digest('hex')
    expect(read.map((m) => digest(m.value))).toEqual(payloads.map(digest))
  })

  it('emits REQUEST_TIMEOUT like kafkajs when a broker does not answer', async () => {
    const sockets: Socket[] = []
    const silent = createServer((socket) => { sockets.push(socket) })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`
    const config = { brokers: [address], logLevel: logLevel.NOTHING, requestTimeout: 200, retry: { retries: 0 } }
    const timeouts = async (producer: any): Promise<any[]> => {
      const seen: any[] = []
      producer.on(producer.events.REQUEST_TIMEOUT, (e: any) => { seen.push(e.payload) })
      await rejection(producer.connect())
      return seen
    }
    const ours = await timeouts(new Kafka(config).producer())
    const theirs = await timeouts(new kafkajsModule.Kafka(config).producer())
    await waitFor(() => ours.length > 0, 'the REQUEST_TIMEOUT event')
    sockets.forEach((s) => s.destroy())
    await new Promise((resolve) => silent.close(resolve))
    const keys = (p: Record<string, unknown>) => Object.keys(p).sort()
    expect(ours).toHaveLength(1)
    expect(keys(ours[0])).toEqual(keys(theirs[0]))
    expect(ours[0]).toMatchObject({ broker: address, apiName: 'ApiVersions', apiKey: 18 })
  })

  it('reports sends waiting for an in-flight slot with REQUEST_QUEUE_SIZE', async () => {
    const server = spawn(process.execPath, [path.join(__dirname, '..', 'bin', 'ferrokafka.js'), 'server-start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      const address = await new Promise<string>((resolve) => {
        let out = ''
        server.stdout!.on('data', (chunk) => {
          out += chunk
          const match = /listening on (\S+)/.exec(out)
          if (match) resolve(match[1])
        })
      })
      const producer = await connected(new Kafka({ brokers: [address], logLevel: logLevel.NOTHING }).producer({ maxInFlightRequests: 1 }))
      const topic = uniqueName('queued')
      await producer.send({ topic, messages: [{ value: 'warm-up' }] })
      const sizes: number[] = []
      producer.on(producer.events.REQUEST_QUEUE_SIZE, (e) => { sizes.push(e.payload.queueSize) })
      server.kill('SIGSTOP')
      const sends: Array<Promise<RecordMetadata[]>> = []
      await waitFor(async () => {
        sends.push(producer.send({ topic, messages: [{ value: `m${sends.length}` }] }))
        await new Promise((resolve) => setImmediate(resolve))
        return sizes.some((size) => size > 0)
      }, 'a send to wait for the in-flight slot')
      server.kill('SIGCONT')
      const offsets = (await Promise.all(sends)).map(([r]) => Number(r.baseOffset))
      expect(offsets).toEqual(offsets.map((_, i) => offsets[0] + i))
      await waitFor(() => sizes[sizes.length - 1] === 0, 'the queue to drain')
    } finally {
      server.kill('SIGCONT')
      server.kill()
    }
  })

  it('emits CONNECT and DISCONNECT as kafkajs does, and on() returns a remover', async () => {
    const producer = ferrokafka().producer()
    const events: Array<{ type: string; payload: unknown; id: unknown; timestamp: unknown }> = []
    const remove = producer.on(producer.events.CONNECT, (e) => { events.push(e) })
    producer.on(producer.events.DISCONNECT, (e) => { events.push(e) })
    await producer.connect()
    remove()
    await producer.disconnect()
    await producer.connect()
    await producer.disconnect()
    expect(events.map((e) => e.type)).toEqual(['producer.connect', 'producer.disconnect', 'producer.disconnect'])
    expect(events[0]).toEqual({ id: expect.any(Number), type: 'producer.connect', timestamp: expect.any(Number), payload: undefined })
    expect(() => producer.on('producer.nope' as never, () => {})).toThrow(KafkaJSNonRetriableError)
    expect(producer.events).toEqual(kafkajs(broker.brokers).producer().events)
  })
})

describe('producer errors', () => {
  /** What a rejection looks like, for comparing ferrokafka's with kafkajs's. */
  function shape(error: any): Record<string, unknown> {
    return {
      name: error.name,
      message: error.message,
      retriable: error.retriable,
      type: error.type,
      code: error.code,
      broker: error.broker,
      retryCount: error.retryCount,
      cause: error.cause && error.cause !== error ? shape(error.cause) : undefined
    }
  }

  it('rejects invalid arguments with kafkajs\'s classes and messages before sending', async () => {
    const producer = await connected(ferrokafka().producer())
    const reference = kafkajs(broker.brokers).producer()
    await reference.connect()
    const cases: Array<(p: any) => Promise<unknown>> = [
      (p) => p.send({ messages: [{ value: 'x' }] }),
      (p) => p.send({ topic: '', messages: [{ value: 'x' }] }),
      (p) => p.send({ topic: 't' }),
      (p) => p.send({ topic: 't', messages: [{ key: 'no value' }] }),
      (p) => p.sendBatch({ topicMessages: [{ topic: 't', messages: [{ value: 'x' }] }, { messages: [] }] })
    ]
    for (const attempt of cases) {
      const ours = await rejection(attempt(producer))
      const theirs = await rejection(attempt(reference))
      expect(shape(ours)).toEqual(shape(theirs))
      expect(ours).toBeInstanceOf(KafkaJSNonRetriableError)
    }
    const badTimestamp = await rejection(producer.send({ topic: 't', messages: [{ value: 'x', timestamp: 'soon' }] }))
    expect(badTimestamp).toBeInstanceOf(KafkaJSNonRetriableError)
    expect(badTimestamp.message).toBe('Invalid timestamp "soon" for topic "t"')
    await reference.disconnect()
    await producer.disconnect()
    const ours = await rejection(producer.send({ topic: 't', messages: [{ value: 'x' }] }))
    const theirs = await rejection(reference.send({ topic: 't', messages: [{ value: 'x' }] }))
    expect(shape(ours)).toEqual(shape(theirs))
    expect(ours).toBeInstanceOf(KafkaJSError)
    expect(ours.message).toBe('The producer is disconnected')
  })

  it('fails to connect to a closed port with kafkajs\'s error after the configured retries', async () => {
    const closed = await createBroker()
    const address = closed.brokers
    await closed.close()
    const retry = { retries: 2, initialRetryTime: 10 }
    const ours = await rejection(new Kafka({ brokers: address, logLevel: logLevel.NOTHING, retry }).producer().connect())
    const theirs = await rejection(new kafkajsModule.Kafka({ brokers: address, logLevel: logLevel.NOTHING, retry }).producer().connect())
    expect(shape(ours)).toEqual(shape(theirs))
    expect(ours).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect(ours.cause).toBeInstanceOf(KafkaJSConnectionError)
    expect(ours.retryCount).toBe(2)
    expect(ours.cause.code).toBe('ECONNREFUSED')
  })

  // kafkajs itself times out the first ApiVersions and then wrongly reports itself connected, so
  // this case is checked against kafkajs's error classes rather than its outcome.
  it('reports a host that does not resolve as kafkajs does (ENOTFOUND)', async () => {
    const config = { brokers: ['no-such-host.invalid:9092'], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 10 } }
    const ours = await rejection(new Kafka(config).producer().connect())
    const theirs = await rejection(new kafkajsModule.Kafka(config).producer().connect())
    expect(shape(ours)).toEqual(shape(theirs))
    expect(ours.cause.code).toBe('ENOTFOUND')
  })

  it('reports a broker that closes the connection under a request as kafkajs does', async () => {
    const closing = createServer((socket) => { socket.once('data', () => socket.destroy()) })
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(closing.address() as AddressInfo).port}`
    const config = { brokers: [address], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 10 } }
    const ours = await rejection(new Kafka(config).producer().connect())
    const theirs = await rejection(new kafkajsModule.Kafka(config).producer().connect())
    await new Promise((resolve) => closing.close(resolve))
    expect(shape(ours)).toEqual(shape(theirs))
    expect(ours.cause.name).toBe('KafkaJSConnectionClosedError')
    expect({ host: ours.cause.host, port: ours.cause.port }).toEqual({ host: theirs.cause.host, port: theirs.cause.port })
  })

  it('reports a broker that never answers as kafkajs\'s request timeout after the retries', async () => {
    const sockets: Socket[] = []
    const silent = createServer((socket) => { sockets.push(socket) })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`
    const config = { brokers: [address], logLevel: logLevel.NOTHING, requestTimeout: 200, retry: { retries: 1, initialRetryTime: 10 } }
    const ours = await rejection(new Kafka(config).producer().connect())
    sockets.forEach((s) => s.destroy())
    await new Promise((resolve) => silent.close(resolve))
    expect(ours).toBeInstanceOf(KafkaJSNumberOfRetriesExceeded)
    expect(ours.retryCount).toBe(1)
    expect(ours.cause).toBeInstanceOf(KafkaJSRequestTimeoutError)
    expect(ours.cause.retriable).toBe(true)
    expect(ours.cause.broker).toBe(address)
    expect(ours.message).toBe('Request ApiVersions(key: 18, version: 3) timed out')
  })

  it('uses kafkajs\'s test-mode retry defaults under Jest', async () => {
    const closed = await createBroker()
    const address = closed.brokers
    await closed.close()
    const [ours, theirs] = await Promise.all([
      rejection(new Kafka({ brokers: address, logLevel: logLevel.NOTHING }).producer().connect()),
      rejection(new kafkajsModule.Kafka({ brokers: address, logLevel: logLevel.NOTHING }).producer().connect())
    ])
    expect(process.env.NODE_ENV).toBe('test')
    expect(ours.retryCount).toBe(15)
    expect(shape(ours)).toEqual(shape(theirs))
  })

  it('reports an unknown topic as kafkajs does when auto-creation is off', async () => {
    const topic = uniqueName('missing')
    const retry = { retries: 1, initialRetryTime: 10 }
    const producer = await connected(ferrokafka().producer({ allowAutoTopicCreation: false, retry }))
    const reference = kafkajs(broker.brokers).producer({ allowAutoTopicCreation: false, retry })
    await reference.connect()
    const ours = await rejection(producer.send({ topic, messages: [{ value: 'x' }] }))
    const theirs = await rejection(reference.send({ topic, messages: [{ value: 'x' }] }))
    await reference.disconnect()
    expect(shape(ours)).toEqual(shape(theirs))
    expect(ours.cause).toBeInstanceOf(KafkaJSProtocolError)
    expect(ours.cause.type).toBe('UNKNOWN_TOPIC_OR_PARTITION')
  })
})
