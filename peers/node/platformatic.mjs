// A Kafka peer built on @platformatic/kafka (a pure-JS client that uses flexible versions),
// printing one JSON object per line. It runs as its own process because the client is ESM-only.
//
//   produce BOOTSTRAP TOPIC N              sends N records (key k<i>, value v<i>) one by one, auto-creating
//                                          TOPIC; prints each ack
//   consume-group BOOTSTRAP TOPIC GROUP N  joins GROUP, reads N records from its committed offsets (earliest
//                                          when none), commits them, prints the group's committed offsets
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'

const DEADLINE_MS = 30_000

function emit (fields) {
  process.stdout.write(JSON.stringify(fields) + '\n')
}

async function produce (bootstrap, topic, count) {
  const producer = new Producer({
    clientId: 'ferrokafka-peer',
    bootstrapBrokers: [bootstrap],
    serializers: stringSerializers,
    autocreateTopics: true
  })
  try {
    for (let i = 0; i < count; i++) {
      const key = `k${i}`
      const value = `v${i}`
      const result = await producer.send({ messages: [{ topic, key, value }] })
      const [ack] = result.offsets
      emit({ type: 'ack', partition: ack.partition, offset: Number(ack.offset), key, value })
    }
  } finally {
    await producer.close()
  }
}

async function consumeGroup (bootstrap, topic, groupId, count) {
  const consumer = new Consumer({
    clientId: 'ferrokafka-peer',
    groupId,
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers
  })
  const deadline = setTimeout(() => {
    process.stderr.write(`did not receive ${count} records in ${DEADLINE_MS} ms\n`)
    process.exit(1)
  }, DEADLINE_MS)
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false })
    const partitions = new Set()
    let received = 0
    for await (const message of stream) {
      emit({ type: 'record', partition: message.partition, offset: Number(message.offset), key: message.key, value: message.value })
      await message.commit()
      partitions.add(message.partition)
      if (++received >= count) break
    }
    await stream.close()
    const read = [...partitions].sort((a, b) => a - b)
    const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: read }] })
    for (const partition of read) {
      emit({ type: 'committed', partition, offset: Number(committed.get(topic)[partition]) })
    }
  } finally {
    clearTimeout(deadline)
    await consumer.close(true)
  }
}

const [command, ...args] = process.argv.slice(2)
if (command === 'produce' && args.length === 3) {
  await produce(args[0], args[1], Number(args[2]))
} else if (command === 'consume-group' && args.length === 4) {
  await consumeGroup(args[0], args[1], args[2], Number(args[3]))
} else {
  process.stderr.write('usage: platformatic.mjs produce BOOTSTRAP TOPIC N | consume-group BOOTSTRAP TOPIC GROUP N\n')
  process.exit(2)
}
