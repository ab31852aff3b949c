// ferrokafka's admin client against kafkajs's, on the same broker: every admin operation is run
// by both, and what each observed (value or error) must be the same once generated names are
// normalised. Runs on createBroker() and on Apache Kafka 4.x.
import * as kafkajsModule from 'kafkajs'
import { Admin as KafkaJSAdmin, Consumer, Kafka as KafkaJS, logLevel } from 'kafkajs'
import {
  Admin,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ConfigSource,
  Kafka,
  ResourcePatternTypes,
  createBroker,
  Broker
} from '..'
import { describeTargets } from './helpers/peers'
import { Names, Named, observe, Observed, Side } from './helpers/differential'
import { uniqueName, waitFor } from './helpers/kafka'

/** A connected pair of admin clients and the names a test generated for each side. */
interface Pair {
  admins: Record<Side, Admin | KafkaJSAdmin>
  names: Names
  brokers: string[]
}

/** Enough retries to see retrying behave alike, few enough to keep failing calls short. */
const FEW_RETRIES = { retries: 3 }

async function connectPair(brokers: string[]): Promise<Pair> {
  const admins = {
    ferrokafka: new Kafka({ clientId: 'admin-diff', brokers, logLevel: logLevel.NOTHING }).admin({ retry: FEW_RETRIES }),
    kafkajs: new KafkaJS({ clientId: 'admin-diff', brokers, logLevel: logLevel.NOTHING }).admin({ retry: FEW_RETRIES })
  }
  await admins.ferrokafka.connect()
  await admins.kafkajs.connect()
  return { admins, names: new Names(), brokers }
}

/**
 * Runs `call` with each side's admin (ferrokafka first, then kafkajs) and expects both to observe
 * the same, names normalised; returns what ferrokafka observed.
 */
async function same(pair: Pair, call: (admin: any, side: Side) => Promise<unknown>): Promise<Observed> {
  const seen = {} as Record<Side, unknown>
  for (const side of ['ferrokafka', 'kafkajs'] as const) {
    seen[side] = pair.names.normalise(await observe(() => call(pair.admins[side], side)), side)
  }
  expect(seen.ferrokafka).toEqual(seen.kafkajs)
  return seen.ferrokafka as Observed
}

const sortedBy = <T>(items: T[], key: (item: T) => string | number): T[] =>
  [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))

async function produce(brokers: string[], topic: string, messages: Array<{ partition: number, value: string, timestamp?: string }>): Promise<void> {
  const producer = new KafkaJS({ brokers, logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  try {
    await producer.send({ topic, messages })
  } finally {
    await producer.disconnect()
  }
}

/** A kafkajs consumer that has joined `groupId` and consumes `topic`. */
async function runningConsumer(brokers: string[], groupId: string, topic: string): Promise<Consumer> {
  const consumer = new KafkaJS({ brokers, logLevel: logLevel.NOTHING }).consumer({ groupId })
  let joined = false
  consumer.on(consumer.events.GROUP_JOIN, () => { joined = true })
  await consumer.connect()
  await consumer.subscribe({ topic })
  await consumer.run({ eachMessage: async () => {} })
  await waitFor(() => joined, 'the consumer to join its group')
  return consumer
}

const BASE_TIMESTAMP = 1_700_000_000_000

describeTargets('admin client differential on %s', 1, (bootstrap) => {
  let pair: Pair

  beforeAll(async () => {
    pair = await connectPair([bootstrap()])
  })

  afterAll(async () => {
    await pair?.admins.ferrokafka.disconnect()
    await pair?.admins.kafkajs.disconnect()
  })

  /** Creates each side's copy of a topic with kafkajs's admin. */
  async function topicPair(prefix: string, numPartitions: number): Promise<Named> {
    const topic = pair.names.pair(prefix)
    const admin = pair.admins.kafkajs as KafkaJSAdmin
    await admin.createTopics({ topics: [topic.ferrokafka, topic.kafkajs].map((t) => ({ topic: t, numPartitions })) })
    return topic
  }

  test('createTopics: created, already there, validate only, refused', async () => {
    const topic = pair.names.pair('create')
    const other = pair.names.pair('validate')
    const bad = pair.names.pair('bad')
    const spec = (side: Side) => [{
      topic: topic[side],
      numPartitions: 2,
      replicationFactor: 1,
      configEntries: [{ name: 'retention.ms', value: '3600000' }]
    }]
    expect(await same(pair, (admin, side) => admin.createTopics({ topics: spec(side) }))).toEqual({ value: true })
    expect(await same(pair, (admin, side) => admin.createTopics({ topics: spec(side), waitForLeaders: false }))).toEqual({ value: false })
    // Waiting for the leaders of a topic that was only validated fails, in kafkajs too.
    const validated = await same(pair, (admin, side) => admin.createTopics({ topics: [{ topic: other[side] }], validateOnly: true }))
    expect(validated).toMatchObject({ error: { type: 'UNKNOWN_TOPIC_OR_PARTITION' } })
    expect(await same(pair, (admin, side) => admin.createTopics({ topics: [{ topic: other[side] }], validateOnly: true, waitForLeaders: false })))
      .toEqual({ value: true })
    await same(pair, async (admin, side) => (await admin.listTopics()).filter((t: string) => t === other[side]))
    const refused = await same(pair, (admin, side) => admin.createTopics({
      topics: [{ topic: bad[side], numPartitions: -5 }, { topic: topic[side] }]
    }))
    expect(refused).toMatchObject({ error: { name: 'KafkaJSAggregateError', errors: [{ name: 'KafkaJSCreateTopicError' }, { name: 'KafkaJSCreateTopicError' }] } })
  })

  test('listTopics, fetchTopicMetadata and describeCluster', async () => {
    const topic = await topicPair('meta', 3)
    await same(pair, async (admin, side) => (await admin.listTopics()).filter((t: string) => t === topic[side]))
    const metadata = await same(pair, async (admin, side) => {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic[side]] })
      return topics.map((t: any) => ({ ...t, partitions: sortedBy(t.partitions, (p: any) => p.partitionId) }))
    })
    expect(metadata).toMatchObject({ value: [{ name: topic.label, partitions: [{ partitionId: 0 }, { partitionId: 1 }, { partitionId: 2 }] }] })
    const missing = await same(pair, (admin) => admin.fetchTopicMetadata({ topics: [uniqueName('missing')] }))
    expect(missing).toMatchObject({ error: { type: 'UNKNOWN_TOPIC_OR_PARTITION' } })
    const cluster = await same(pair, (admin) => admin.describeCluster())
    expect(cluster).toMatchObject({ value: { brokers: [{ host: '127.0.0.1' }] } })
  })

  test('createPartitions grows a topic and refuses to shrink it', async () => {
    const topic = await topicPair('grow', 1)
    await same(pair, (admin, side) => admin.createPartitions({ topicPartitions: [{ topic: topic[side], count: 3 }] }))
    await same(pair, async (admin, side) => (await admin.fetchTopicMetadata({ topics: [topic[side]] })).topics[0].partitions.length)
    const shrink = await same(pair, (admin, side) => admin.createPartitions({ topicPartitions: [{ topic: topic[side], count: 2 }] }))
    expect(shrink).toMatchObject({ error: { type: 'INVALID_PARTITIONS' } })
  })

  test('fetchTopicOffsets and fetchTopicOffsetsByTimestamp', async () => {
    const topic = await topicPair('offsets', 2)
    for (const side of ['ferrokafka', 'kafkajs'] as const) {
      await produce(pair.brokers, topic[side], [
        { partition: 0, value: 'a', timestamp: String(BASE_TIMESTAMP) },
        { partition: 0, value: 'b', timestamp: String(BASE_TIMESTAMP + 10) },
        { partition: 1, value: 'c', timestamp: String(BASE_TIMESTAMP + 20) }
      ])
    }
    const byPartition = (offsets: any[]) => sortedBy(offsets, (o) => o.partition)
    const offsets = await same(pair, async (admin, side) => byPartition(await admin.fetchTopicOffsets(topic[side])))
    expect(offsets).toEqual({ value: [{ partition: 0, offset: '2', high: '2', low: '0' }, { partition: 1, offset: '1', high: '1', low: '0' }] })
    for (const timestamp of [BASE_TIMESTAMP + 5, BASE_TIMESTAMP + 15, BASE_TIMESTAMP + 1000, undefined]) {
      await same(pair, async (admin, side) => byPartition(await admin.fetchTopicOffsetsByTimestamp(topic[side], timestamp)))
    }
    await same(pair, (admin) => admin.fetchTopicOffsets(uniqueName('missing')))
  })

  test('setOffsets, fetchOffsets, resetOffsets and resolveOffsets on idle groups', async () => {
    const topic = await topicPair('group-offsets', 2)
    const group = pair.names.pair('group')
    for (const side of ['ferrokafka', 'kafkajs'] as const) {
      await produce(pair.brokers, topic[side], [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 1, value: 'c' }])
    }
    const fetch = (resolveOffsets?: boolean, topics?: boolean) => same(pair, async (admin, side) =>
      (await admin.fetchOffsets({ groupId: group[side], topics: topics === false ? undefined : [topic[side]], resolveOffsets }))
        .map((t: any) => ({ ...t, partitions: sortedBy(t.partitions, (p: any) => p.partition) })))

    expect(await fetch()).toEqual({ value: [{ topic: topic.label, partitions: [0, 1].map((partition) => ({ partition, offset: '-1', metadata: null })) }] })
    await same(pair, (admin, side) => admin.setOffsets({ groupId: group[side], topic: topic[side], partitions: [{ partition: 0, offset: '1' }] }))
    expect(await fetch()).toMatchObject({ value: [{ partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '-1' }] }] })
    // kafkajs commits as a short-lived consumer: the group is left empty, of protocol type consumer.
    expect(await same(pair, (admin, side) => admin.describeGroups([group[side]])))
      .toEqual({ value: { groups: [{ errorCode: 0, groupId: group.label, state: 'Empty', protocolType: 'consumer', protocol: '', members: [] }] } })
    await fetch(false, false)
    await same(pair, (admin, side) => admin.resetOffsets({ groupId: group[side], topic: topic[side], earliest: true }))
    expect(await fetch()).toMatchObject({ value: [{ partitions: [{ offset: '-2' }, { offset: '-2' }] }] })
    await same(pair, (admin, side) => admin.resetOffsets({ groupId: group[side], topic: topic[side] }))
    expect(await fetch(true)).toMatchObject({ value: [{ partitions: [{ offset: '2' }, { offset: '1' }] }] })
    expect(await fetch()).toMatchObject({ value: [{ partitions: [{ offset: '2' }, { offset: '1' }] }] })
    await same(pair, async (admin, side) => (await admin.listGroups()).groups.filter((g: any) => g.groupId === group[side]).length)
    const deleted = await same(pair, (admin, side) => admin.deleteGroups([group[side]]))
    expect(deleted).toEqual({ value: [{ groupId: group.label, errorCode: 0 }] })
    await same(pair, (admin, side) => admin.deleteGroups([group[side]]))
  })

  test('a group with members: describeGroups, listGroups, and setOffsets and deleteGroups refused', async () => {
    const topic = await topicPair('members', 1)
    const groupId = uniqueName('running')
    const consumer = await runningConsumer(pair.brokers, groupId, topic.kafkajs)
    try {
      const described = await same(pair, (admin) => admin.describeGroups([groupId]))
      expect(described).toMatchObject({ value: { groups: [{ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' }] } })
      await same(pair, async (admin) => (await admin.listGroups()).groups.filter((g: any) => g.groupId === groupId))
      const seek = await same(pair, (admin) => admin.setOffsets({ groupId, topic: topic.kafkajs, partitions: [{ partition: 0, offset: '0' }] }))
      expect(seek).toMatchObject({ error: { name: 'KafkaJSNonRetriableError', message: 'The consumer group must have no running instances, current state: Stable' } })
      const refused = await same(pair, (admin) => admin.deleteGroups([groupId]))
      expect(refused).toMatchObject({
        error: { name: 'KafkaJSDeleteGroupsError', message: 'Error in DeleteGroups', groups: [{ groupId, errorCode: 68, error: { type: 'NON_EMPTY_GROUP' } }] }
      })
    } finally {
      await consumer.disconnect()
    }
  })

  test('describeConfigs and alterConfigs on topics and the broker', async () => {
    const topic = await topicPair('configs', 1)
    const names = ['cleanup.policy', 'retention.ms', 'max.message.bytes', 'min.insync.replicas']
    const describe = (includeSynonyms: boolean) => same(pair, (admin, side) => admin.describeConfigs({
      includeSynonyms,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic[side], configNames: names }]
    }).then((r: any) => ({ resources: r.resources.map((res: any) => ({ ...res, configEntries: sortedBy(res.configEntries, (c: any) => c.configName) })) })))
    expect(await describe(false)).toMatchObject({ value: { resources: [{ resourceName: topic.label, configEntries: [{ configName: 'cleanup.policy', configSource: ConfigSource.DEFAULT_CONFIG }, {}, {}, {}] }] } })
    await describe(true)
    const altered = await same(pair, (admin, side) => admin.alterConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic[side], configEntries: [{ name: 'retention.ms', value: '7200000' }] }]
    }))
    expect(altered).toEqual({ value: { resources: [{ errorCode: 0, errorMessage: null, resourceType: ConfigResourceTypes.TOPIC, resourceName: topic.label }] } })
    expect(await describe(true)).toMatchObject({ value: { resources: [{ configEntries: [{}, {}, {}, { configName: 'retention.ms', configValue: '7200000', configSource: ConfigSource.TOPIC_CONFIG }] }] } })
    await same(pair, (admin, side) => admin.alterConfigs({
      validateOnly: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic[side], configEntries: [{ name: 'retention.ms', value: 'soon' }] }]
    }))
    const { value: cluster } = await same(pair, (admin) => admin.describeCluster()) as { value: any }
    await same(pair, (admin) => admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(cluster.brokers[0].nodeId), configNames: ['log.retention.hours', 'num.partitions'] }]
    }))
    await same(pair, (admin) => admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: uniqueName('missing') }] }))
  })

  test('deleteTopicRecords: deleted, beyond the end, and a partition with no leader', async () => {
    const topic = await topicPair('records', 2)
    for (const side of ['ferrokafka', 'kafkajs'] as const) {
      await produce(pair.brokers, topic[side], [{ partition: 0, value: 'a' }, { partition: 0, value: 'b' }, { partition: 1, value: 'c' }])
    }
    // kafkajs finds leaders in its cached metadata, which fetchTopicOffsets brings up to date.
    await same(pair, async (admin, side) => sortedBy(await admin.fetchTopicOffsets(topic[side]), (o: any) => o.partition))
    await same(pair, (admin, side) => admin.deleteTopicRecords({ topic: topic[side], partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '-1' }] }))
    const offsets = await same(pair, async (admin, side) => sortedBy(await admin.fetchTopicOffsets(topic[side]), (o: any) => o.partition))
    expect(offsets).toMatchObject({ value: [{ partition: 0, low: '1' }, { partition: 1, low: '1' }] })
    const beyond = await same(pair, (admin, side) => admin.deleteTopicRecords({ topic: topic[side], partitions: [{ partition: 0, offset: '10' }] }))
    expect(beyond).toMatchObject({ error: { name: 'KafkaJSNonRetriableError', cause: { name: 'KafkaJSDeleteTopicRecordsError', partitions: [{ partition: 0, offset: '10', error: { type: 'OFFSET_OUT_OF_RANGE' } }] } } })
    const leaderless = await same(pair, (admin, side) => admin.deleteTopicRecords({ topic: topic[side], partitions: [{ partition: 7, offset: '1' }] }))
    expect(leaderless).toMatchObject({ error: { name: 'KafkaJSDeleteTopicRecordsError', partitions: [{ partition: 7, error: { name: 'KafkaJSBrokerNotFound' } }] } })
  })

  test('ACLs: createAcls, describeAcls, deleteAcls', async () => {
    const acl = {
      resourceType: AclResourceTypes.TOPIC,
      resourceName: 'acl-topic',
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: 'User:alice',
      host: '*',
      operation: AclOperationTypes.READ,
      permissionType: AclPermissionTypes.ALLOW
    }
    const filter = { ...acl, resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }
    await same(pair, (admin) => admin.createAcls({ acl: [acl] }))
    await same(pair, (admin) => admin.describeAcls(filter))
    await same(pair, (admin) => admin.deleteAcls({ filters: [filter] }))
  })

  test('listPartitionReassignments and alterPartitionReassignments', async () => {
    const topic = await topicPair('reassign', 1)
    const { value: cluster } = await same(pair, (admin) => admin.describeCluster()) as { value: any }
    const node = cluster.brokers[0].nodeId
    await same(pair, (admin, side) => admin.listPartitionReassignments({ topics: [{ topic: topic[side], partitions: [0] }] }))
    await same(pair, (admin, side) => admin.alterPartitionReassignments({ topics: [{ topic: topic[side], partitionAssignment: [{ partition: 0, replicas: [node] }] }] }))
    await same(pair, (admin, side) => admin.alterPartitionReassignments({ topics: [{ topic: topic[side], partitionAssignment: [{ partition: 5, replicas: [node] }] }] }))
  })

  test('deleteTopics: deleted, then unknown', async () => {
    const topic = await topicPair('delete', 1)
    await same(pair, (admin, side) => admin.deleteTopics({ topics: [topic[side]] }))
    // Apache Kafka's brokers learn of a deletion from the controller a moment later, so each side
    // waits for its topic to leave the listing rather than comparing one early snapshot.
    for (const side of ['ferrokafka', 'kafkajs'] as const) {
      await waitFor(async () => !(await pair.admins[side].listTopics()).includes(topic[side]), `${topic[side]} to be gone`)
    }
    const again = await same(pair, (admin, side) => admin.deleteTopics({ topics: [topic[side]] }))
    expect(again).toMatchObject({ error: { name: 'KafkaJSNumberOfRetriesExceeded', type: undefined, cause: { type: 'UNKNOWN_TOPIC_OR_PARTITION' } } })
  })
})

describe('admin client arguments and events', () => {
  let broker: Broker
  let pair: Pair

  beforeAll(async () => {
    broker = await createBroker()
    pair = await connectPair(broker.brokers)
  })

  afterAll(async () => {
    await pair.admins.ferrokafka.disconnect()
    await pair.admins.kafkajs.disconnect()
    await broker.close()
  })

  const acl = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }
  const filter = { resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 }
  const invalid: Array<[string, (admin: any) => Promise<unknown>]> = [
    ['createTopics without topics', (a) => a.createTopics({})],
    ['createTopics with a bad name', (a) => a.createTopics({ topics: [{ topic: 1 }] })],
    ['createTopics with a duplicate', (a) => a.createTopics({ topics: [{ topic: 'x' }, { topic: 'x' }] })],
    ['createTopics with bad configEntries', (a) => a.createTopics({ topics: [{ topic: 'x', configEntries: {} }] })],
    ['createTopics with a bad config entry', (a) => a.createTopics({ topics: [{ topic: 'x', configEntries: [null] }] })],
    ['createTopics with a config entry without value', (a) => a.createTopics({ topics: [{ topic: 'x', configEntries: [{ name: 'a' }] }] })],
    ['createPartitions without topics', (a) => a.createPartitions({})],
    ['createPartitions with none', (a) => a.createPartitions({ topicPartitions: [] })],
    ['createPartitions with a bad name', (a) => a.createPartitions({ topicPartitions: [{ topic: null }] })],
    ['createPartitions with a duplicate', (a) => a.createPartitions({ topicPartitions: [{ topic: 'x' }, { topic: 'x' }] })],
    ['deleteTopics without topics', (a) => a.deleteTopics({})],
    ['deleteTopics with a bad name', (a) => a.deleteTopics({ topics: [3] })],
    ['fetchTopicMetadata with a bad name', (a) => a.fetchTopicMetadata({ topics: [''] })],
    ['fetchTopicOffsets without topic', (a) => a.fetchTopicOffsets()],
    ['fetchTopicOffsetsByTimestamp without topic', (a) => a.fetchTopicOffsetsByTimestamp(5)],
    ['fetchOffsets without groupId', (a) => a.fetchOffsets({})],
    ['fetchOffsets with bad topics', (a) => a.fetchOffsets({ groupId: 'g', topics: 'x' })],
    ['setOffsets without groupId', (a) => a.setOffsets({ topic: 't' })],
    ['setOffsets without topic', (a) => a.setOffsets({ groupId: 'g' })],
    ['setOffsets without partitions', (a) => a.setOffsets({ groupId: 'g', topic: 't', partitions: [] })],
    ['resetOffsets without topic', (a) => a.resetOffsets({ groupId: 'g' })],
    ['describeConfigs without resources', (a) => a.describeConfigs({})],
    ['describeConfigs with none', (a) => a.describeConfigs({ resources: [] })],
    ['describeConfigs with a bad type', (a) => a.describeConfigs({ resources: [{ type: 9, name: 'x' }] })],
    ['describeConfigs with a bad name', (a) => a.describeConfigs({ resources: [{ type: 2, name: '' }] })],
    ['describeConfigs with bad configNames', (a) => a.describeConfigs({ resources: [{ type: 2, name: 'x', configNames: 'a' }] })],
    ['alterConfigs without configEntries', (a) => a.alterConfigs({ resources: [{ type: 2, name: 'x' }] })],
    ['alterConfigs with a bad value', (a) => a.alterConfigs({ resources: [{ type: 2, name: 'x', configEntries: [{ name: 'a', value: 1 }] }] })],
    ['deleteGroups without groups', (a) => a.deleteGroups()],
    ['deleteGroups with a bad id', (a) => a.deleteGroups([1])],
    ['deleteTopicRecords without topic', (a) => a.deleteTopicRecords({ partitions: [] })],
    ['deleteTopicRecords without partitions', (a) => a.deleteTopicRecords({ topic: 't', partitions: [] })],
    ['createAcls without acl', (a) => a.createAcls({})],
    ['createAcls with none', (a) => a.createAcls({ acl: [] })],
    ['createAcls with a bad principal', (a) => a.createAcls({ acl: [{ ...acl, principal: 1 }] })],
    ['createAcls with a bad host', (a) => a.createAcls({ acl: [{ ...acl, host: null }] })],
    ['createAcls with a bad resourceName', (a) => a.createAcls({ acl: [{ ...acl, resourceName: 2 }] })],
    ['createAcls with a bad operation', (a) => a.createAcls({ acl: [{ ...acl, operation: 99 }] })],
    ['createAcls with a bad pattern type', (a) => a.createAcls({ acl: [{ ...acl, resourcePatternType: 99 }] })],
    ['createAcls with a bad permission', (a) => a.createAcls({ acl: [{ ...acl, permissionType: 99 }] })],
    ['createAcls with a bad resource type', (a) => a.createAcls({ acl: [{ ...acl, resourceType: 99 }] })],
    ['describeAcls with a bad principal', (a) => a.describeAcls({ ...filter, principal: 1 })],
    ['describeAcls with a bad operation', (a) => a.describeAcls({ ...filter, operation: 99 })],
    ['describeAcls with a bad resource type', (a) => a.describeAcls({ ...filter, resourceType: 99 })],
    ['deleteAcls without filters', (a) => a.deleteAcls({})],
    ['deleteAcls with none', (a) => a.deleteAcls({ filters: [] })],
    ['deleteAcls with a bad host', (a) => a.deleteAcls({ filters: [{ ...filter, host: 5 }] })],
    ['deleteAcls with a bad permission', (a) => a.deleteAcls({ filters: [{ ...filter, permissionType: 99 }] })],
    ['alterPartitionReassignments without topics', (a) => a.alterPartitionReassignments({})],
    ['alterPartitionReassignments without assignment', (a) => a.alterPartitionReassignments({ topics: [{ topic: 't' }] })],
    ['alterPartitionReassignments with a bad partition', (a) => a.alterPartitionReassignments({ topics: [{ topic: 't', partitionAssignment: [{ partition: -1, replicas: [1] }] }] })],
    ['alterPartitionReassignments with bad replicas', (a) => a.alterPartitionReassignments({ topics: [{ topic: 't', partitionAssignment: [{ partition: 0, replicas: [-1] }] }] })],
    ['listPartitionReassignments with bad topics', (a) => a.listPartitionReassignments({ topics: 't' })],
    ['listPartitionReassignments with bad partitions', (a) => a.listPartitionReassignments({ topics: [{ topic: 't', partitions: [-1] }] })],
    ['on with an unknown event', async (a) => a.on('admin.nope', () => {})]
  ]

  test.each(invalid)('%s: the same error class and message as kafkajs', async (_, call) => {
    const observed = await same(pair, (admin) => call(admin))
    expect(observed).toHaveProperty('error.class')
  })

  test('the admin constants have kafkajs\'s values', () => {
    const ours = { ConfigResourceTypes, ConfigSource, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes }
    for (const [name, values] of Object.entries(ours)) {
      expect({ [name]: values }).toEqual({ [name]: (kafkajsModule as Record<string, unknown>)[name] })
    }
  })

  test('connect and disconnect events, and the event names', async () => {
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    expect(admin.events).toEqual((pair.admins.kafkajs as KafkaJSAdmin).events)
    const seen: string[] = []
    admin.on(admin.events.CONNECT, (event) => { seen.push(event.type) })
    const remove = admin.on(admin.events.DISCONNECT, (event) => { seen.push(event.type) })
    await admin.connect()
    await admin.disconnect()
    remove()
    await admin.connect()
    await admin.disconnect()
    expect(seen).toEqual(['admin.connect', 'admin.disconnect', 'admin.connect'])
    expect(admin.logger()).toBeDefined()
  })

  test('REQUEST events with kafkajs\'s payload while someone listens', async () => {
    const requests = async (admin: any): Promise<any[]> => {
      const seen: any[] = []
      const remove = admin.on(admin.events.REQUEST, (event: any) => { seen.push(event.payload) })
      await admin.connect()
      await admin.listTopics()
      remove()
      await admin.listTopics()
      await admin.disconnect()
      return seen
    }
    const ours = await requests(new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin())
    const theirs = await requests(new KafkaJS({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin())
    const shapeOf = (payload: Record<string, unknown>) => Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, typeof v]))
    const metadata = ours.filter((p) => p.apiName === 'Metadata')
    expect(metadata.length).toBeGreaterThan(0)
    expect(shapeOf(metadata[0])).toEqual(shapeOf(theirs.find((p) => p.apiName === 'Metadata')))
    expect(metadata[0].broker).toBe(broker.brokers[0])
  })
})
