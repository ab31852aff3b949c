// Demo: produce a few messages with ferrokafka's kafkajs-compatible producer, to the brokers in
// KAFKA_BROKERS (comma-separated host:port) or, when it is unset, to an in-process broker.
// Run with `npx tsx examples/producer.ts`.
import { Kafka, CompressionTypes, logLevel, createBroker, Broker } from 'ferrokafka'

async function main(): Promise<void> {
  const embedded: Broker | null = process.env.KAFKA_BROKERS ? null : await createBroker({ numPartitions: 3 })
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? embedded!.brokers
  console.log(`producing to ${brokers.join(',')}${embedded ? ' (in-process broker)' : ''}`)

  const kafka = new Kafka({ clientId: 'producer-demo', brokers, logLevel: logLevel.WARN })
  const producer = kafka.producer()
  await producer.connect()
  const records = await producer.send({
    topic: 'greetings',
    compression: CompressionTypes.GZIP,
    messages: ['hello', 'from', 'ferrokafka'].map((word, i) => ({
      key: `k${i}`,
      value: word,
      headers: { index: String(i) }
    }))
  })
  for (const r of records) console.log(`partition ${r.partition}: first offset ${r.baseOffset}`)
  await producer.disconnect()
  await embedded?.close()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
