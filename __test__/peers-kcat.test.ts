// kcat (Debian's librdkafka) against the embedded broker, with Apache Kafka as the reference:
// produce, consume, compressed batches, metadata, a balanced consumer group, and reading
// transactional records at both isolation levels.
import { describeTargets, kcat } from './helpers/peers'
import { kafkajs, uniqueName } from './helpers/kafka'

const PARTITIONS = 3
const BOUNDED = ['-X', 'message.timeout.ms=20000', '-X', 'socket.timeout.ms=20000']

function lines(prefix: string, count: number): string {
  return Array.from({ length: count }, (_, i) => `${prefix}k${i}:${prefix}v${i}\n`).join('')
}

function records(output: { json: Record<string, unknown>[] }) {
  return output.json.map(({ partition, offset, key, payload }) => ({ partition, offset, key, payload }))
}

describeTargets('kcat against %s', PARTITIONS, (bootstrap) => {
  async function produce(topic: string, input: string, extra: string[] = []): Promise<void> {
    await kcat(['-b', bootstrap(), ...BOUNDED, '-P', '-t', topic, '-K', ':', ...extra], input)
  }

  it('produces keyed records that a consumer reads back in order with their offsets', async () => {
    const topic = uniqueName('kcat')
    await produce(topic, lines('a', 3), ['-p', '1'])
    await produce(topic, lines('b', 2), ['-p', '1'])
    const out = await kcat(['-b', bootstrap(), ...BOUNDED, '-C', '-t', topic, '-p', '1', '-o', 'beginning', '-e', '-J', '-q'])
    expect(records(out)).toEqual([
      { partition: 1, offset: 0, key: 'ak0', payload: 'av0' },
      { partition: 1, offset: 1, key: 'ak1', payload: 'av1' },
      { partition: 1, offset: 2, key: 'ak2', payload: 'av2' },
      { partition: 1, offset: 3, key: 'bk0', payload: 'bv0' },
      { partition: 1, offset: 4, key: 'bk1', payload: 'bv1' }
    ])
  })

  it('reads from a given offset', async () => {
    const topic = uniqueName('kcat-offset')
    await produce(topic, lines('', 4), ['-p', '0'])
    const out = await kcat(['-b', bootstrap(), ...BOUNDED, '-C', '-t', topic, '-p', '0', '-o', '2', '-e', '-J', '-q'])
    expect(records(out)).toEqual([
      { partition: 0, offset: 2, key: 'k2', payload: 'v2' },
      { partition: 0, offset: 3, key: 'k3', payload: 'v3' }
    ])
  })

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('round-trips batches compressed with %s', async (codec) => {
    const topic = uniqueName(`kcat-${codec}`)
    const payload = `${codec} `.repeat(200)
    const input = Array.from({ length: 20 }, (_, i) => `k${i}:${payload}${i}\n`).join('')
    await produce(topic, input, ['-p', '2', '-z', codec])
    const out = await kcat(['-b', bootstrap(), ...BOUNDED, '-C', '-t', topic, '-p', '2', '-o', 'beginning', '-e', '-J', '-q'])
    expect(records(out)).toEqual(Array.from({ length: 20 }, (_, i) => (
      { partition: 2, offset: i, key: `k${i}`, payload: `${payload}${i}` }
    )))
  })

  it('lists the broker, the controller and every partition of a topic with -L', async () => {
    const topic = uniqueName('kcat-meta')
    await produce(topic, lines('', 1), ['-p', '0'])
    const out = await kcat(['-b', bootstrap(), ...BOUNDED, '-L', '-J', '-t', topic])
    const metadata = out.json[0] as {
      controllerid: number
      brokers: { id: number, name: string }[]
      topics: { topic: string, err?: string, partitions: { partition: number, leader: number, replicas: { id: number }[], isrs: { id: number }[] }[] }[]
    }
    expect(metadata.brokers).toEqual([{ id: expect.any(Number), name: bootstrap() }])
    const id = metadata.brokers[0].id
    expect(metadata.controllerid).toBe(id)
    expect(metadata.topics).toEqual([{
      topic,
      partitions: [0, 1, 2].map((partition) => ({ partition, leader: id, replicas: [{ id }], isrs: [{ id }] }))
    }])
  })

  it('consumes in a group with -G and resumes from the committed offsets', async () => {
    const topic = uniqueName('kcat-group')
    const group = uniqueName('kcat-group')
    const consume = () => kcat(['-b', bootstrap(), ...BOUNDED, '-X', 'auto.offset.reset=earliest', '-G', group, '-e', '-J', '-q', topic])
    await produce(topic, lines('a', 2), ['-p', '0'])
    await produce(topic, lines('b', 1), ['-p', '2'])
    const first = records(await consume())
    expect(first.sort((x, y) => Number(x.partition) - Number(y.partition) || Number(x.offset) - Number(y.offset))).toEqual([
      { partition: 0, offset: 0, key: 'ak0', payload: 'av0' },
      { partition: 0, offset: 1, key: 'ak1', payload: 'av1' },
      { partition: 2, offset: 0, key: 'bk0', payload: 'bv0' }
    ])
    await produce(topic, lines('c', 1), ['-p', '0'])
    expect(records(await consume())).toEqual([{ partition: 0, offset: 2, key: 'ck0', payload: 'cv0' }])
  })

  it('reads only committed transactional records with isolation.level=read_committed', async () => {
    const topic = uniqueName('kcat-txn')
    const client = kafkajs([bootstrap()])
    const admin = client.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
    await admin.disconnect()
    const producer = client.producer({ transactionalId: uniqueName('kcat-txn'), maxInFlightRequests: 1, idempotent: true })
    await producer.connect()
    const transactions: [string[], boolean][] = [[['c1', 'c2'], true], [['a1'], false], [['c3'], true]]
    for (const [values, commit] of transactions) {
      const txn = await producer.transaction()
      await txn.send({ topic, messages: values.map((value) => ({ value })) })
      await (commit ? txn.commit() : txn.abort())
    }
    await producer.disconnect()
    const read = async (isolation: string) => records(await kcat(['-b', bootstrap(), ...BOUNDED, '-X', `isolation.level=${isolation}`,
      '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-J', '-q'])).map(({ offset, payload }) => [offset, payload])
    // Each transaction ends with a marker taking one offset: c1 c2 | a1 | c3 |
    expect(await read('read_committed')).toEqual([[0, 'c1'], [1, 'c2'], [5, 'c3']])
    expect(await read('read_uncommitted')).toEqual([[0, 'c1'], [1, 'c2'], [3, 'a1'], [5, 'c3']])
  })
})
