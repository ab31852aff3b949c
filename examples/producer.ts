// Demo: the classic producer — a JSON event every second, gzip-compressed — with ferrokafka's
// kafkajs-compatible client, to the brokers in KAFKA_BROKERS (comma-separated host:port) or,
// when it is unset, to an in-process broker. Stops after COUNT events (default: at Ctrl-C).
// Run with `npx tsx examples/producer.ts`.
import { Kafka, CompressionTypes, logLevel, createBroker, Broker, Producer } from 'ferrokafka'

export const TOPIC = 'events'

/** Sends `count` JSON events (forever when `count` is Infinity), one every `intervalMs`. */
export async function produceEvents(producer: Producer, count: number, intervalMs = 1000): Promise<void> {
  for (let i = 0; i < count; i++) {
    const event = { id: i, type: 'page-view', at: new Date().toISOString() }
    const [record] = await producer.send({
      topic: TOPIC,
      compression: CompressionTypes.GZIP,
      messages: [{ key: `user-${i % 3}`, value: JSON.stringify(event), headers: { source: 'demo' } }]
    })
    console.log(`produced event ${i} to partition ${record.partition} at offset ${record.baseOffset}`)
    if (i + 1 < count) await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

async function main(): Promise<void> {
  const embedded: Broker | null = process.env.KAFKA_BROKERS ? null : await createBroker({ numPartitions: 3 })
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? embedded!.brokers
  console.log(`producing to ${brokers.join(',')}${embedded ? ' (in-process broker)' : ''}`)
  const producer = new Kafka({ clientId: 'producer-demo', brokers, logLevel: logLevel.WARN }).producer()
  await producer.connect()
  const stop = async (): Promise<void> => {
    await producer.disconnect()
    await embedded?.close()
  }
  process.once('SIGINT', () => { stop().then(() => process.exit(0)) })
  await produceEvents(producer, Number(process.env.COUNT ?? Infinity))
  await stop()
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
