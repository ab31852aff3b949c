// A kafkajs project's test: orders produced are read back by a consumer group.
const { Kafka, logLevel } = require('kafkajs')

const kafka = new Kafka({ clientId: 'orders-test', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING })
const topic = `orders-${process.pid}-${Date.now()}`

test('orders produced are consumed by the group, keys on their partitions', async () => {
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
  await admin.disconnect()

  const producer = kafka.producer()
  await producer.connect()
  const sent = await producer.send({
    topic,
    messages: ['created', 'paid', 'shipped'].map((state, i) => ({ key: `order-${i}`, value: state, headers: { step: String(i) } }))
  })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: `${topic}-group` })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const seen = []
  await new Promise((resolve, reject) => {
    consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({ partition, key: message.key.toString(), value: message.value.toString(), step: message.headers.step.toString() })
        if (seen.length === 3) resolve()
      }
    }).catch(reject)
  })
  await consumer.disconnect()

  const partitionOf = Object.fromEntries(sent.map((r) => [r.partition, true]))
  expect(seen.every(({ partition }) => partitionOf[partition])).toBe(true)
  expect(seen.map(({ key, value, step }) => `${key}=${value}#${step}`).sort()).toEqual(['order-0=created#0', 'order-1=paid#1', 'order-2=shipped#2'])
})
