// A CommonJS program using the installed package: an embedded broker, a producer and a consumer
// group, then a line of JSON with what it saw. It must exit on its own once everything is closed.
'use strict'

const { Kafka, logLevel, createBroker, CompressionTypes } = require('ferrokafka')
const { uniqueName } = require('ferrokafka/jest')

async function main () {
  const broker = await createBroker()
  const kafka = new Kafka({ clientId: 'cjs', brokers: broker.brokers, logLevel: logLevel.NOTHING })
  const topic = uniqueName('cjs')
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, compression: CompressionTypes.ZSTD, messages: [{ key: 'k', value: 'from CommonJS' }] })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: uniqueName('cjs-group') })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const value = await new Promise((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => resolve(message.value.toString()) }).catch(reject)
  })
  await consumer.disconnect()
  await broker.close()
  console.log(JSON.stringify({ value }))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
