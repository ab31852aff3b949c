// The same package seen from an ES module under node16 resolution: named and default imports.
import ferrokafka, { Kafka, createBroker } from 'ferrokafka'
import { uniqueName } from 'ferrokafka/jest'

const broker = await createBroker()
const kafka: InstanceType<typeof ferrokafka.Kafka> = new Kafka({ brokers: broker.brokers })
const admin = kafka.admin()
const name: string = uniqueName()
export { admin, name }
