// `ferrokafka server-start` (what `npm start` runs): prints its address like kafka-server-start,
// serves clients, and stops cleanly on SIGTERM and on Ctrl-C (SIGINT).
import { spawn } from 'node:child_process'
import path from 'node:path'
import { kafkajs, uniqueName } from './helpers/kafka'

const bin = path.resolve(__dirname, '..', 'bin', 'ferrokafka.js')

function startServer(): { address: Promise<string>, exited: Promise<number | null>, kill: (signal: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [bin, 'server-start', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', 'node.id=3'],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const address = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /\[KafkaServer id=3\] started: listening on (\S+)/.exec(out)
      if (match) resolve(match[1])
    })
    child.on('exit', (code) => reject(new Error(`server-start exited with ${code} before printing its address: ${out}`)))
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { address, exited, kill: (signal) => child.kill(signal) }
}

describe('ferrokafka server-start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('serves kafkajs and exits with 0 on %s', async (signal) => {
    const server = startServer()
    const address = await server.address
    const producer = kafkajs([address]).producer()
    await producer.connect()
    const [sent] = await producer.send({ topic: uniqueName('cli'), messages: [{ value: 'hello' }] })
    expect(sent.baseOffset).toBe('0')
    await producer.disconnect()
    server.kill(signal)
    expect(await server.exited).toBe(0)
  })

  it('rejects an unknown subcommand with a usage error', async () => {
    const child = spawn(process.execPath, [bin, 'no-such-tool'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (chunk) => { err += chunk })
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(code).toBe(2)
    expect(err).toMatch(/unrecognized subcommand 'no-such-tool'/)
  })
})
