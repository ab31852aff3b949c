// A TCP proxy between Kafka clients and one broker that loses Produce responses: it forwards
// every frame both ways, and for the Produce requests `dropResponse` selects it lets the broker
// append, then swallows the broker's answer and closes the client's connection, so the client
// cannot know whether its records were written. Make the broker advertise the proxy's address
// and every connection, metadata included, goes through it.
import net from 'node:net'

/** The Produce API key. */
const PRODUCE = 0

export interface FaultProxy {
  /** The proxy's `host:port`, to advertise and to bootstrap from. */
  address: string
  port: number
  /** Sets the broker the proxy forwards to; connections made before it wait for it. */
  setTarget(address: string): void
  /** Holds connections made from now on until the next `setTarget` (a broker restarting). */
  hold(): void
  /** Produce requests forwarded so far. */
  produced(): number
  /** Produce responses swallowed so far. */
  dropped(): number
  close(): Promise<void>
}

/** Splits a byte stream into Kafka frames (4-byte big-endian length, then the frame). */
class Frames {
  #pending: Buffer = Buffer.alloc(0)

  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    const frames: Buffer[] = []
    while (this.#pending.length >= 4) {
      const size = this.#pending.readInt32BE(0)
      if (this.#pending.length < 4 + size) break
      frames.push(this.#pending.subarray(0, 4 + size))
      this.#pending = this.#pending.subarray(4 + size)
    }
    return frames
  }
}

/**
 * Starts a proxy on 127.0.0.1. `dropResponse(n)` is asked for the n-th Produce request (from 1,
 * counted over all connections) whether to swallow its response.
 */
export async function startFaultProxy(dropResponse: (n: number) => boolean): Promise<FaultProxy> {
  let target: { host: string, port: number } | undefined
  const waiting: Array<() => void> = []
  let produced = 0
  let dropped = 0
  const sockets = new Set<net.Socket>()

  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    client.on('error', () => undefined)
    client.pause()
    const start = (): void => {
      const broker = net.connect(target!.port, target!.host)
      sockets.add(broker)
      broker.on('close', () => { sockets.delete(broker); client.destroy() })
      broker.on('error', () => client.destroy())
      client.on('close', () => broker.destroy())
      const toDrop = new Set<number>()
      const requests = new Frames()
      const responses = new Frames()
      client.on('data', (chunk: Buffer) => {
        for (const frame of requests.push(chunk)) {
          if (frame.readInt16BE(4) === PRODUCE) {
            produced += 1
            if (dropResponse(produced)) toDrop.add(frame.readInt32BE(8))
          }
          broker.write(frame)
        }
      })
      broker.on('data', (chunk: Buffer) => {
        for (const frame of responses.push(chunk)) {
          if (toDrop.has(frame.readInt32BE(4))) {
            dropped += 1
            client.destroy()
            broker.destroy()
            return
          }
          client.write(frame)
        }
      })
      client.resume()
    }
    if (target) start()
    else waiting.push(start)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    address: `127.0.0.1:${port}`,
    port,
    setTarget (address) {
      const at = address.lastIndexOf(':')
      target = { host: address.slice(0, at), port: Number(address.slice(at + 1)) }
      for (const start of waiting.splice(0)) start()
    },
    hold () {
      target = undefined
    },
    produced: () => produced,
    dropped: () => dropped,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  }
}
