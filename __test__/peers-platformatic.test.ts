// @platformatic/kafka (a pure-JS client on flexible protocol versions) against the embedded broker,
// with Apache Kafka as the reference: produce with topic auto-creation, consume in a group, commit.
import { PeerLine, describeTargets, runPlatformaticPeer } from './helpers/peers'
import { uniqueName } from './helpers/kafka'

const PARTITIONS = 3

function byPosition(a: PeerLine, b: PeerLine): number {
  return a.partition - b.partition || Number(a.offset) - Number(b.offset)
}

describeTargets('@platformatic/kafka against %s', PARTITIONS, (bootstrap) => {
  async function produce(topic: string, count: number): Promise<PeerLine[]> {
    const acks = await runPlatformaticPeer(['produce', bootstrap(), topic, String(count)])
    expect(acks.map(({ key, value }) => [key, value])).toEqual(Array.from({ length: count }, (_, i) => [`k${i}`, `v${i}`]))
    return acks
  }

  it('produces to an auto-created topic with consecutive offsets per partition', async () => {
    const acks = await produce(uniqueName('plt'), 8)
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const offsets = acks.filter((ack) => ack.partition === partition).map((ack) => ack.offset)
      expect(offsets).toEqual(offsets.map((_, i) => i))
    }
    expect(new Set(acks.map((ack) => ack.partition)).size).toBeGreaterThan(1)
  })

  it('consumes in a group, commits, and resumes from the commits', async () => {
    const topic = uniqueName('plt-group')
    const group = uniqueName('plt-group')
    const acks = await produce(topic, 6)
    const consumed = await runPlatformaticPeer(['consume-group', bootstrap(), topic, group, '6'])
    expect(consumed.filter((line) => line.type === 'record').sort(byPosition))
      .toEqual([...acks].sort(byPosition).map((ack) => ({ ...ack, type: 'record' })))
    const ends = Array.from({ length: PARTITIONS }, (_, partition) => (
      { type: 'committed', partition, offset: acks.filter((ack) => ack.partition === partition).length }
    )).filter(({ offset }) => offset > 0)
    expect(consumed.filter((line) => line.type === 'committed').sort(byPosition)).toEqual(ends)

    const more = await produce(topic, 1)
    const resumed = await runPlatformaticPeer(['consume-group', bootstrap(), topic, group, '1'])
    expect(resumed.filter((line) => line.type === 'record')).toEqual(more.map((ack) => ({ ...ack, type: 'record' })))
  })
})
