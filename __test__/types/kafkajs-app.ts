// A small service written against kafkajs 2.2.4's types, as its users write them: producer,
// consumer, admin, logging, errors and events. types.test.ts compiles it unchanged against
// ferrokafka (only the import changes); the project's typecheck compiles it against kafkajs.
import {
  Kafka,
  KafkaConfig,
  Producer,
  ProducerRecord,
  RecordMetadata,
  Message,
  IHeaders,
  Consumer,
  EachMessagePayload,
  EachBatchPayload,
  KafkaMessage,
  Admin,
  ITopicConfig,
  ConfigResourceTypes,
  CompressionTypes,
  Partitioners,
  PartitionAssigners,
  PartitionAssigner,
  AssignerProtocol,
  logLevel,
  LogEntry,
  logCreator,
  KafkaJSError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError
} from 'kafkajs'

const toConsole: logCreator = (level: logLevel) => ({ namespace, label, log }: LogEntry) => {
  if (level >= logLevel.WARN) console.log(label, namespace, log.message)
}

const config: KafkaConfig = {
  clientId: 'orders-service',
  brokers: async () => ['localhost:9092'],
  connectionTimeout: 3000,
  requestTimeout: 25000,
  retry: { initialRetryTime: 100, retries: 8 },
  logLevel: logLevel.ERROR,
  logCreator: toConsole
}

export async function produceOrders(kafka: Kafka, orders: Array<{ id: string; total: number }>): Promise<RecordMetadata[]> {
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  const removeListener = producer.on(producer.events.REQUEST, ({ payload }) => {
    if (payload.duration > 1000) producer.logger().warn('slow request', { apiName: payload.apiName })
  })
  await producer.connect()
  const headers: IHeaders = { source: 'checkout', tags: ['a', 'b'] }
  const messages: Message[] = orders.map((order) => ({ key: order.id, value: JSON.stringify(order), headers, timestamp: String(Date.now()) }))
  const record: ProducerRecord = { topic: 'orders', messages, acks: -1, timeout: 30000, compression: CompressionTypes.GZIP }
  try {
    const result = await producer.send(record)
    await producer.sendBatch({ topicMessages: [{ topic: 'audit', messages: [{ value: Buffer.from('sent') }] }] })
    return result
  } catch (error) {
    if (error instanceof KafkaJSNumberOfRetriesExceeded) producer.logger().error('gave up', { retryCount: error.retryCount })
    if (error instanceof KafkaJSProtocolError && error.type === 'UNKNOWN_TOPIC_OR_PARTITION') return []
    throw error
  } finally {
    removeListener()
    await producer.disconnect()
  }
}

/** Every partition to the member with the smallest id, as kafkajs's docs write an assigner. */
const FirstTakesAll: PartitionAssigner = ({ cluster }) => ({
  name: 'FirstTakesAll',
  version: 1,
  async assign ({ members, topics }) {
    const [first, ...others] = members.map(({ memberId }) => memberId).sort()
    const assignment: Record<string, number[]> = {}
    for (const topic of topics) assignment[topic] = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)
    return [
      { memberId: first, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: this.version, assignment, userData: Buffer.alloc(0) }) },
      ...others.map((memberId) => ({ memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: this.version, assignment: {}, userData: Buffer.alloc(0) }) }))
    ]
  },
  protocol ({ topics }) {
    return { name: this.name, metadata: AssignerProtocol.MemberMetadata.encode({ version: this.version, topics, userData: Buffer.alloc(0) }) }
  }
})

export async function consumeOrders(kafka: Kafka, handle: (message: KafkaMessage) => Promise<void>): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: 'orders', sessionTimeout: 30000, heartbeatInterval: 3000, maxInFlightRequests: 10, partitionAssigners: [FirstTakesAll, PartitionAssigners.roundRobin] })
  consumer.on(consumer.events.CRASH, ({ payload }) => { console.error(payload.error, payload.groupId) })
  consumer.on(consumer.events.RECEIVED_UNSUBSCRIBED_TOPICS, ({ payload }) => { console.warn(payload.topicsNotSubscribed, payload.generationId) })
  consumer.on(consumer.events.REQUEST_QUEUE_SIZE, ({ payload }) => { console.log(payload.broker, payload.queueSize) })
  await consumer.connect()
  await consumer.subscribe({ topics: ['orders', /^audit-.*/], fromBeginning: true })
  await consumer.run({
    autoCommitInterval: 5000,
    eachMessage: async ({ topic, partition, message, heartbeat }: EachMessagePayload) => {
      await handle(message)
      if (message.headers?.source?.toString() === 'checkout') await heartbeat()
      console.log(topic, partition, message.offset, message.key?.toString())
    }
  })
  consumer.seek({ topic: 'orders', partition: 0, offset: '0' })
  consumer.pause([{ topic: 'orders' }])
  consumer.resume([{ topic: 'orders', partitions: [0] }])
  return consumer
}

export async function eachBatchHandler({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
  for (const message of batch.messages) {
    if (!isRunning() || isStale()) break
    resolveOffset(message.offset)
    await heartbeat()
  }
  console.log(batch.topic, batch.partition, batch.highWatermark, batch.offsetLag(), batch.lastOffset())
}

export async function provision(kafka: Kafka): Promise<string[]> {
  const admin: Admin = kafka.admin()
  await admin.connect()
  const topics: ITopicConfig[] = [{ topic: 'orders', numPartitions: 6, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }]
  await admin.createTopics({ topics, waitForLeaders: true })
  const offsets = await admin.fetchTopicOffsets('orders')
  console.log(offsets.map(({ partition, high, low }) => `${partition}:${low}-${high}`))
  const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }], includeSynonyms: false })
  console.log(described.resources[0].configEntries.length)
  const { groups } = await admin.listGroups()
  const metadata = await admin.fetchTopicMetadata({ topics: ['orders'] })
  console.log(groups.length, metadata.topics[0].partitions.length)
  const names = await admin.listTopics()
  await admin.disconnect()
  return names
}

export function isKafkaError(error: unknown): boolean {
  return error instanceof KafkaJSError && error.retriable
}

export const kafka = new Kafka(config)
