// Demo (`npm run demo`): an in-process broker, the producer demo sending five JSON events and the
// consumer demo printing them as they arrive, all with ferrokafka.
import { Kafka, Partitioners, logLevel, createBroker } from 'ferrokafka'
import { produceEvents, TOPIC } from './producer'
import { printEvents, describeMessage } from './consumer'

const EVENTS = 5

async function main(): Promise<void> {
  const started = performance.now()
  await using broker = await createBroker({ numPartitions: 3 })
  console.log(`broker listening on ${broker.brokers.join(',')} (started in ${(performance.now() - started).toFixed(1)} ms)`)
  const kafka = new Kafka({ clientId: 'demo', brokers: broker.brokers, logLevel: logLevel.WARN })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }] })
  await admin.disconnect()

  const consumer = kafka.consumer({ groupId: 'demo' })
  await consumer.connect()
  let consumed = 0
  const allConsumed = new Promise<void>((resolve, reject) => {
    printEvents(consumer, (partition, message) => {
      console.log(describeMessage(partition, message))
      if (++consumed === EVENTS) resolve()
    }).catch(reject)
  })

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  await produceEvents(producer, EVENTS, 200)
  await producer.disconnect()
  await allConsumed
  await consumer.disconnect()
  console.log(`${EVENTS} events produced and consumed`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
