// Custom partition assigners in kafkajs's shape, side by side with kafkajs on the embedded
// broker: the same assigner gets the same members, metadata and cluster view and makes the same
// assignment whichever client leads, mixed groups split partitions through it, and what it
// throws surfaces as kafkajs surfaces it.
import { createBroker, Broker, AssignerProtocol, PartitionAssigners } from '..'
import { Consumer as KafkaJSConsumer, ConsumerConfig, PartitionAssigner as KafkaJSPartitionAssigner, PartitionAssigners as KafkaJSPartitionAssigners } from 'kafkajs'
import { Client, consumerOf, kafkajs, uniqueName, waitFor } from './helpers/kafka'

let broker: Broker
let brokers: string[]

beforeAll(async () => {
  broker = await createBroker({ numPartitions: 1 })
  brokers = broker.brokers
})

afterAll(async () => {
  await broker.close()
})

function consumer(client: Client, config: ConsumerConfig): KafkaJSConsumer {
  return consumerOf(client, brokers, config, 'ferro-assigners')
}

async function createTopic(partitions: number): Promise<string> {
  const topic = uniqueName('assigned')
  const admin = kafkajs(brokers).admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] })
  await admin.disconnect()
  return topic
}

async function produce(topic: string, count: number, partitions: number, from = 0): Promise<void> {
  const producer = kafkajs(brokers).producer()
  await producer.connect()
  await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ partition: i % partitions, value: String(from + i) })) })
  await producer.disconnect()
}

/** What the assigner was handed when it last assigned, with member ids replaced by labels. */
interface AssignInput {
  members: Array<{ label: string, version: number, topics: string[], groupInstanceId: unknown }>
  topics: string[]
  partitions: Record<string, unknown[]>
}

/**
 * The assigner under test: each member joins with its label as userData; the leader deals each
 * topic's partitions from the highest partition down, in turn to the members ordered by label.
 * `failWhen` may make it throw.
 */
function labelled(label: string, seen: AssignInput[], failWhen: (input: AssignInput) => Error | null = () => null): KafkaJSPartitionAssigner {
  return ({ cluster }) => ({
    name: 'LabelledAssigner',
    version: 1,
    protocol ({ topics }) {
      return { name: this.name, metadata: AssignerProtocol.MemberMetadata.encode({ version: this.version, topics, userData: Buffer.from(label) }) }
    },
    async assign ({ members, topics }) {
      const decoded = members.map((m) => {
        const metadata = AssignerProtocol.MemberMetadata.decode(m.memberMetadata)
        return { memberId: m.memberId, label: metadata.userData.toString(), version: metadata.version, topics: metadata.topics, groupInstanceId: (m as { groupInstanceId?: unknown }).groupInstanceId }
      }).sort((a, b) => a.label.localeCompare(b.label))
      const partitions: Record<string, unknown[]> = {}
      for (const topic of topics) partitions[topic] = cluster.findTopicPartitionMetadata(topic)
      const input: AssignInput = {
        members: decoded.map(({ label, version, topics, groupInstanceId }) => ({ label, version, topics, groupInstanceId })),
        topics,
        partitions
      }
      seen.push(input)
      const failure = failWhen(input)
      if (failure) throw failure
      const plan: Record<string, Record<string, number[]>> = {}
      for (const m of decoded) plan[m.memberId] = {}
      for (const topic of topics) {
        const ids = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => b - a)
        ids.forEach((id, i) => {
          const owner = decoded[i % decoded.length].memberId
          plan[owner][topic] = [...(plan[owner][topic] ?? []), id]
        })
      }
      return decoded.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: this.version, assignment: plan[m.memberId], userData: Buffer.from(m.label) })
      }))
    }
  })
}

/** A group member under a label: what it consumed and its last GROUP_JOIN payload. */
interface Member {
  label: string
  consumer: KafkaJSConsumer
  values: string[]
  joins: Array<{ isLeader: boolean, memberAssignment: Record<string, number[]>, groupProtocol: string }>
}

async function join(client: Client, label: string, groupId: string, topic: string, assigner: KafkaJSPartitionAssigner): Promise<Member> {
  const roundRobin = client === 'kafkajs' ? KafkaJSPartitionAssigners.roundRobin : PartitionAssigners.roundRobin as unknown as KafkaJSPartitionAssigner
  const c = consumer(client, { groupId, heartbeatInterval: 300, partitionAssigners: [assigner, roundRobin] })
  const member: Member = { label, consumer: c, values: [], joins: [] }
  c.on(c.events.GROUP_JOIN, (e) => { member.joins.push(e.payload) })
  await c.connect()
  await c.subscribe({ topic, fromBeginning: true })
  await c.run({ eachMessage: async ({ message }) => { member.values.push(String(message.value)) } })
  return member
}

/** Each member's assignment of the generation both members joined last, by label. */
function settled(members: Member[]): Record<string, unknown> | null {
  const last = members.map((m) => m.joins[m.joins.length - 1])
  if (last.some((j) => !j)) return null
  const taken = last.flatMap((j) => Object.values(j.memberAssignment).flat())
  if (new Set(taken).size !== taken.length) return null
  return Object.fromEntries(members.map((m, i) => [m.label, { isLeader: last[i].isLeader, assignment: Object.values(last[i].memberAssignment), protocol: last[i].groupProtocol }]))
}

test('the same custom assigner gets the same input and makes the same assignment in a kafkajs group and a ferrokafka group', async () => {
  const run = async (client: Client) => {
    const topic = await createTopic(5)
    const groupId = uniqueName('labelled')
    const seen: AssignInput[] = []
    const alpha = await join(client, 'alpha', groupId, topic, labelled('alpha', seen))
    await waitFor(() => alpha.joins.length > 0, 'alpha to join')
    const beta = await join(client, 'beta', groupId, topic, labelled('beta', seen))
    await waitFor(() => beta.joins.length > 0 && settled([alpha, beta]) && seen[seen.length - 1].members.length === 2, 'both members assigned')
    await produce(topic, 10, 5)
    await waitFor(() => alpha.values.length + beta.values.length >= 10, 'every message')
    const result = settled([alpha, beta])
    await Promise.all([alpha.consumer.disconnect(), beta.consumer.disconnect()])
    const input = JSON.parse(JSON.stringify(seen[seen.length - 1]).split(topic).join('TOPIC'))
    return { result, input, values: [...alpha.values, ...beta.values].sort((a, b) => Number(a) - Number(b)) }
  }
  const ferro = await run('ferrokafka')
  const reference = await run('kafkajs')
  expect(ferro.result).toEqual({
    alpha: { isLeader: true, assignment: [[0, 2, 4]], protocol: 'LabelledAssigner' },
    beta: { isLeader: false, assignment: [[1, 3]], protocol: 'LabelledAssigner' }
  })
  expect(ferro.input.members.map((m: { label: string }) => m.label)).toEqual(['alpha', 'beta'])
  expect(ferro.input.partitions.TOPIC).toHaveLength(5)
  expect(ferro.values).toEqual(Array.from({ length: 10 }, (_, i) => String(i)))
  expect(ferro).toEqual(reference)
}, 60000)

test('a mixed kafkajs and ferrokafka group splits partitions through a custom assigner whichever client leads', async () => {
  const run = async (leader: Client, follower: Client) => {
    const topic = await createTopic(4)
    const groupId = uniqueName('mixed-labelled')
    const seen: AssignInput[] = []
    const alpha = await join(leader, 'alpha', groupId, topic, labelled('alpha', seen))
    await waitFor(() => alpha.joins.length > 0, 'the leader to join')
    const beta = await join(follower, 'beta', groupId, topic, labelled('beta', seen))
    await waitFor(() => beta.joins.length > 0 && settled([alpha, beta]) && seen[seen.length - 1].members.length === 2, 'both members assigned')
    await produce(topic, 40, 4)
    await waitFor(() => alpha.values.length + beta.values.length >= 40, 'every message')
    const result = settled([alpha, beta])
    await Promise.all([alpha.consumer.disconnect(), beta.consumer.disconnect()])
    const everything = [...alpha.values, ...beta.values].sort((a, b) => Number(a) - Number(b))
    return { result, everything, alpha: alpha.values.length, beta: beta.values.length }
  }
  const ferroLeads = await run('ferrokafka', 'kafkajs')
  const kafkajsLeads = await run('kafkajs', 'ferrokafka')
  const expected = {
    alpha: { isLeader: true, assignment: [[1, 3]], protocol: 'LabelledAssigner' },
    beta: { isLeader: false, assignment: [[0, 2]], protocol: 'LabelledAssigner' }
  }
  for (const outcome of [ferroLeads, kafkajsLeads]) {
    expect(outcome.result).toEqual(expected)
    expect(outcome.everything).toEqual(Array.from({ length: 40 }, (_, i) => String(i)))
    expect([outcome.alpha, outcome.beta]).toEqual([20, 20])
  }
}, 60000)

/** A consumer whose assigner fails; what its CRASH events and handler saw. */
async function crashes(client: Client, assigner: KafkaJSPartitionAssigner) {
  const topic = await createTopic(1)
  await produce(topic, 2, 1)
  const c = consumer(client, { groupId: uniqueName('failing'), heartbeatInterval: 300, retry: { retries: 2, initialRetryTime: 20, maxRetryTime: 100 }, partitionAssigners: [assigner] })
  const payloads: Array<{ error: Error, restart: boolean, groupId: string }> = []
  c.on(c.events.CRASH, (e) => { payloads.push(e.payload) })
  const consumed: string[] = []
  await c.connect()
  await c.subscribe({ topic, fromBeginning: true })
  await c.run({ eachMessage: async ({ message }) => { consumed.push(String(message.value)) } })
  await waitFor(() => payloads.length > 0, 'the crash')
  await c.disconnect()
  return payloads.map(({ error, restart, groupId }) => ({ error, restart, groupId: typeof groupId, consumed: consumed.length }))
}

test('what a custom assigner throws at the first join crashes the consumer with that very error, as in kafkajs', async () => {
  const thrown = new Error('no plan for this group')
  const throwing: KafkaJSPartitionAssigner = () => ({
    name: 'Throwing',
    version: 0,
    protocol: ({ topics }) => ({ name: 'Throwing', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }) }),
    assign: async () => { throw thrown }
  })
  const ferro = await crashes('ferrokafka', throwing)
  const reference = await crashes('kafkajs', throwing)
  expect(ferro).toEqual([{ error: thrown, restart: false, groupId: 'string', consumed: 0 }])
  expect(ferro[0].error).toBe(thrown)
  expect(ferro).toEqual(reference)
}, 60000)

test('a group protocol no assigner of the leader is named after crashes as kafkajs words it', async () => {
  const misnamed: KafkaJSPartitionAssigner = () => ({
    name: 'Mine',
    version: 0,
    protocol: ({ topics }) => ({ name: 'Other', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }) }),
    assign: async () => []
  })
  const describe = (outcome: Awaited<ReturnType<typeof crashes>>) =>
    outcome.map(({ error, ...rest }) => ({ ...rest, name: error.name, message: error.message }))
  const ferro = describe(await crashes('ferrokafka', misnamed))
  const reference = describe(await crashes('kafkajs', misnamed))
  expect(ferro).toEqual([{
    name: 'KafkaJSNonRetriableError',
    message: 'Unsupported partition assigner "Other", the assigner wasn\'t found in the assigners list',
    restart: false,
    groupId: 'string',
    consumed: 0
  }])
  expect(ferro).toEqual(reference)
}, 60000)

// kafkajs retries such an assigner too, but its other members' SyncGroup is then left waiting
// until its request timeout (30 s), so the comparison is with the assignment it would make.
test('an assigner throwing once on a rebalance is retried and the group goes on', async () => {
  const topic = await createTopic(2)
  await produce(topic, 10, 2)
  const groupId = uniqueName('retried')
  const seen: AssignInput[] = []
  let thrown = 0
  const failOnce = (input: AssignInput) => {
    if (input.members.length < 2 || thrown > 0) return null
    thrown++
    return new Error('not yet')
  }
  const crashed: unknown[] = []
  const alpha = await join('ferrokafka', 'alpha', groupId, topic, labelled('alpha', seen, failOnce))
  alpha.consumer.on(alpha.consumer.events.CRASH, (e) => { crashed.push(e.payload) })
  await waitFor(() => alpha.joins.length > 0, 'alpha to join')
  const beta = await join('ferrokafka', 'beta', groupId, topic, labelled('beta', seen, failOnce))
  await waitFor(() => beta.joins.length > 0 && settled([alpha, beta]) && seen[seen.length - 1].members.length === 2,
    'both members assigned after the failure')
  await produce(topic, 10, 2, 10)
  await waitFor(() => new Set([...alpha.values, ...beta.values]).size === 20, 'every message')
  const result = settled([alpha, beta])
  await Promise.all([alpha.consumer.disconnect(), beta.consumer.disconnect()])
  expect({ result, thrown, crashed: crashed.length, calls: seen.filter((s) => s.members.length === 2).length }).toEqual({
    result: {
      alpha: { isLeader: true, assignment: [[1]], protocol: 'LabelledAssigner' },
      beta: { isLeader: false, assignment: [[0]], protocol: 'LabelledAssigner' }
    },
    thrown: 1,
    crashed: 0,
    calls: 2
  })
}, 60000)
