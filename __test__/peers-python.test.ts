// confluent-kafka for Python (a recent librdkafka, flexible versions) against the embedded broker,
// with Apache Kafka as the reference: admin topic creation, compressed produce, group consume and
// commit, and transactions read at both isolation levels.
import { PeerLine, describeTargets, runPythonPeer } from './helpers/peers'
import { uniqueName } from './helpers/kafka'

function byPosition(a: PeerLine, b: PeerLine): number {
  return a.partition - b.partition || Number(a.offset) - Number(b.offset)
}

describeTargets('confluent-kafka (Python) against %s', 3, (bootstrap) => {
  it('creates a topic with the admin client and sees its partitions in metadata', async () => {
    const topic = uniqueName('py-admin')
    expect(await runPythonPeer(['create-topic', bootstrap(), topic, '4'])).toEqual([
      { type: 'created', topic },
      { type: 'metadata', topic, partitions: [0, 1, 2, 3] }
    ])
  })

  it('produces to an auto-created topic, consumes in a group, commits, and a new client sees the commits', async () => {
    const topic = uniqueName('py-group')
    const group = uniqueName('py-group')
    const acks = await runPythonPeer(['produce', bootstrap(), topic, '12', 'zstd'])
    expect(acks.map(({ key, value }) => [key, value])).toEqual(Array.from({ length: 12 }, (_, i) => [`k${i}`, `v${i}`]))
    for (const partition of [0, 1, 2]) {
      const offsets = acks.filter((ack) => ack.partition === partition).map((ack) => ack.offset)
      expect(offsets).toEqual(offsets.map((_, i) => i))
    }

    const consumed = await runPythonPeer(['consume-group', bootstrap(), topic, group, '12'])
    const records = consumed.filter((line) => line.type === 'record').sort(byPosition)
    expect(records).toEqual([...acks].sort(byPosition).map((ack) => ({ ...ack, type: 'record' })))

    const ends = [0, 1, 2]
      .map((partition) => ({ partition, offset: acks.filter((ack) => ack.partition === partition).length }))
      .filter(({ offset }) => offset > 0)
      .map(({ partition, offset }) => ({ type: 'committed', partition, offset }))
    expect(consumed.filter((line) => line.type === 'committed').sort(byPosition)).toEqual(ends)
    const NO_OFFSET = -1001
    const fresh = await runPythonPeer(['committed', bootstrap(), topic, group])
    expect(fresh.sort(byPosition)).toEqual([0, 1, 2].map((partition) => (
      ends.find((end) => end.partition === partition) ?? { type: 'committed', partition, offset: NO_OFFSET }
    )))
  })

  it('commits and aborts transactions: read_committed readers and the group see only what was committed', async () => {
    const topic = uniqueName('py-txn')
    const group = uniqueName('py-txn')
    await runPythonPeer(['create-topic', bootstrap(), topic, '1'])
    expect(await runPythonPeer(['transactions', bootstrap(), topic, uniqueName('py-txn'), group])).toEqual([
      { type: 'committed', values: ['c1', 'c2'] },
      { type: 'aborted', values: ['a1', 'a2'] },
      { type: 'committed', values: ['c3'] }
    ])
    // Each transaction ends with a marker taking one offset: c1 c2 | a1 a2 | c3 |
    const read = async (isolation: string) => (await runPythonPeer(['read', bootstrap(), topic, isolation, 'c3']))
      .map(({ offset, value }) => [offset, value])
    expect(await read('read_committed')).toEqual([[0, 'c1'], [1, 'c2'], [6, 'c3']])
    expect(await read('read_uncommitted')).toEqual([[0, 'c1'], [1, 'c2'], [3, 'a1'], [4, 'a2'], [6, 'c3']])
    expect(await runPythonPeer(['committed', bootstrap(), topic, group])).toEqual([{ type: 'committed', partition: 0, offset: 5 }])
  })
})
