// Differential check: one kafkajs scenario run against real Apache Kafka and against
// createBroker() must observe the same results — offsets, metadata shapes, error codes, configs
// and group behaviour. Where the embedded broker differs on purpose, the normalisation says why.
import { ITopicConfig, KafkaJSProtocolError } from 'kafkajs'
import { createBroker } from '..'
import { kafkajs, waitFor } from './helpers/kafka'
import { startApacheKafka, ExternalBroker } from './helpers/peers'

const BASE_TIMESTAMP = 1_700_000_000_000

interface ErrorShape {
  name: string
  type?: string
  code?: number
}

function errorShape(error: unknown): ErrorShape {
  const cause = error as KafkaJSProtocolError & { errors?: unknown[] }
  const inner = (cause.errors?.[0] ?? cause) as KafkaJSProtocolError
  return { name: inner.name, type: inner.type, code: inner.code }
}

const CONFIGS_COMPARED = ['cleanup.policy', 'max.message.bytes', 'retention.ms', 'segment.bytes', 'min.insync.replicas']

async function scenario(brokers: string[]): Promise<Record<string, unknown>> {
  const kafka = kafkajs(brokers, 'differential')
  const admin = kafka.admin()
  await admin.connect()
  const seen: Record<string, unknown> = {}
  try {
    const topics: ITopicConfig[] = [
      { topic: 'diff-a', numPartitions: 3 },
      { topic: 'diff-b', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }
    ]
    seen.created = await admin.createTopics({ topics, waitForLeaders: true })
    seen.createdAgain = await admin.createTopics({ topics: [topics[0]] })
    seen.badReplication = await admin
      .createTopics({ topics: [{ topic: 'diff-c', numPartitions: 1, replicationFactor: 3 }] })
      .catch(errorShape)
    seen.badConfig = await admin
      .createTopics({ topics: [{ topic: 'diff-d', configEntries: [{ name: 'retention.ms', value: 'soon' }] }] })
      .catch(errorShape)
    // Kafka lists requested topics in no particular order.
    seen.metadata = (await admin.fetchTopicMetadata({ topics: ['diff-a', 'diff-b'] })).topics
      .map((t) => ({ ...t, partitions: sortBy(t.partitions, (p) => p.partitionId) }))
      .sort((a, b) => a.name.localeCompare(b.name))
    seen.topics = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort()

    const producer = kafka.producer({ allowAutoTopicCreation: false })
    await producer.connect()
    // kafkajs orders RecordMetadata by the partition order of its metadata, which Kafka leaves open.
    seen.produced = sortByPartition(await producer.send({
      topic: 'diff-a',
      messages: [
        { partition: 0, key: 'k0', value: 'v0', timestamp: String(BASE_TIMESTAMP), headers: { h: 'x' } },
        { partition: 0, key: null, value: null, timestamp: String(BASE_TIMESTAMP + 10) },
        { partition: 1, key: 'k2', value: 'v2', timestamp: String(BASE_TIMESTAMP + 20), headers: { many: ['a', 'b'] } },
        { partition: 0, key: 'k3', value: Buffer.from([0, 1, 2]), timestamp: String(BASE_TIMESTAMP + 30) }
      ]
    }))
    seen.missingTopic = await producer
      .send({ topic: 'diff-missing', messages: [{ value: 'x' }] })
      .catch(errorShape)
    await producer.disconnect()

    seen.offsets = sortByPartition(await admin.fetchTopicOffsets('diff-a'))
    seen.byTimestamp = sortByPartition(await admin.fetchTopicOffsetsByTimestamp('diff-a', BASE_TIMESTAMP + 5))
    seen.afterLast = sortByPartition(await admin.fetchTopicOffsetsByTimestamp('diff-a', BASE_TIMESTAMP + 99))

    const consumer = kafka.consumer({ groupId: 'diff-group', sessionTimeout: 10000, heartbeatInterval: 500 })
    await consumer.connect()
    await consumer.subscribe({ topic: 'diff-a', fromBeginning: true })
    const consumed: unknown[] = []
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        consumed.push({
          partition,
          offset: message.offset,
          key: message.key?.toString('hex') ?? null,
          value: message.value?.toString('hex') ?? null,
          timestamp: message.timestamp,
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]))
        })
      }
    })
    await waitFor(() => consumed.length === 4, 'four consumed messages')
    seen.consumed = consumed.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    seen.stableGroup = normaliseGroup(await admin.describeGroups(['diff-group']))
    await consumer.disconnect()
    seen.committed = await admin.fetchOffsets({ groupId: 'diff-group', topics: ['diff-a'] })
    seen.emptyGroup = normaliseGroup(await admin.describeGroups(['diff-group']))
    seen.groups = (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith('diff-'))

    await admin.deleteTopicRecords({ topic: 'diff-a', partitions: [{ partition: 0, offset: '1' }] })
    seen.afterDelete = sortByPartition(await admin.fetchTopicOffsets('diff-a'))

    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: 'diff-b', configNames: CONFIGS_COMPARED }],
      includeSynonyms: false
    })
    seen.configs = described.resources.map((r) => ({
      ...r,
      configEntries: [...r.configEntries].sort((a, b) => a.configName.localeCompare(b.configName))
    }))
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: 'diff-b', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]
    })
    const altered = await admin.describeConfigs({
      resources: [{ type: 2, name: 'diff-b', configNames: ['cleanup.policy', 'retention.ms'] }],
      includeSynonyms: false
    })
    seen.altered = altered.resources[0].configEntries
      .map((e) => ({ name: e.configName, value: e.configValue, isDefault: e.isDefault }))
      .sort((a, b) => a.name.localeCompare(b.name))

    await admin.createPartitions({ topicPartitions: [{ topic: 'diff-b', count: 2 }] })
    seen.grown = (await admin.fetchTopicMetadata({ topics: ['diff-b'] })).topics[0].partitions.length
    seen.shrink = await admin
      .createPartitions({ topicPartitions: [{ topic: 'diff-b', count: 1 }] })
      .catch(errorShape)

    seen.deleteNonEmptyGroup = await admin.deleteGroups(['diff-group'])
    await admin.deleteTopics({ topics: ['diff-a', 'diff-b'] })
    seen.afterDeleteTopics = await waitFor(async () => {
      const left = (await admin.listTopics()).filter((t) => !t.startsWith('__'))
      return left.length === 0 ? left : null
    }, 'topic deletion')
  } finally {
    await admin.disconnect()
  }
  return seen
}

function sortBy<T>(rows: T[], key: (row: T) => number): T[] {
  return [...rows].sort((a, b) => key(a) - key(b))
}

function sortByPartition<T extends { partition: number }>(rows: T[]): T[] {
  return sortBy(rows, (row) => row.partition)
}

type Groups = Awaited<ReturnType<ReturnType<ReturnType<typeof kafkajs>['admin']>['describeGroups']>>

function normaliseGroup(described: Groups): unknown {
  return described.groups.map((g) => ({
    ...g,
    // Member ids embed a random UUID on both brokers; client hosts are the same loopback address.
    members: g.members.map((m) => ({ ...m, memberId: m.memberId.startsWith(`${m.clientId}-`) }))
  }))
}

describe('kafkajs sees the same broker in ferrokafka and Apache Kafka', () => {
  let apache: ExternalBroker

  beforeAll(async () => {
    apache = await startApacheKafka()
  }, 120000)
  afterAll(() => apache?.close())

  it('gives the same observable results for one admin, produce and group scenario', async () => {
    const expected = await scenario(apache.brokers)
    const broker = await createBroker({ nodeId: 1 })
    try {
      const actual = await scenario(broker.brokers)
      expect(actual).toEqual(expected)
    } finally {
      await broker.close()
    }
  }, 120000)
})
