// Consumer benchmark: ferrokafka's consumer, kafkajs and @platformatic/kafka side by side in one
// run, against ferrokafka's broker in its own process and against Apache Kafka. A topic of 100-byte
// messages is filled first; each client then reads all of it in a fresh group with a no-op
// handler: (a) eachBatch, (b) eachMessage (@platformatic/kafka: its message stream), timed from
// the first message to the last. (c) produce -> eachMessage latency: one message at a time, each
// sent only after the previous one reached the handler (p50/p99).
// usage: npm run bench:consumer [-- --messages N]   (needs `bash peers/install.sh` first)
import { Kafka as KafkaJS, logLevel } from 'kafkajs'
import { Kafka } from 'ferrokafka'
import { Target, collectGarbage, runBenchmark } from './targets'

const argMessages = process.argv.indexOf('--messages')
const MESSAGES = argMessages > 0 ? Number(process.argv[argMessages + 1]) : 1_000_000
const PARTITIONS = 4
const SIZE = 100
const LATENCY_SAMPLES = 1000

type ClientName = 'ferrokafka' | 'kafkajs' | '@platformatic/kafka'
const CLIENTS: ClientName[] = ['ferrokafka', 'kafkajs', '@platformatic/kafka']

/** Reads `total` messages of `topic` in group `groupId` and reports when the last one arrived. */
interface Reader {
  eachBatch?: (topic: string, groupId: string, total: number) => Promise<number>
  eachMessage: (topic: string, groupId: string, total: number) => Promise<number>
  latency: (topic: string, groupId: string) => Promise<number[]>
}

/** Counts arrivals; resolves with the messages/s between the first and the `total`-th. */
class Counter {
  private seen = 0
  private first = 0
  readonly done: Promise<number>
  private finish!: (rate: number) => void

  constructor(private readonly total: number) {
    this.done = new Promise((resolve) => { this.finish = resolve })
  }

  add(count: number): void {
    if (this.seen === 0) this.first = performance.now()
    this.seen += count
    if (this.seen >= this.total && count > 0) {
      const seconds = (performance.now() - this.first) / 1000
      this.finish((this.total - 1) / seconds)
    }
  }
}

function kafkajsLike(make: typeof Kafka | typeof KafkaJS, bootstrap: string): Reader {
  const kafka = new make({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const consume = async (topic: string, groupId: string, run: (counter: Counter) => object, total: number): Promise<number> => {
    const consumer = kafka.consumer({ groupId })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    collectGarbage()
      const counter = new Counter(total)
    await consumer.run(run(counter))
    const rate = await counter.done
    await consumer.disconnect()
    return rate
  }
  return {
    eachBatch: (topic, groupId, total) => consume(topic, groupId, (counter) => ({
      eachBatch: async ({ batch }: { batch: { messages: unknown[] } }) => { counter.add(batch.messages.length) }
    }), total),
    eachMessage: (topic, groupId, total) => consume(topic, groupId, (counter) => ({
      eachMessage: async () => { counter.add(1) }
    }), total),
    latency: async (topic, groupId) => {
      const producer = kafka.producer()
      await producer.connect()
      const consumer = kafka.consumer({ groupId })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: false })
      let arrived: () => void = () => {}
      // The first fetch answered means the consumer holds its position at the end of the log,
      // so what is sent from then on reaches the handler.
      const fetching = new Promise<void>((resolve) => consumer.on(consumer.events.FETCH, () => resolve()))
      await consumer.run({ eachMessage: async () => { arrived() } })
      await fetching
      const times = await sampleLatency(async (value) => {
        const received = new Promise<void>((resolve) => { arrived = resolve })
        await producer.send({ topic, messages: [{ value, partition: 0 }] })
        await received
      })
      await consumer.disconnect()
      await producer.disconnect()
      return times
    }
  }
}

async function platformatic(bootstrap: string): Promise<Reader> {
  const { Consumer, Producer } = await import('@platformatic/kafka')
  const consumer = (groupId: string) => new Consumer({ clientId: 'bench', groupId, bootstrapBrokers: [bootstrap] })
  return {
    eachMessage: async (topic, groupId, total) => {
      const client = consumer(groupId)
      collectGarbage()
      const stream = await client.consume({ topics: [topic], mode: 'earliest', autocommit: true })
      const counter = new Counter(total)
      stream.on('data', () => counter.add(1))
      const rate = await counter.done
      await stream.close()
      await client.close(true)
      return rate
    },
    latency: async (topic, groupId) => {
      const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [bootstrap], idempotent: false, acks: -1 })
      const client = consumer(groupId)
      const stream = await client.consume({ topics: [topic], mode: 'latest', autocommit: true })
      let arrived: () => void = () => {}
      stream.on('data', () => arrived())
      const times = await sampleLatency(async (value) => {
        const received = new Promise<void>((resolve) => { arrived = resolve })
        await producer.send({ messages: [{ topic, value, partition: 0 }] })
        await received
      })
      await stream.close()
      await client.close(true)
      await producer.close()
      return times
    }
  }
}

/** Times `LATENCY_SAMPLES` round trips from the start of a send to its arrival in the handler. */
async function sampleLatency(roundTrip: (value: Buffer) => Promise<void>): Promise<number[]> {
  const value = Buffer.alloc(SIZE, 'x')
  await roundTrip(value)
  const times: number[] = []
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const started = performance.now()
    await roundTrip(value)
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)
}

function reader(name: ClientName, bootstrap: string): Promise<Reader> {
  switch (name) {
    case 'ferrokafka': return Promise.resolve(kafkajsLike(Kafka, bootstrap))
    case 'kafkajs': return Promise.resolve(kafkajsLike(KafkaJS, bootstrap))
    case '@platformatic/kafka': return platformatic(bootstrap)
  }
}

/** Creates the topic and fills it with `MESSAGES` messages using ferrokafka's producer. */
async function fill(bootstrap: string, topic: string): Promise<void> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }, { topic: `${topic}-latency`, numPartitions: 1 }], waitForLeaders: true })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  const messages = Array.from({ length: 1000 }, () => ({ value: Buffer.alloc(SIZE, 'x') }))
  const sends: Promise<unknown>[] = []
  for (let sent = 0; sent < MESSAGES; sent += messages.length) {
    sends.push(producer.send({ topic, acks: -1, messages }))
    if (sends.length === 16) await Promise.all(sends.splice(0))
  }
  await Promise.all(sends)
  await producer.disconnect()
}

interface Row { target: string, client: ClientName, batch?: number, message: number, p50: number, p99: number }

async function measure(target: Target): Promise<Row[]> {
  const topic = 'bench-consume'
  await fill(target.bootstrap, topic)
  const rows: Row[] = []
  for (const name of CLIENTS) {
    const client = await reader(name, target.bootstrap)
    const group = `bench-${name.replace(/\W/g, '')}`
    const batch = client.eachBatch && await client.eachBatch(topic, `${group}-batch`, MESSAGES)
    const message = await client.eachMessage(topic, `${group}-message`, MESSAGES)
    const times = await client.latency(`${topic}-latency`, `${group}-latency`)
    rows.push({ target: target.name, client: name, batch, message, p50: times[Math.floor(times.length * 0.5)], p99: times[Math.floor(times.length * 0.99)] })
    console.error(`done: ${target.name} ${name}`)
  }
  return rows
}

const rate = (n?: number): string => n === undefined ? '—' : Math.round(n).toLocaleString('en-US')
const ratio = (n: number | undefined, peer: number | undefined): string => n === undefined || peer === undefined ? '—' : `${(n / peer).toFixed(1)}x`

function print(rows: Row[]): void {
  console.log(`${MESSAGES} messages of ${SIZE} B in ${PARTITIONS} partitions, read by a fresh group with a no-op handler; ${LATENCY_SAMPLES} latency samples\n`)
  console.log('| broker | client | (a) eachBatch msgs/s | (b) eachMessage msgs/s | (c) p50 ms | (c) p99 ms | (a) vs kafkajs | (b) vs kafkajs |')
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const row of rows) {
    const peer = rows.find((r) => r.target === row.target && r.client === 'kafkajs')!
    console.log(`| ${row.target} | ${row.client} | ${rate(row.batch)} | ${rate(row.message)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${ratio(row.batch, peer.batch)} | ${ratio(row.message, peer.message)} |`)
  }
}

runBenchmark(measure, print)
