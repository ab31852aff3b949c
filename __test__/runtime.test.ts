// The addon's worker threads: one for each core the JavaScript thread leaves free unless
// TOKIO_WORKER_THREADS says otherwise, and a value tokio could not read does not take the process
// down. Each case runs in a fresh Node process, since the runtime starts once per process.
import { execFile } from 'node:child_process'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

// Starts an embedded broker, sends through it, and prints how many of the process's threads are
// the runtime's (Linux names them in /proc; nothing here runs on its blocking pool).
const script = `
const fs = require('node:fs')
const { Kafka, createBroker } = require(${JSON.stringify(path.resolve(__dirname, '..'))})
;(async () => {
  const broker = await createBroker()
  const producer = new Kafka({ brokers: broker.brokers, logLevel: 0 }).producer()
  await producer.connect()
  const [sent] = await producer.send({ topic: 'runtime', messages: [{ value: 'x' }] })
  const workers = fs.readdirSync('/proc/self/task')
    .filter((task) => fs.readFileSync('/proc/self/task/' + task + '/comm', 'utf8').startsWith('ferrokafka-rt'))
  await producer.disconnect()
  await broker.close()
  console.log(JSON.stringify({ errorCode: sent.errorCode, workers: workers.length }))
})()
`

async function workersWith(value?: string): Promise<{ errorCode: number, workers: number }> {
  const env = { ...process.env }
  delete env.TOKIO_WORKER_THREADS
  if (value !== undefined) env.TOKIO_WORKER_THREADS = value
  const { stdout } = await run(process.execPath, ['-e', script], { env })
  return JSON.parse(stdout)
}

const free = Math.max(1, availableParallelism() - 1)

test('the runtime has a worker for each core the JavaScript thread leaves free', async () => {
  expect(await workersWith()).toEqual({ errorCode: 0, workers: free })
})

test('TOKIO_WORKER_THREADS sets the number of workers', async () => {
  expect(await workersWith('3')).toEqual({ errorCode: 0, workers: 3 })
})

test.each(['0', 'many', ''])('TOKIO_WORKER_THREADS=%j is ignored, not fatal', async (value) => {
  expect(await workersWith(value)).toEqual({ errorCode: 0, workers: free })
})
