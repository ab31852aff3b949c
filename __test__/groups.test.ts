// Classic consumer groups on the embedded broker, driven by real kafkajs consumers and admin.
import { AssignerProtocol, Consumer, Kafka } from 'kafkajs'
import { createBroker, Broker } from '..'
import { kafkajs, uniqueName, waitFor } from './helpers/kafka'

// Topics are auto-created by their first message, with this many partitions.
const PARTITIONS = 4
let broker: Broker
let kafka: Kafka
const consumers: Consumer[] = []

beforeAll(async () => {
  broker = await createBroker({ numPartitions: PARTITIONS, config: { 'group.min.session.timeout.ms': 1000 } })
  kafka = kafkajs(broker.brokers)
})

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect()))
})

afterAll(() => broker.close())

/** A kafkajs consumer with short timers, disconnected after each test. */
function consumer(groupId: string): Consumer {
  const c = kafka.consumer({ groupId, sessionTimeout: 3000, heartbeatInterval: 100, rebalanceTimeout: 5000, maxWaitTimeInMs: 50 })
  consumers.push(c)
  return c
}

/** Resolves with the next GROUP_JOIN event of `c`. */
function nextJoin(c: Consumer): Promise<{ memberId: string; isLeader: boolean; memberAssignment: Record<string, number[]> }> {
  return new Promise((resolve) => {
    const remove = c.on(c.events.GROUP_JOIN, (event) => {
      remove()
      resolve(event.payload)
    })
  })
}

async function produce(topic: string, values: string[], partition?: number): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: values.map((value) => ({ value, partition })) })
  await producer.disconnect()
}

const range = (from: number, to: number, prefix: string): string[] =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`)

describe('consumer groups', () => {
  it('rebalances three consumers joining and leaving without losing a message', async () => {
    const topic = uniqueName('rebalance')
    const groupId = uniqueName('group')
    await produce(topic, range(0, 60, 'a'))
    const received = new Map<string, Set<string>>()
    const start = async (name: string): Promise<Consumer> => {
      const c = consumer(groupId)
      received.set(name, new Set())
      await c.connect()
      await c.subscribe({ topic, fromBeginning: true })
      await c.run({ eachMessage: async ({ message }) => { received.get(name)!.add(message.value!.toString()) } })
      return c
    }
    const all = (): Set<string> => new Set([...received.values()].flatMap((s) => [...s]))

    const first = await start('first')
    await waitFor(async () => {
      const d = await first.describeGroup()
      return d.state === 'Stable' && d.members.length === 1
    }, 'the first member')

    const [second, third] = await Promise.all([start('second'), start('third')])
    await waitFor(async () => {
      const d = await second.describeGroup()
      return d.state === 'Stable' && d.members.length === 3
    }, 'three members')
    const beforeLeave = produce(topic, range(0, 60, 'b'))

    await first.disconnect()
    await beforeLeave
    await waitFor(async () => {
      const d = await third.describeGroup()
      return d.state === 'Stable' && d.members.length === 2
    }, 'two members after the first left')
    await produce(topic, range(0, 60, 'c'))

    const expected = [...range(0, 60, 'a'), ...range(0, 60, 'b'), ...range(0, 60, 'c')]
    await waitFor(() => expected.every((v) => all().has(v)), 'every message')
    // After the first consumer left, the remaining two took over all of its partitions.
    const remaining = new Set([...received.get('second')!, ...received.get('third')!])
    expect(range(0, 60, 'c').filter((v) => !remaining.has(v))).toEqual([])
  })

  it('gives each of several members a share of the partitions, the leader computing it', async () => {
    const topic = uniqueName('share')
    const groupId = uniqueName('group')
    await produce(topic, ['x'])
    const a = consumer(groupId)
    const b = consumer(groupId)
    for (const c of [a, b]) {
      await c.connect()
      await c.subscribe({ topic })
    }
    const joins = [nextJoin(a), nextJoin(b)]
    await a.run({ eachMessage: async () => {} })
    await b.run({ eachMessage: async () => {} })
    await waitFor(async () => {
      const d = await a.describeGroup()
      return d.state === 'Stable' && d.members.length === 2 && d.members.every((m) => m.memberAssignment.length > 0)
    }, 'a stable group of two with assignments')
    const description = await a.describeGroup()
    const owned = description.members.flatMap((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment[topic])
    expect(owned.sort()).toEqual([0, 1, 2, 3])
    const events = await Promise.all(joins)
    expect(events.some((e) => e.isLeader)).toBe(true)
  })

  it('resumes a new consumer at the committed offset', async () => {
    const topic = uniqueName('commit')
    const groupId = uniqueName('group')
    await produce(topic, range(0, 10, 'm'), 0)

    const first = consumer(groupId)
    await first.connect()
    await first.subscribe({ topic, fromBeginning: true })
    let committed = ''
    first.on(first.events.COMMIT_OFFSETS, (e) => {
      const partition = e.payload.topics[0]?.partitions.find((p) => String(p.partition) === '0')
      committed = partition?.offset ?? committed
    })
    const seen: string[] = []
    await first.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()) } })
    await waitFor(() => seen.length === 10 && committed === '10', 'the first ten messages committed')
    await first.disconnect()

    await produce(topic, range(10, 15, 'm'), 0)
    const second = consumer(groupId)
    await second.connect()
    await second.subscribe({ topic, fromBeginning: true })
    const resumed: Array<{ offset: string, value: string }> = []
    await second.run({ eachMessage: async ({ message }) => { resumed.push({ offset: message.offset, value: message.value!.toString() }) } })
    await waitFor(() => resumed.length === 5, 'the five new messages')
    expect(resumed[0]).toEqual({ offset: '10', value: 'm10' })
    expect(resumed.map((r) => r.value)).toEqual(range(10, 15, 'm'))
  })

  it('seeks a running consumer', async () => {
    const topic = uniqueName('seek')
    await produce(topic, range(0, 6, 's'), 0)
    const c = consumer(uniqueName('group'))
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    const seen: string[] = []
    await c.run({ eachMessage: async ({ message }) => { seen.push(message.offset) } })
    await waitFor(() => seen.length === 6, 'the first pass')
    c.seek({ topic, partition: 0, offset: '2' })
    await waitFor(() => seen.length === 10, 'the replay from offset 2')
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5', '2', '3', '4', '5'])
  })

  it('pauses and resumes a topic', async () => {
    const topic = uniqueName('pause')
    await produce(topic, ['before'], 0)
    const c = consumer(uniqueName('group'))
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    const seen: string[] = []
    await c.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()) } })
    await waitFor(() => seen.length === 1, 'the first message')

    c.pause([{ topic }])
    expect(c.paused()).toEqual([{ topic, partitions: [0, 1, 2, 3] }])
    await produce(topic, ['while-paused'], 0)
    let fetches = 0
    const remove = c.on(c.events.FETCH, () => { fetches += 1 })
    await waitFor(() => fetches >= 3, 'three fetches while paused')
    remove()
    expect(seen).toEqual(['before'])

    c.resume([{ topic }])
    await waitFor(() => seen.length === 2, 'the message after resuming')
    expect(seen).toEqual(['before', 'while-paused'])
  })
})

describe('admin on groups', () => {
  it('lists, describes and deletes groups, keeping offsets of an empty group', async () => {
    const topic = uniqueName('admin')
    const groupId = uniqueName('group')
    await produce(topic, range(0, 4, 'x'), 0)
    const c = consumer(groupId)
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    let count = 0
    let committed = false
    c.on(c.events.COMMIT_OFFSETS, () => { committed = true })
    await c.run({ eachMessage: async () => { count += 1 } })
    await waitFor(() => count === 4 && committed, 'four messages committed')

    const admin = kafka.admin()
    await admin.connect()
    try {
      const { groups } = await admin.listGroups()
      expect(groups).toContainEqual({ groupId, protocolType: 'consumer' })

      const described = await admin.describeGroups([groupId])
      expect(described.groups).toHaveLength(1)
      const [group] = described.groups
      expect(group).toMatchObject({ errorCode: 0, groupId, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' })
      expect(group.members).toHaveLength(1)
      expect(group.members[0]).toMatchObject({ clientId: 'ferrokafka-test', clientHost: '/127.0.0.1' })
      expect(group.members[0].memberId).toMatch(/^ferrokafka-test-[0-9a-f-]{36}$/)
      expect(AssignerProtocol.MemberMetadata.decode(group.members[0].memberMetadata)!.topics).toEqual([topic])
      expect(AssignerProtocol.MemberAssignment.decode(group.members[0].memberAssignment)!.assignment).toEqual({ [topic]: [0, 1, 2, 3] })

      await expect(admin.deleteGroups([groupId])).rejects.toMatchObject({
        groups: [expect.objectContaining({ groupId, errorCode: 68 })]
      })

      await c.disconnect()
      const empty = await admin.describeGroups([groupId])
      expect(empty.groups[0]).toMatchObject({ state: 'Empty', protocolType: 'consumer', members: [] })
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
      // Kafka answers "" for commits without metadata, which kafkajs reports as null.
      expect(offsets).toEqual([{ topic, partitions: [0, 1, 2, 3].map((partition) => ({
        partition, offset: partition === 0 ? '4' : '-1', metadata: null
      })) }])

      const unknown = await admin.describeGroups([uniqueName('missing')])
      expect(unknown.groups[0]).toMatchObject({ errorCode: 0, state: 'Dead', members: [] })

      expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }])
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId)
      await expect(admin.deleteGroups([groupId])).rejects.toMatchObject({
        groups: [expect.objectContaining({ groupId, errorCode: 69 })]
      })
      const gone = await admin.fetchOffsets({ groupId, topics: [topic] })
      expect(gone[0].partitions.map((p) => p.offset)).toEqual(['-1', '-1', '-1', '-1'])
    } finally {
      await admin.disconnect()
    }
  })

  it('sets and resets the offsets of an idle group', async () => {
    const topic = uniqueName('reset')
    const groupId = uniqueName('group')
    await produce(topic, range(0, 5, 'p0-'), 0)
    await produce(topic, range(0, 3, 'p1-'), 1)
    const admin = kafka.admin()
    await admin.connect()
    const offsets = async (): Promise<string[]> =>
      (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions
        .sort((a, b) => a.partition - b.partition)
        .map((p) => p.offset)
    const consume = async (count: number): Promise<string[]> => {
      const c = consumer(groupId)
      const seen: string[] = []
      await c.connect()
      await c.subscribe({ topic })
      await c.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()) } })
      await waitFor(() => seen.length === count, `${count} messages`)
      await c.disconnect()
      return seen.sort()
    }
    try {
      await admin.setOffsets({ groupId, topic, partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: partition === 0 ? '3' : '1' })) })
      expect(await offsets()).toEqual(['3', '1', '1', '1'])
      expect(await consume(4)).toEqual(['p0-3', 'p0-4', 'p1-1', 'p1-2'])

      // kafkajs commits the special offset -2 (earliest) as it is, and a consumer resolves it
      // with its own fromBeginning setting.
      await admin.resetOffsets({ groupId, topic, earliest: true })
      expect(await offsets()).toEqual(['-2', '-2', '-2', '-2'])
    } finally {
      await admin.disconnect()
    }
  })
})
