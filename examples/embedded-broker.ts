// Demo: start an in-process Kafka broker, then produce and consume through it with kafkajs.
// Run with `npm run demo`.
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { createBroker } from 'ferrokafka'

async function main(): Promise<void> {
  const started = performance.now()
  await using broker = await createBroker({ numPartitions: 3 })
  console.log(`broker listening on ${broker.brokers.join(',')} (started in ${(performance.now() - started).toFixed(1)} ms)`)

  const kafka = new Kafka({ clientId: 'demo', brokers: broker.brokers, logLevel: logLevel.WARN })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'greetings', numPartitions: 3 }] })
  await admin.disconnect()

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const words = ['hello', 'from', 'an', 'in-process', 'kafka', 'broker']
  const sent = await producer.send({
    topic: 'greetings',
    messages: words.map((word, i) => ({ key: `k${i}`, value: word, headers: { index: String(i) } }))
  })
  for (const r of sent) console.log(`produced to partition ${r.partition} at offset ${r.baseOffset}`)
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: 'demo-group' })
  await consumer.connect()
  await consumer.subscribe({ topic: 'greetings', fromBeginning: true })
  await new Promise<void>((resolve, reject) => {
    let seen = 0
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          console.log(`consumed p${partition}@${message.offset} ${message.key} = ${message.value}`)
          seen += 1
          if (seen === words.length) resolve()
        }
      })
      .catch(reject)
  })
  await consumer.disconnect()
  console.log('done')
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
