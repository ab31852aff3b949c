// An ES module program using the installed package, through named and default imports.
import ferrokafka, { Kafka, logLevel, createBroker, KafkaJSError } from 'ferrokafka'
import { uniqueName } from 'ferrokafka/jest'

const broker = await createBroker()
const kafka = new Kafka({ clientId: 'esm', brokers: broker.brokers, logLevel: logLevel.NOTHING })
const topic = uniqueName('esm')
const admin = kafka.admin()
await admin.connect()
await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
const topics = await admin.listTopics()
await admin.disconnect()

const producer = kafka.producer()
await producer.connect()
const sent = await producer.send({ topic, messages: [{ key: 'a', value: 'from ESM' }] })
await producer.disconnect()
await broker.close()
console.log(JSON.stringify({
  created: topics.includes(topic),
  sent: sent.length,
  sameModule: ferrokafka.Kafka === Kafka && typeof KafkaJSError === 'function'
}))
