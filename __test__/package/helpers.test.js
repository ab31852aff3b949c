// Uses ferrokafka/jest's helpers against the preset's broker, and records which process ran it.
const fs = require('node:fs')
const { Kafka, logLevel } = require('ferrokafka')
const { brokers, uniqueName } = require('ferrokafka/jest')

test('brokers() is the preset broker and uniqueName() gives names no other test uses', async () => {
  if (process.env.PID_FILE) fs.writeFileSync(process.env.PID_FILE, String(process.pid))
  expect(brokers()).toEqual(process.env.KAFKA_BROKERS.split(','))
  const names = [uniqueName('orders'), uniqueName('orders'), uniqueName('a topic/with:odd chars')]
  expect(new Set(names).size).toBe(3)
  expect(names.every((name) => /^[a-zA-Z0-9._-]+$/.test(name))).toBe(true)

  const kafka = new Kafka({ brokers: brokers(), logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: names.map((topic) => ({ topic })) })
  const topics = await admin.listTopics()
  await admin.disconnect()
  expect(topics).toEqual(expect.arrayContaining(names))
})
