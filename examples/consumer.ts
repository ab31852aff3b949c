// Demo: subscribe and print each message with ferrokafka's kafkajs-compatible consumer, from the
// brokers in KAFKA_BROKERS (comma-separated host:port). Stops at Ctrl-C.
// Run with `KAFKA_BROKERS=localhost:9092 npx tsx examples/consumer.ts`.
import { Kafka, logLevel, Consumer, KafkaMessage } from 'ferrokafka'
import { TOPIC } from './producer'

/** Subscribes `consumer` to the demo topic from the beginning and hands every message to `print`. */
export async function printEvents(consumer: Consumer, print: (partition: number, message: KafkaMessage) => void): Promise<void> {
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ partition, message }) => print(partition, message)
  })
}

/** One line per message: where it came from and what it holds. */
export function describeMessage(partition: number, message: KafkaMessage): string {
  return `consumed partition ${partition} offset ${message.offset} key ${message.key?.toString()}: ${message.value?.toString()}`
}

async function main(): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS?.split(',')
  if (!brokers) throw new Error('set KAFKA_BROKERS, e.g. KAFKA_BROKERS=localhost:9092 (or run `npm run demo`)')
  const consumer = new Kafka({ clientId: 'consumer-demo', brokers, logLevel: logLevel.WARN }).consumer({ groupId: 'consumer-demo' })
  await consumer.connect()
  process.once('SIGINT', () => { consumer.disconnect().then(() => process.exit(0)) })
  await printEvents(consumer, (partition, message) => console.log(describeMessage(partition, message)))
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error)
    process.exit(1)
  })
}
