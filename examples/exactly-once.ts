// Demo: exactly-once consume-transform-produce with ferrokafka's kafkajs-compatible client. A
// consumer reads orders; for each batch it reads, one transaction writes the enriched orders and
// commits the consumer's offsets (sendOffsets), so the outputs and the progress are committed
// together or not at all: a crash or an abort never loses an order nor writes one twice. A
// read_committed consumer prints the enriched orders. Runs against the brokers in KAFKA_BROKERS
// (comma-separated host:port) or, when it is unset, an in-process broker; stops after COUNT
// orders (default 20). Run with `npx tsx examples/exactly-once.ts`.
import { Kafka, logLevel, createBroker, Broker, EachBatchPayload } from 'ferrokafka'

const ORDERS = 'orders'
const ENRICHED = 'orders-enriched'
const GROUP = 'order-enricher'

/** The transformation: an order with its total computed. */
function enrich(order: { id: number, quantity: number, price: number }): string {
  return JSON.stringify({ ...order, total: order.quantity * order.price })
}

async function main(): Promise<void> {
  const count = Number(process.env.COUNT ?? 20)
  const embedded: Broker | null = process.env.KAFKA_BROKERS ? null : await createBroker({ numPartitions: 3 })
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? embedded!.brokers
  console.log(`exactly-once pipeline on ${brokers.join(',')}${embedded ? ' (in-process broker)' : ''}`)
  const kafka = new Kafka({ clientId: 'exactly-once-demo', brokers, logLevel: logLevel.WARN })

  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: ORDERS, numPartitions: 3 }, { topic: ENRICHED, numPartitions: 3 }] })
  await admin.disconnect()

  const source = kafka.producer()
  await source.connect()
  await source.send({
    topic: ORDERS,
    messages: Array.from({ length: count }, (_, id) => ({
      key: `customer-${id % 4}`,
      value: JSON.stringify({ id, quantity: 1 + (id % 3), price: 10 + id })
    }))
  })
  await source.disconnect()

  // One transactional id per pipeline instance; instances sharing it fence each other.
  const producer = kafka.producer({ transactionalId: 'order-enricher', idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const enricher = kafka.consumer({ groupId: GROUP })
  await enricher.connect()
  await enricher.subscribe({ topic: ORDERS, fromBeginning: true })
  await enricher.run({
    autoCommit: false,
    eachBatch: async ({ batch }: EachBatchPayload) => {
      const transaction = await producer.transaction()
      try {
        await transaction.send({
          topic: ENRICHED,
          messages: batch.messages.map((message) => ({ key: message.key, value: enrich(JSON.parse(message.value!.toString())) }))
        })
        const next = (BigInt(batch.lastOffset()) + 1n).toString()
        await transaction.sendOffsets({
          consumerGroupId: GROUP,
          topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }]
        })
        await transaction.commit()
      } catch (error) {
        await transaction.abort()
        throw error
      }
    }
  })

  const printer = kafka.consumer({ groupId: 'enriched-printer' })
  await printer.connect()
  await printer.subscribe({ topic: ENRICHED, fromBeginning: true })
  let printed = 0
  const done = new Promise<void>((resolve) => {
    printer.run({
      eachMessage: async ({ partition, message }) => {
        console.log(`committed: partition ${partition} offset ${message.offset} ${message.value}`)
        if (++printed === count) resolve()
      }
    })
  })
  await done
  await printer.disconnect()
  await enricher.disconnect()
  await producer.disconnect()
  await embedded?.close()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
