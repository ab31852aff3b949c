// A kafkajs project's test: a batch of payments, consumed with eachBatch and committed.
const { Kafka, logLevel, CompressionTypes } = require('kafkajs')

const kafka = new Kafka({ clientId: 'payments-test', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING })
const topic = `payments-${process.pid}-${Date.now()}`
const groupId = `${topic}-group`

test('a gzip batch is consumed with eachBatch and its offsets committed', async () => {
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await producer.connect()
  await producer.sendBatch({
    compression: CompressionTypes.GZIP,
    topicMessages: [{ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: JSON.stringify({ amount: i }) })) }]
  })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  let total = 0
  let count = 0
  await new Promise((resolve, reject) => {
    consumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          total += JSON.parse(message.value.toString()).amount
          count += 1
          resolveOffset(message.offset)
        }
        await heartbeat()
        if (count === 10) resolve()
      }
    }).catch(reject)
  })
  await consumer.disconnect()

  const admin = kafka.admin()
  await admin.connect()
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] })
  await admin.disconnect()
  expect(total).toBe(45)
  expect(committed.partitions).toEqual([{ partition: 0, offset: '10', metadata: null }])
})
