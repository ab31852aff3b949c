// Apache Kafka's own Java client (default settings: an idempotent producer) against the embedded
// broker, with Apache Kafka as the reference: produce, read back, consume in a group and commit,
// a transactional producer read by read_committed and read_uncommitted consumers, and the admin
// client's view of a transaction (DescribeTransactions, ListTransactions, DescribeProducers).
import { PeerLine, describeTargets, runJavaPeer } from './helpers/peers'
import { uniqueName } from './helpers/kafka'

const PARTITIONS = 3
const COUNT = 9

function byPosition(a: PeerLine, b: PeerLine): number {
  return a.partition - b.partition || Number(a.offset) - Number(b.offset)
}

describeTargets('Java client against %s', PARTITIONS, (bootstrap) => {
  async function produce(topic: string): Promise<PeerLine[]> {
    const acks = await runJavaPeer(['produce', bootstrap(), topic, String(COUNT)])
    expect(acks.map(({ key, value }) => [key, value])).toEqual(Array.from({ length: COUNT }, (_, i) => [`k${i}`, `v${i}`]))
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const offsets = acks.filter((ack) => ack.partition === partition).map((ack) => ack.offset)
      expect(offsets).toEqual(offsets.map((_, i) => i))
    }
    return acks
  }

  it('produces with the idempotent producer and reads every record back', async () => {
    const topic = uniqueName('java')
    const acks = await produce(topic)
    const records = await runJavaPeer(['consume', bootstrap(), topic, String(COUNT)])
    expect(records.sort(byPosition)).toEqual(acks.sort(byPosition).map((ack) => ({ ...ack, type: 'record' })))
  })

  it('consumes in a group and commits the offsets it read', async () => {
    const topic = uniqueName('java-group')
    const acks = await produce(topic)
    const consumed = await runJavaPeer(['consume-group', bootstrap(), topic, uniqueName('java-group'), String(COUNT)])
    const records = consumed.filter((line) => line.type === 'record').sort(byPosition)
    expect(records).toEqual(acks.sort(byPosition).map((ack) => ({ ...ack, type: 'record' })))
    const ends = Array.from({ length: PARTITIONS }, (_, partition) => (
      { type: 'committed', partition, offset: acks.filter((ack) => ack.partition === partition).length }
    )).filter(({ offset }) => offset > 0)
    expect(consumed.filter((line) => line.type === 'committed').sort(byPosition)).toEqual(ends)
  })

  it('commits and aborts transactions: read_committed consumers and the group see only what was committed', async () => {
    const topic = uniqueName('java-txn')
    const group = uniqueName('java-txn')
    expect(await runJavaPeer(['transactions', bootstrap(), topic, uniqueName('java-txn'), group])).toEqual([
      { type: 'committed', values: ['c1', 'c2'] },
      { type: 'aborted', values: ['a1', 'a2'] },
      { type: 'committed', values: ['c3'] }
    ])
    // Each transaction ends with a marker taking one offset: c1 c2 | a1 a2 | c3 |
    const read = async (isolation: string) => (await runJavaPeer(['read', bootstrap(), topic, isolation, 'c3']))
      .map(({ offset, value }) => [offset, value])
    expect(await read('read_committed')).toEqual([[0, 'c1'], [1, 'c2'], [6, 'c3']])
    expect(await read('read_uncommitted')).toEqual([[0, 'c1'], [1, 'c2'], [3, 'a1'], [4, 'a2'], [6, 'c3']])
    expect(await runJavaPeer(['committed', bootstrap(), topic, group])).toEqual([{ type: 'committed', partition: 0, offset: 5 }])
  })

  it('describes an open and a committed transaction and the producer writing it, as Kafka does', async () => {
    const topic = uniqueName('java-txn-state')
    const lines = await runJavaPeer(['txn-state', bootstrap(), topic, uniqueName('java-txn-state')])
    const partitions = [`${topic}-0`]
    expect(lines).toEqual([
      { type: 'transaction', state: 'Ongoing', epoch: 0, timeoutMs: 60000, started: true, partitions, listed: true },
      { type: 'producer', sameId: true, epoch: 0, lastSequence: 1, coordinatorEpoch: -1, transactionStartOffset: 0 },
      // Transaction version 2 ends each transaction with a new epoch, which the marker carries.
      { type: 'transaction', state: 'CompleteCommit', epoch: 1, timeoutMs: 60000, started: true, partitions: [], listed: true },
      { type: 'producer', sameId: true, epoch: 1, lastSequence: -1, coordinatorEpoch: 0, transactionStartOffset: -1 }
    ])
  })
})
