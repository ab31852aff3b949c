// The embedded broker's lifecycle and its produce path, driven by real kafkajs.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { CompressionTypes } from 'kafkajs'
import { createBroker, Broker } from '..'
import { kafkajs, uniqueName, waitFor } from './helpers/kafka'

describe('createBroker', () => {
  it('listens on 127.0.0.1 on an ephemeral port and releases it on close', async () => {
    const broker = await createBroker()
    expect(broker.host).toBe('127.0.0.1')
    expect(broker.port).toBeGreaterThan(0)
    expect(broker.brokers).toEqual([`127.0.0.1:${broker.port}`])
    await broker.close()
    const again = await createBroker({ port: broker.port })
    expect(again.port).toBe(broker.port)
    await again.close()
  })

  it('supports await using', async () => {
    let port = 0
    {
      await using broker = await createBroker()
      port = broker.port
    }
    const reused = await createBroker({ port })
    await reused.close()
  })

  it('leaves nothing behind that keeps a process alive once closed', async () => {
    // The child exits by itself only if closing released every handle; otherwise it hangs and
    // execFile's timeout kills it.
    const script = `
      const { createBroker } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
      const { Kafka, logLevel } = require('kafkajs')
      createBroker().then(async (broker) => {
        const producer = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).producer()
        await producer.connect()
        await producer.send({ topic: 'exit', messages: [{ value: 'x' }] })
        await producer.disconnect()
        await broker.close()
        console.log('closed')
      })`
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 20000 })
    expect(stdout.trim()).toBe('closed')
  })

  it('keeps the process alive while open, like a server, unless unref()ed', async () => {
    const refTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = refTimers()
    const broker = await createBroker()
    expect(refTimers()).toBe(before + 1)
    broker.unref()
    expect(refTimers()).toBe(before)
    broker.ref()
    expect(refTimers()).toBe(before + 1)
    await broker.close()
    expect(refTimers()).toBe(before)
  })

  it('rejects bad options with a clear error', async () => {
    await expect(createBroker({ port: -1 })).rejects.toThrow(RangeError)
    await expect(createBroker({ numPartitions: 'x' } as never)).rejects.toThrow(/numPartitions/)
    await expect(createBroker({ nope: 1 } as never)).rejects.toThrow(/Unknown createBroker option "nope"/)
    await expect(createBroker({ config: { 'num.partitions': '0' } })).rejects.toThrow(/num.partitions/)
  })

  it('reports its node and cluster ids', async () => {
    const broker = await createBroker({ nodeId: 7, clusterId: 'test-cluster-id' })
    try {
      const admin = kafkajs(broker.brokers).admin()
      await admin.connect()
      const cluster = await admin.describeCluster()
      expect(cluster).toEqual({
        brokers: [{ nodeId: 7, host: '127.0.0.1', port: broker.port }],
        controller: 7,
        clusterId: 'test-cluster-id'
      })
      await admin.disconnect()
    } finally {
      await broker.close()
    }
  })
})

describe('produce', () => {
  let broker: Broker
  beforeAll(async () => {
    broker = await createBroker({ numPartitions: 3 })
  })
  afterAll(() => broker.close())

  it('auto-creates topics with num.partitions and assigns consecutive offsets', async () => {
    const kafka = kafkajs(broker.brokers)
    const producer = kafka.producer()
    await producer.connect()
    const topic = uniqueName('auto')
    const first = await producer.send({ topic, messages: [{ value: 'a', partition: 2 }, { value: 'b', partition: 2 }] })
    const second = await producer.send({ topic, messages: [{ value: 'c', partition: 2 }] })
    expect(first).toEqual([expect.objectContaining({ topicName: topic, partition: 2, errorCode: 0, baseOffset: '0' })])
    expect(second[0].baseOffset).toBe('2')
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(topic)
    expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '0', high: '0', low: '0' },
      { partition: 1, offset: '0', high: '0', low: '0' },
      { partition: 2, offset: '3', high: '3', low: '0' }
    ])
    await admin.disconnect()
    await producer.disconnect()
  })

  it('accepts acks 0, 1 and -1 and gzip', async () => {
    const kafka = kafkajs(broker.brokers)
    const producer = kafka.producer()
    await producer.connect()
    const topic = uniqueName('acks')
    for (const acks of [1, -1]) {
      const [result] = await producer.send({ topic, acks, compression: CompressionTypes.GZIP, messages: [{ value: 'x', partition: 0 }] })
      expect(result.errorCode).toBe(0)
    }
    expect(await producer.send({ topic, acks: 0, messages: [{ value: 'y', partition: 0 }] })).toEqual([])
    const admin = kafka.admin()
    await admin.connect()
    // acks=0 has no response to wait for: wait until the broker has appended the record.
    await waitFor(async () => (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high === '3', 'the acks=0 record')
    await admin.disconnect()
    await producer.disconnect()
  })
})
