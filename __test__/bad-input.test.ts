// Bad bytes on raw sockets close those connections only: a kafkajs producer sending at the same
// time on its own connection sees every send succeed, with consecutive offsets.
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { createBroker } from '..'
import { kafkajs, uniqueName, waitFor } from './helpers/kafka'

/** `payload` behind its int32 length prefix. */
function framed(payload: Buffer): Buffer {
  const prefix = Buffer.alloc(4)
  prefix.writeInt32BE(payload.length)
  return Buffer.concat([prefix, payload])
}

/** A request header v1 (api key, version, correlation id, client id) with no body. */
function header(apiKey: number, version: number): Buffer {
  const clientId = Buffer.from('bad-input')
  const out = Buffer.alloc(10)
  out.writeInt16BE(apiKey, 0)
  out.writeInt16BE(version, 2)
  out.writeInt32BE(1, 4)
  out.writeInt16BE(clientId.length, 8)
  return Buffer.concat([out, clientId])
}

function prefix(size: number): Buffer {
  const out = Buffer.alloc(4)
  out.writeUInt32BE(size >>> 0)
  return out
}

interface Closed {
  received: number
  error?: string
}

/**
 * Writes `bytes` on a new connection (then half-closes it if `end`) and resolves once the
 * broker has closed the connection, with how many bytes it sent back first.
 */
function sendUntilClosed(port: number, bytes: Buffer, end: boolean): Promise<Closed> {
  return new Promise((resolve) => {
    const result: Closed = { received: 0 }
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes)
      if (end) socket.end()
    })
    socket.on('data', (chunk) => {
      result.received += chunk.length
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      result.error = error.code
    })
    socket.on('close', () => resolve(result))
  })
}

const garbageFrame = randomBytes(64)
garbageFrame.writeInt16BE(-1, 0)

const badInputs: Array<[string, Buffer, boolean]> = [
  ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'), false],
  ['random bytes in a frame', framed(garbageFrame), false],
  ['a 2 GiB length prefix', prefix(0x7fffffff), false],
  ['a negative length prefix', prefix(-1), false],
  ['an unknown API key', framed(header(9999, 0)), false],
  // Metadata v0 whose topic array claims 2^31-1 entries in four bytes.
  ['a two-billion-element array', framed(Buffer.concat([header(3, 0), Buffer.from('7fffffff', 'hex')])), false],
  ['a truncated request', Buffer.concat([prefix(100), header(18, 0)]), true]
]

describe('bad input on other connections', () => {
  it('closes each bad connection while a producer keeps sending', async () => {
    const broker = await createBroker()
    const producer = kafkajs(broker.brokers).producer()
    await producer.connect()
    const topic = uniqueName('bad-input')
    const offsets: number[] = []
    let stop = false
    const sending = (async () => {
      for (let i = 0; !stop; i++) {
        const [sent] = await producer.send({ topic, messages: [{ value: `message ${i}` }] })
        expect(sent.errorCode).toBe(0)
        offsets.push(Number(sent.baseOffset))
      }
    })()
    try {
      await waitFor(() => offsets.length > 0, 'the first send')
      for (const [what, bytes, end] of badInputs) {
        const sentBefore = offsets.length
        const closed = await sendUntilClosed(broker.port, bytes, end)
        expect({ what, received: closed.received }).toEqual({ what, received: 0 })
        expect([undefined, 'ECONNRESET']).toContain(closed.error)
        await waitFor(() => offsets.length >= sentBefore + 2, `sends after ${what}`)
      }
    } finally {
      stop = true
      await sending
      await producer.disconnect()
      await broker.close()
    }
    expect(offsets).toEqual(offsets.map((_, i) => i))
  })
})
