// The broker's admin and config APIs, driven by the real kafkajs admin client.
import { Admin, ConfigResourceTypes, Kafka } from 'kafkajs'
import { createBroker, Broker } from '..'
import { kafkajs, uniqueName } from './helpers/kafka'

// DescribeConfigs' config source codes.
const TOPIC_CONFIG = 1
const DYNAMIC_BROKER_CONFIG = 2
const STATIC_BROKER_CONFIG = 4
const DEFAULT_CONFIG = 5

let broker: Broker
let kafka: Kafka
let admin: Admin

beforeAll(async () => {
  broker = await createBroker({ nodeId: 3, numPartitions: 2 })
  kafka = kafkajs(broker.brokers)
  admin = kafka.admin()
  await admin.connect()
})

afterAll(async () => {
  await admin.disconnect()
  await broker.close()
})

async function produce (topic: string, messages: Array<{ value: string, timestamp?: string }>): Promise<void> {
  const producer = kafka.producer()
  await producer.connect()
  try {
    await producer.send({ topic, messages: messages.map((m) => ({ partition: 0, ...m })) })
  } finally {
    await producer.disconnect()
  }
}

async function topicConfig (topic: string, name: string) {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: true,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }]
  })
  return resources[0].configEntries[0]
}

describe('createTopics', () => {
  it('creates topics that listTopics and fetchTopicMetadata then show', async () => {
    const topic = uniqueName('created')
    await expect(admin.createTopics({ topics: [{ topic, numPartitions: 4 }] })).resolves.toBe(true)
    expect(await admin.listTopics()).toContain(topic)
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(topics[0].partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort()).toEqual([
      [0, 3, [3], [3]],
      [1, 3, [3], [3]],
      [2, 3, [3], [3]],
      [3, 3, [3], [3]]
    ])
  })

  it('uses num.partitions when the partition count is left out', async () => {
    const topic = uniqueName('defaulted')
    await admin.createTopics({ topics: [{ topic }] })
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(topics[0].partitions).toHaveLength(2)
  })

  it('answers false for a topic that already exists', async () => {
    const topic = uniqueName('twice')
    await admin.createTopics({ topics: [{ topic }] })
    await expect(admin.createTopics({ topics: [{ topic }] })).resolves.toBe(false)
  })

  it('creates nothing with validateOnly', async () => {
    const topic = uniqueName('validated')
    await expect(admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic }] })).resolves.toBe(true)
    expect(await admin.listTopics()).not.toContain(topic)
  })

  it('refuses a replication factor above the number of brokers', async () => {
    const topic = uniqueName('replicated')
    const error = await admin.createTopics({ topics: [{ topic, replicationFactor: 3 }] }).catch((e) => e)
    expect(error.name).toBe('KafkaJSAggregateError')
    expect(error.errors).toHaveLength(1)
    expect(error.errors[0]).toMatchObject({ name: 'KafkaJSCreateTopicError', type: 'INVALID_REPLICATION_FACTOR', topic })
    expect(await admin.listTopics()).not.toContain(topic)
  })

  it('refuses unknown and invalid topic configs', async () => {
    const unknown = admin.createTopics({ topics: [{ topic: uniqueName('cfg'), configEntries: [{ name: 'no.such.config', value: '1' }] }] })
    await expect(unknown).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] })
    const invalid = admin.createTopics({ topics: [{ topic: uniqueName('cfg'), configEntries: [{ name: 'retention.ms', value: 'soon' }] }] })
    await expect(invalid).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] })
  })
})

describe('offsets and records', () => {
  it('fetchTopicOffsets and fetchTopicOffsetsByTimestamp see produced records', async () => {
    const topic = uniqueName('offsets')
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await produce(topic, [
      { value: 'a', timestamp: '1000' },
      { value: 'b', timestamp: '2000' },
      { value: 'c', timestamp: '3000' }
    ])
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '3', high: '3', low: '0' }])
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, 1500)).toEqual([{ partition: 0, offset: '1' }])
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, 9000)).toEqual([{ partition: 0, offset: '3' }])
  })

  it('deleteTopicRecords moves the low watermark, up to the high watermark for -1', async () => {
    const topic = uniqueName('trimmed')
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await produce(topic, ['a', 'b', 'c', 'd', 'e'].map((value) => ({ value })))
    // kafkajs finds partition leaders in its metadata cache, which the offsets call fills.
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '5', high: '5', low: '0' }])
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] })
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '5', high: '5', low: '3' }])
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '-1' }] })
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '5', high: '5', low: '5' }])
  })

  it('deleteTopicRecords refuses offsets beyond the high watermark', async () => {
    const topic = uniqueName('beyond')
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await produce(topic, [{ value: 'a' }])
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '1', high: '1', low: '0' }])
    const error = await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '7' }] }).catch((e) => e)
    expect(error.name).toBe('KafkaJSNonRetriableError')
    expect(error.cause.name).toBe('KafkaJSDeleteTopicRecordsError')
    expect(error.cause.partitions[0].error.type).toBe('OFFSET_OUT_OF_RANGE')
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '1', high: '1', low: '0' }])
  })
})

describe('createPartitions', () => {
  it('adds partitions and refuses a count that is not an increase', async () => {
    const topic = uniqueName('grown')
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(topics[0].partitions).toHaveLength(3)
    await expect(admin.createPartitions({ topicPartitions: [{ topic, count: 2 }] })).rejects.toMatchObject({
      type: 'INVALID_PARTITIONS'
    })
  })
})

describe('configs', () => {
  it('describes a topic: overrides, broker-supplied defaults and their synonyms', async () => {
    const topic = uniqueName('described')
    await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '60000' }] }] })
    expect(await topicConfig(topic, 'retention.ms')).toMatchObject({
      configValue: '60000',
      configSource: TOPIC_CONFIG,
      readOnly: false,
      isSensitive: false
    })
    expect(await topicConfig(topic, 'max.message.bytes')).toMatchObject({
      configValue: '1048588',
      configSource: DEFAULT_CONFIG,
      configSynonyms: [{ configName: 'message.max.bytes', configValue: '1048588', configSource: DEFAULT_CONFIG }]
    })
  })

  it('describes the broker by node id and refuses an unknown topic', async () => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: '3', configNames: ['node.id', 'num.partitions', 'message.max.bytes'] }]
    })
    const entries = Object.fromEntries(resources[0].configEntries.map((e) => [e.configName, e]))
    expect(entries['node.id']).toMatchObject({ configValue: '3', configSource: STATIC_BROKER_CONFIG, readOnly: true })
    expect(entries['num.partitions']).toMatchObject({ configValue: '2', configSource: STATIC_BROKER_CONFIG, readOnly: true })
    expect(entries['message.max.bytes']).toMatchObject({ configValue: '1048588', configSource: DEFAULT_CONFIG, readOnly: false })
    const missing = admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: uniqueName('missing') }] })
    await expect(missing).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  it('alterConfigs on a topic takes effect: a lowered max.message.bytes refuses larger records', async () => {
    const topic = uniqueName('limited')
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })
    await produce(topic, [{ value: 'x'.repeat(500) }])
    const lowered = [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'max.message.bytes', value: '200' }] }]
    await admin.alterConfigs({ validateOnly: true, resources: lowered })
    expect(await topicConfig(topic, 'max.message.bytes')).toMatchObject({ configValue: '1048588', configSource: DEFAULT_CONFIG })
    await admin.alterConfigs({ validateOnly: false, resources: lowered })
    expect(await topicConfig(topic, 'max.message.bytes')).toMatchObject({ configValue: '200', configSource: TOPIC_CONFIG })
    await expect(produce(topic, [{ value: 'x'.repeat(500) }])).rejects.toMatchObject({
      name: 'KafkaJSProtocolError',
      type: 'MESSAGE_TOO_LARGE'
    })
    await produce(topic, [{ value: 'small' }])
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: '2', high: '2', low: '0' }])
  })

  it('alterConfigs refuses invalid values and leaves the topic as it was', async () => {
    const topic = uniqueName('kept')
    await admin.createTopics({ topics: [{ topic }] })
    const invalid = admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: 'soon' }] }]
    })
    await expect(invalid).rejects.toMatchObject({ type: 'INVALID_CONFIG' })
    expect(await topicConfig(topic, 'retention.ms')).toMatchObject({ configValue: '604800000', configSource: DEFAULT_CONFIG })
  })

  it('alterConfigs on the broker sets dynamic configs that topics then inherit', async () => {
    const separate = await createBroker()
    const client = kafkajs(separate.brokers).admin()
    await client.connect()
    try {
      const topic = uniqueName('inherits')
      await client.createTopics({ topics: [{ topic }] })
      await client.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(separate.nodeId), configEntries: [{ name: 'log.retention.ms', value: '120000' }] }]
      })
      const { resources } = await client.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.BROKER, name: String(separate.nodeId), configNames: ['log.retention.ms'] },
          { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }
        ]
      })
      expect(resources.map((r) => r.configEntries[0])).toEqual([
        expect.objectContaining({ configName: 'log.retention.ms', configValue: '120000', configSource: DYNAMIC_BROKER_CONFIG }),
        expect.objectContaining({ configName: 'retention.ms', configValue: '120000', configSource: DYNAMIC_BROKER_CONFIG })
      ])
      const fixed = client.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: String(separate.nodeId), configEntries: [{ name: 'num.partitions', value: '5' }] }]
      })
      await expect(fixed).rejects.toMatchObject({ type: 'INVALID_REQUEST' })
    } finally {
      await client.disconnect()
      await separate.close()
    }
  })
})

describe('deleteTopics and describeCluster', () => {
  it('deletes topics', async () => {
    const topic = uniqueName('deleted')
    await admin.createTopics({ topics: [{ topic }] })
    await admin.deleteTopics({ topics: [topic] })
    expect(await admin.listTopics()).not.toContain(topic)
    // UNKNOWN_TOPIC_OR_PARTITION is retriable for kafkajs: without retries it surfaces at once.
    const impatient = kafka.admin({ retry: { retries: 0 } })
    await impatient.connect()
    try {
      await expect(impatient.deleteTopics({ topics: [topic] })).rejects.toThrow(/does not host this topic-partition/)
    } finally {
      await impatient.disconnect()
    }
  })

  it('describes this broker as the cluster and its controller', async () => {
    expect(await admin.describeCluster()).toEqual({
      brokers: [{ nodeId: 3, host: '127.0.0.1', port: broker.port }],
      controller: 3,
      clusterId: broker.clusterId
    })
  })
})
