// TypeScript against the installed package's types, checked by tsc with node16 and bundler
// resolution: the client, the broker and the Jest helpers, with types that must line up.
import { Kafka, createBroker, CompressionTypes, logLevel, type Broker, type Producer, type RecordMetadata } from 'ferrokafka'
import { brokers, uniqueName, setup, teardown } from 'ferrokafka/jest'

export async function produce(broker: Broker): Promise<RecordMetadata[]> {
  const kafka = new Kafka({ clientId: 'typed', brokers: broker.brokers, logLevel: logLevel.ERROR })
  const producer: Producer = kafka.producer()
  await producer.connect()
  const sent = await producer.send({ topic: uniqueName('typed'), compression: CompressionTypes.LZ4, messages: [{ value: 'x' }] })
  await producer.disconnect()
  return sent
}

export async function main(): Promise<number> {
  const addresses: string[] = await setup({ numPartitions: 2 })
  const fromEnv: string[] = brokers()
  const broker: Broker = await createBroker({ port: 0 })
  const offsets: string[] = (await produce(broker)).map((r) => r.baseOffset ?? '')
  await broker.close()
  await teardown()
  return addresses.length + fromEnv.length + offsets.length
}
