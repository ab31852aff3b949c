// Type definitions for ferrokafka.

/** Options of {@link createBroker}. */
export interface BrokerOptions {
  /** Address to listen on and advertise. Default `127.0.0.1`. */
  host?: string
  /** Port to listen on. Default `0`: an ephemeral port. */
  port?: number
  /** The broker's node id (`node.id`). Default `1`. */
  nodeId?: number
  /** Cluster id reported to clients. Default: a random one in Kafka's format. */
  clusterId?: string
  /** Partitions of auto-created topics (`num.partitions`). Default `1`. */
  numPartitions?: number
  /** Whether Metadata requests may create topics (`auto.create.topics.enable`). Default `true`. */
  autoCreateTopics?: boolean
  /** Kafka broker properties by their server.properties names, e.g. `{ 'message.max.bytes': 2097152 }`. */
  config?: Record<string, string | number | boolean>
}

/** A Kafka broker running inside this process. */
export declare class Broker implements AsyncDisposable {
  /** Bootstrap addresses, ready for `new Kafka({ brokers })`. */
  readonly brokers: string[]
  readonly host: string
  readonly port: number
  readonly nodeId: number
  readonly clusterId: string
  /** Stops the broker, closing every connection and releasing the port. */
  close(): Promise<void>
  /** Lets the process exit while the broker still runs (it keeps the process alive by default, like a server). */
  unref(): this
  /** Undoes `unref()`. */
  ref(): this
  [Symbol.asyncDispose](): Promise<void>
}

/** Starts a Kafka broker speaking the real wire protocol; resolves once it is listening. */
export declare function createBroker(options?: BrokerOptions): Promise<Broker>
