// Helpers for the exactly-once tests: the three brokers the client is proven against, and
// reading a topic back with a kafkajs consumer at either isolation level.
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { createBroker } from '../..'
import { startApacheKafka, startRdmock, ExternalBroker } from './peers'
import { uniqueName, waitFor } from './kafka'

export const BROKERS = ['ferrokafka', 'Apache Kafka', 'librdkafka mock'] as const
export type BrokerName = (typeof BROKERS)[number]

/** How long a test may take to start Apache Kafka (a JVM) on a busy machine. */
export const START_TIMEOUT_MS = 120_000

/**
 * Starts `name` with `partitions` partitions for auto-created topics (the librdkafka mock always
 * creates 4).
 */
export async function startBroker(name: BrokerName, partitions: number): Promise<ExternalBroker> {
  switch (name) {
    case 'ferrokafka': {
      const broker = await createBroker({ numPartitions: partitions })
      return { name, brokers: broker.brokers, close: () => broker.close() }
    }
    case 'Apache Kafka':
      return startApacheKafka([`num.partitions=${partitions}`])
    case 'librdkafka mock':
      return startRdmock()
  }
}

/** A message as read back. */
export interface ReadMessage {
  partition: number
  offset: string
  key: string | null
  value: string | null
}

/**
 * Reads `topic` from the beginning with a kafkajs consumer (read_committed unless
 * `readUncommitted`) until `done(seen)` holds.
 */
export async function readBack(brokers: string[], topic: string, done: (seen: ReadMessage[]) => boolean,
  { readUncommitted = false } = {}): Promise<ReadMessage[]> {
  // A short fetch wait: disconnecting waits for the fetch in flight.
  const consumer = new KafkaJS({ brokers, logLevel: logLevel.NOTHING })
    .consumer({ groupId: uniqueName('read-back'), readUncommitted, maxWaitTimeInMs: 200 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const seen: ReadMessage[] = []
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null })
    }
  })
  try {
    await waitFor(() => done(seen), `the messages of ${topic}`, 90_000)
  } finally {
    await consumer.disconnect()
  }
  return seen
}
