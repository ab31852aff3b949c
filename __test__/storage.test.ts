// A broker with a log directory, proven with kafkajs: topics, configs, records and committed
// offsets survive close and reopen (createBroker({ logDir }) and server-start with log.dirs); a
// broker killed with SIGKILL mid-traffic comes back with every acknowledged record, in order,
// exactly once; a corrupt tail is cut off and never served; retention deletes old segments and
// moves the log start offset; a second broker on the same directory is refused; a transactional
// producer's committed and aborted records keep read_committed semantics across a reopen; an
// idempotent producer's retry across a restart is deduplicated; a transactional id keeps its
// producer id across a restart at a higher epoch, fencing the instance from before; segment.ms
// rolls segments by age and flush.ms moves the checkpointed recovery point.
import { spawn, ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { Broker, createBroker } from '../index'
import { startFaultProxy } from './helpers/fault-proxy'
import { kafkajs, uniqueName, waitFor } from './helpers/kafka'

const bin = path.resolve(__dirname, '..', 'bin', 'ferrokafka.js')

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ferrokafka-storage-'))
}

interface Read { offset: string, key: string | null, value: string, headers: Record<string, string> }

/** Every record of partition 0 of `topic` from the log start, read by a fresh kafkajs consumer. */
async function readAll(kafka: Kafka, topic: string): Promise<Read[]> {
  const admin = kafka.admin()
  await admin.connect()
  const [{ high, low }] = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const expected = Number(high) - Number(low)
  const records: Read[] = []
  if (expected === 0) return records
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 50 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
      records.push({ offset: message.offset, key: message.key?.toString() ?? null, value: message.value!.toString(), headers })
    }
  })
  await waitFor(() => records.length >= expected, `${expected} records of ${topic}`)
  await consumer.disconnect()
  return records
}

interface Server { address: Promise<string>, exited: Promise<number | null>, stderr: () => string, child: ChildProcess }

/** `ferrokafka server-start` on `properties`, in a child process. */
function startServer(properties: string): Server {
  const child = spawn(process.execPath, [bin, 'server-start', properties], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stderr!.on('data', (chunk) => { err += chunk })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const address = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /started: listening on (\S+)/.exec(out)
      if (match) resolve(match[1])
    })
    child.on('exit', (code) => reject(new Error(`server-start exited with ${code}: ${out}${err}`)))
  })
  return { address, exited, stderr: () => err, child }
}

function writeProperties(dir: string, lines: string[]): string {
  const file = path.join(dir, 'server.properties')
  fs.writeFileSync(file, ['listeners=PLAINTEXT://127.0.0.1:0', `log.dirs=${path.join(dir, 'logs')}`, ...lines].join('\n') + '\n')
  return file
}

describe('a broker with a log directory', () => {
  let dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
    dirs = []
  })
  function dir(): string {
    const made = tempDir()
    dirs.push(made)
    return made
  }

  test('createBroker({ logDir }) keeps topics, configs, records and committed offsets across close and reopen', async () => {
    const logDir = dir()
    const topic = uniqueName('kept')
    let broker = await createBroker({ logDir })
    let kafka = kafkajs(broker.brokers)
    let admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ key: 'k1', value: 'one', headers: { h: 'x' }, partition: 0 }, { key: 'k2', value: 'two', partition: 0 }] })
    await producer.send({ topic, messages: [{ key: null, value: 'three', partition: 0 }] })
    await producer.disconnect()
    await admin.setOffsets({ groupId: 'kept-group', topic, partitions: [{ partition: 0, offset: '2' }] })
    await admin.disconnect()
    const clusterId = broker.clusterId
    await broker.close()

    broker = await createBroker({ logDir })
    expect(broker.clusterId).toBe(clusterId)
    kafka = kafkajs(broker.brokers)
    admin = kafka.admin()
    await admin.connect()
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(metadata.topics[0].partitions).toHaveLength(2)
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false })
    expect(configs.resources[0].configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '86400000', isDefault: false })
    const [fetched] = await admin.fetchOffsets({ groupId: 'kept-group', topics: [topic] })
    expect(fetched.partitions.map(({ partition, offset }) => ({ partition, offset })).sort((a, b) => a.partition - b.partition))
      .toEqual([{ partition: 0, offset: '2' }, { partition: 1, offset: '-1' }])
    await admin.disconnect()
    expect(await readAll(kafka, topic)).toEqual([
      { offset: '0', key: 'k1', value: 'one', headers: { h: 'x' } },
      { offset: '1', key: 'k2', value: 'two', headers: {} },
      { offset: '2', key: null, value: 'three', headers: {} }
    ])
    const again = kafka.producer()
    await again.connect()
    const [sent] = await again.send({ topic, messages: [{ value: 'four', partition: 0 }] })
    expect(sent.baseOffset).toBe('3')
    await again.disconnect()
    await broker.close()
  })

  test('a transactional producer\'s committed records stay visible and its aborted ones hidden to read_committed consumers after a reopen', async () => {
    const logDir = dir()
    const topic = uniqueName('txn-kept')
    const group = uniqueName('txn-group')
    const transactionalId = uniqueName('txn-kept')
    const transactional = async (kafka: Kafka) => {
      const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true })
      await producer.connect()
      return producer
    }
    /** The values of `topic` a fresh consumer reads, until `last` arrives. */
    const consume = async (kafka: Kafka, readUncommitted: boolean, last: string) => {
      const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted, maxWaitTimeInMs: 50 })
      const seen: string[] = []
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({ eachMessage: async ({ message }) => { seen.push(`${message.offset}:${String(message.value)}`) } })
      await waitFor(() => seen.some((s) => s.endsWith(`:${last}`)), `${last} in ${topic}`)
      await consumer.disconnect()
      return seen
    }

    let broker = await createBroker({ logDir })
    let kafka = kafkajs(broker.brokers)
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await admin.disconnect()
    const producer = await transactional(kafka)
    const committed = await producer.transaction()
    await committed.send({ topic, messages: [{ value: 'c1' }, { value: 'c2' }] })
    await committed.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] })
    await committed.commit()
    const aborted = await producer.transaction()
    await aborted.send({ topic, messages: [{ value: 'a1' }, { value: 'a2' }] })
    await aborted.abort()
    const open = await producer.transaction()
    await open.send({ topic, messages: [{ value: 'left-open' }] })
    await broker.close()
    await producer.disconnect()

    broker = await createBroker({ logDir })
    kafka = kafkajs(broker.brokers)
    // c1 c2 | a1 a2 | left-open, then the abort marker the reopened log writes for it.
    const again = await transactional(kafka)
    const after = await again.transaction()
    await after.send({ topic, messages: [{ value: 'c3' }] })
    await after.commit()
    await again.disconnect()
    expect(await consume(kafka, false, 'c3')).toEqual(['0:c1', '1:c2', '8:c3'])
    expect(await consume(kafka, true, 'c3')).toEqual(['0:c1', '1:c2', '3:a1', '4:a2', '6:left-open', '8:c3'])
    const reader = kafka.admin()
    await reader.connect()
    const [offsets] = await reader.fetchOffsets({ groupId: group, topics: [topic] })
    expect(offsets.partitions).toEqual([{ partition: 0, offset: '2', metadata: null }])
    await reader.disconnect()
    await broker.close()
  })

  test('server-start with log.dirs keeps records and offsets across a stop and a start', async () => {
    const base = dir()
    const properties = writeProperties(base, [])
    const topic = uniqueName('cli')
    let server = startServer(properties)
    let kafka = kafkajs([await server.address])
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] })
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    await admin.setOffsets({ groupId: 'cli-group', topic, partitions: [{ partition: 0, offset: '1' }] })
    await admin.disconnect()
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(fs.existsSync(path.join(base, 'logs', '.clean_shutdown'))).toBe(true)

    server = startServer(properties)
    kafka = kafkajs([await server.address])
    expect((await readAll(kafka, topic)).map((r) => r.value)).toEqual(['a', 'b'])
    const again = kafka.admin()
    await again.connect()
    const [fetched] = await again.fetchOffsets({ groupId: 'cli-group', topics: [topic] })
    expect(fetched.partitions.map(({ partition, offset }) => ({ partition, offset }))).toEqual([{ partition: 0, offset: '1' }])
    await again.disconnect()
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  test('a broker killed with SIGKILL under acks=all traffic (flush.messages=1) keeps every acknowledged record, in order, exactly once', async () => {
    const base = dir()
    const properties = writeProperties(base, ['log.flush.interval.messages=1', 'log.segment.bytes=20000'])
    const topic = uniqueName('crash')
    const acked: string[][] = [[], [], [], []]
    let sent = 0
    const rounds = 20
    for (let round = 0; round < rounds; round++) {
      const server = startServer(properties)
      const kafka = kafkajs([await server.address])
      if (round > 0) {
        const records = await readAll(kafka, topic)
        expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => String(i)))
        const values = records.map((r) => r.value)
        expect(new Set(values).size).toBe(values.length)
        for (const lane of acked) {
          const present = values.filter((v) => lane.includes(v))
          expect(present).toEqual(lane)
        }
      }
      const lanes = acked.map(async (lane, index) => {
        // No retries: the send in flight when the broker dies fails at once.
        const producer = new Kafka({ brokers: [await server.address], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer()
        try {
          await producer.connect()
          for (;;) {
            const value = `lane${index}-${sent++}`
            await producer.send({ topic, acks: -1, messages: [{ value, partition: 0 }] })
            lane.push(value)
          }
        } catch {
          // The broker was killed: the send in flight was not acknowledged.
        } finally {
          await producer.disconnect().catch(() => {})
        }
      })
      // Kill at a random point: after a random number of further acknowledgements.
      const target = acked.flat().length + 1 + Math.floor(Math.random() * 150)
      await waitFor(() => acked.flat().length >= target, `${target} acknowledged records`)
      server.child.kill('SIGKILL')
      await server.exited
      await Promise.all(lanes)
    }
    const server = startServer(properties)
    const records = await readAll(kafkajs([await server.address]), topic)
    const values = records.map((r) => r.value)
    for (const lane of acked) expect(values.filter((v) => lane.includes(v))).toEqual(lane)
    expect(acked.flat().length).toBeGreaterThan(rounds)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  }, 120000)

  test('a corrupt batch in the tail segment is cut off at recovery, logged, and never served', async () => {
    const base = dir()
    const properties = writeProperties(base, [])
    const topic = uniqueName('corrupt')
    let server = startServer(properties)
    let kafka = kafkajs([await server.address])
    const producer = kafka.producer()
    await producer.connect()
    for (const value of ['one', 'two', 'three']) await producer.send({ topic, messages: [{ value }] })
    await producer.disconnect()
    server.child.kill('SIGKILL')
    await server.exited

    const segment = path.join(base, 'logs', `${topic}-0`, '00000000000000000000.log')
    const bytes = fs.readFileSync(segment)
    const starts: number[] = []
    for (let at = 0; at < bytes.length; at += 12 + bytes.readInt32BE(at + 8)) starts.push(at)
    expect(starts).toHaveLength(3)
    bytes[starts[2] + 63] ^= 0xff
    fs.writeFileSync(segment, bytes)

    server = startServer(properties)
    kafka = kafkajs([await server.address])
    await waitFor(() => /bad batch; truncated the log there/.test(server.stderr()), 'the truncation to be logged')
    expect(server.stderr()).toMatch(/CRC32C mismatch/)
    expect((await readAll(kafka, topic)).map((r) => r.value)).toEqual(['one', 'two'])
    expect(fs.statSync(segment).size).toBe(starts[2])
    const again = kafka.producer()
    await again.connect()
    const [sent] = await again.send({ topic, messages: [{ value: 'after' }] })
    expect(sent.baseOffset).toBe('2')
    await again.disconnect()
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
  })

  test('retention deletes old segments and moves the log start offset', async () => {
    const logDir = dir()
    const broker = await createBroker({ logDir, config: { 'log.retention.check.interval.ms': 20 } })
    const kafka = kafkajs(broker.brokers)
    const admin = kafka.admin()
    await admin.connect()
    const bySize = uniqueName('by-size')
    const byTime = uniqueName('by-time')
    await admin.createTopics({
      topics: [
        { topic: bySize, configEntries: [{ name: 'segment.bytes', value: '1000' }, { name: 'retention.bytes', value: '3000' }] },
        { topic: byTime, configEntries: [{ name: 'segment.bytes', value: '1000' }, { name: 'retention.ms', value: '60000' }] }
      ]
    })
    const producer = kafka.producer()
    await producer.connect()
    const value = 'x'.repeat(200)
    const hourAgo = String(Date.now() - 3600000)
    for (let i = 0; i < 40; i++) {
      await producer.send({ topic: bySize, messages: [{ value }] })
      await producer.send({ topic: byTime, messages: [{ value, timestamp: hourAgo }] })
    }
    const segments = (topic: string) => fs.readdirSync(path.join(logDir, `${topic}-0`)).filter((f) => f.endsWith('.log')).length
    const offsets = async (topic: string) => (await admin.fetchTopicOffsets(topic))[0]

    await waitFor(async () => Number((await offsets(bySize)).low) > 0 && segments(bySize) <= 5, 'size retention')
    const kept = await offsets(bySize)
    expect(Number(kept.high)).toBe(40)
    const records = await readAll(kafka, bySize)
    expect(records[0].offset).toBe(kept.low)
    expect(records).toHaveLength(40 - Number(kept.low))

    await waitFor(async () => (await offsets(byTime)).low === '40' && segments(byTime) === 1, 'time retention to empty the log')
    const [sent] = await producer.send({ topic: byTime, messages: [{ value }] })
    expect(sent.baseOffset).toBe('40')
    await producer.disconnect()
    await admin.disconnect()
    await broker.close()

    const reopened = await createBroker({ logDir })
    const after = kafkajs(reopened.brokers).admin()
    await after.connect()
    expect((await after.fetchTopicOffsets(byTime))[0]).toMatchObject({ low: '40', high: '41' })
    expect((await after.fetchTopicOffsets(bySize))[0]).toMatchObject({ low: kept.low, high: '40' })
    await after.disconnect()
    await reopened.close()
  })

  test('an idempotent producer\'s retry of a batch whose response was lost across a broker restart is deduplicated', async () => {
    const logDir = dir()
    const topic = uniqueName('retried')
    // The second Produce request is appended, its response lost, and every later connection held
    // until the broker has restarted: the producer's retry reaches the reopened broker.
    const proxy = await startFaultProxy((n) => {
      if (n !== 2) return false
      proxy.hold()
      return true
    })
    const config = { 'advertised.listeners': `PLAINTEXT://${proxy.address}` }
    let broker: Broker = await createBroker({ logDir, config })
    try {
      proxy.setTarget(`127.0.0.1:${broker.port}`)
      const kafka = new Kafka({ brokers: [proxy.address], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50 } })
      const admin = kafka.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
      await admin.disconnect()
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
      await producer.connect()
      const [first] = await producer.send({ topic, messages: [{ value: 'one' }] })
      expect(first.baseOffset).toBe('0')
      const retried = producer.send({ topic, messages: [{ value: 'two' }] })
      await waitFor(() => proxy.dropped() === 1, 'the lost response')
      await broker.close()
      broker = await createBroker({ logDir, config })
      proxy.setTarget(`127.0.0.1:${broker.port}`)
      const [second] = await retried
      expect(second.baseOffset).toBe('1')
      expect(proxy.produced()).toBeGreaterThan(2)
      const [third] = await producer.send({ topic, messages: [{ value: 'three' }] })
      expect(third.baseOffset).toBe('2')
      await producer.disconnect()
      const reader = kafkajs(broker.brokers)
      expect((await readAll(reader, topic)).map((r) => `${r.offset}:${r.value}`)).toEqual(['0:one', '1:two', '2:three'])
    } finally {
      await proxy.close()
      await broker.close()
    }
  })

  test('a transactional producer keeps its producer id at a higher epoch across a restart, and the instance from before is fenced', async () => {
    const logDir = dir()
    const topic = uniqueName('txn-restart')
    const transactionalId = uniqueName('txn-restart')
    const proxy = await startFaultProxy(() => false)
    const config = { 'advertised.listeners': `PLAINTEXT://${proxy.address}` }
    let broker: Broker = await createBroker({ logDir, config })
    try {
      proxy.setTarget(`127.0.0.1:${broker.port}`)
      const kafka = new Kafka({ brokers: [proxy.address], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } })
      const admin = kafka.admin()
      await admin.connect()
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
      await admin.disconnect()
      const before = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
      await before.connect()
      const committed = await before.transaction()
      await committed.send({ topic, messages: [{ value: 'before' }] })
      await committed.commit()

      proxy.hold()
      await broker.close()
      broker = await createBroker({ logDir, config })
      proxy.setTarget(`127.0.0.1:${broker.port}`)

      const after = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 })
      await after.connect()
      const again = await after.transaction()
      await again.send({ topic, messages: [{ value: 'after' }] })
      await again.commit()
      await after.disconnect()

      const zombie = await before.transaction()
      const fenced = await zombie.send({ topic, messages: [{ value: 'zombie' }] }).catch((e: { type?: string }) => e)
      expect(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']).toContain((fenced as { type?: string }).type)
      await zombie.abort().catch(() => undefined)
      await before.disconnect()

      const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 50 })
      const seen: Array<{ value: string, producerId: number, producerEpoch: number }> = []
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message }) => {
          const { producerId, producerEpoch } = (message as unknown as { batchContext: { producerId: string, producerEpoch: number } }).batchContext
          seen.push({ value: String(message.value), producerId: Number(producerId), producerEpoch })
        }
      })
      await waitFor(() => seen.length >= 2, 'both committed records')
      await consumer.disconnect()
      expect(seen.map((r) => r.value)).toEqual(['before', 'after'])
      expect(seen[1].producerId).toBe(seen[0].producerId)
      expect(seen[1].producerEpoch).toBeGreaterThan(seen[0].producerEpoch)
    } finally {
      await proxy.close()
      await broker.close()
    }
  })

  test('segment.ms rolls the active segment once it is older than the setting', async () => {
    const logDir = dir()
    const topic = uniqueName('rolled')
    const broker = await createBroker({ logDir })
    const kafka = kafkajs(broker.brokers)
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'segment.ms', value: '200' }] }] })
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    const segments = () => fs.readdirSync(path.join(logDir, `${topic}-0`)).filter((f) => f.endsWith('.log')).sort()
    let sent = 0
    await waitFor(async () => {
      await producer.send({ topic, messages: [{ value: `v${sent}` }] })
      sent += 1
      return segments().length >= 2
    }, 'a second segment')
    await producer.disconnect()
    // The second segment starts at the record that found the first one too old.
    const [, second] = segments()
    expect(Number(second.replace('.log', ''))).toBe(sent - 1)
    expect((await readAll(kafka, topic)).map((r) => r.value)).toEqual(Array.from({ length: sent }, (_, i) => `v${i}`))
    await broker.close()
  })

  test('flush.ms has a partition fsynced, and its recovery point checkpointed, once its records waited that long', async () => {
    const logDir = dir()
    const flushed = uniqueName('flushed')
    const unflushed = uniqueName('unflushed')
    const broker = await createBroker({ logDir, config: { 'log.flush.offset.checkpoint.interval.ms': 20 } })
    const kafka = kafkajs(broker.brokers)
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({
      topics: [
        { topic: unflushed, numPartitions: 1 },
        { topic: flushed, numPartitions: 1, configEntries: [{ name: 'flush.ms', value: '100' }] }
      ]
    })
    await admin.disconnect()
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: unflushed, messages: [{ value: 'a' }, { value: 'b' }] })
    await producer.send({ topic: flushed, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
    await producer.disconnect()
    /** The checkpointed recovery points, by `topic partition`. */
    const recoveryPoints = () => {
      const file = path.join(logDir, 'recovery-point-offset-checkpoint')
      if (!fs.existsSync(file)) return new Map<string, string>()
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').slice(2)
      return new Map(lines.map((line) => { const [t, p, offset] = line.split(' '); return [`${t} ${p}`, offset] }))
    }
    const points = await waitFor(() => { const p = recoveryPoints(); return p.get(`${flushed} 0`) === '3' ? p : undefined }, 'the flushed partition\'s recovery point')
    // Records of a topic without flush.ms wait for a roll or a stop to be fsynced.
    expect(points!.get(`${unflushed} 0`) ?? '0').toBe('0')
    await broker.close()
    expect(recoveryPoints().get(`${unflushed} 0`)).toBe('2')
  })

  test('a second broker on the same log directory, or one of another cluster or node, is refused with a clear error', async () => {
    const logDir = dir()
    const first = await createBroker({ logDir })
    await expect(createBroker({ logDir })).rejects.toThrow(/log directory .* is in use by another broker/)
    await first.close()
    await expect(createBroker({ logDir, clusterId: 'another-cluster' })).rejects.toThrow(/belongs to cluster .*, not to cluster.id another-cluster/)
    await expect(createBroker({ logDir, nodeId: 9 })).rejects.toThrow(/belongs to node 1, not to node.id 9/)
    const second = await createBroker({ logDir, clusterId: first.clusterId })
    expect(second.clusterId).toBe(first.clusterId)
    await second.close()
  })
})
