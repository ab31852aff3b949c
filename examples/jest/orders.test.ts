// Example: a Jest test of a small order flow against the broker the ferrokafka/jest preset starts.
// Each test makes its own topic and group with uniqueName(), so test files can run in parallel.
import { Kafka, Partitioners, logLevel } from 'ferrokafka'
import { brokers, uniqueName } from 'ferrokafka/jest'

const kafka = new Kafka({ clientId: 'orders-test', brokers: brokers(), logLevel: logLevel.WARN })

test('an order placed is seen by the shipping consumer', async () => {
  const topic = uniqueName('orders')
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  await producer.send({ topic, messages: [{ key: 'order-1', value: JSON.stringify({ item: 'book', quantity: 2 }) }] })
  await producer.disconnect()

  const consumer = kafka.consumer({ groupId: uniqueName('shipping') })
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const order = await new Promise<{ item: string; quantity: number }>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => resolve(JSON.parse(message.value!.toString())) }).catch(reject)
  })
  await consumer.disconnect()

  expect(order).toEqual({ item: 'book', quantity: 2 })
})
