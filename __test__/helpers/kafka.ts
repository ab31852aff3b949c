// Shared test helpers: unique names, a quiet kafkajs client, either client's consumer for
// side-by-side scenarios, and waiting for conditions.
import { Consumer, ConsumerConfig, Kafka, logLevel } from 'kafkajs'
import { Kafka as Ferrokafka } from '../..'

let counter = 0

/** A name no other test in this run uses. */
export function uniqueName(prefix: string): string {
  counter += 1
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

/** A kafkajs client that only logs errors. */
export function kafkajs(brokers: string[], clientId = 'ferrokafka-test'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING })
}

/** The clients a side-by-side scenario runs with. */
export const CLIENTS = ['ferrokafka', 'kafkajs'] as const
export type Client = (typeof CLIENTS)[number]

/** A consumer of either client, typed by kafkajs's declarations (ferrokafka mirrors them). */
export function consumerOf(client: Client, brokers: string[], config: ConsumerConfig, clientId = 'ferrokafka-test'): Consumer {
  if (client === 'kafkajs') return kafkajs(brokers, clientId).consumer(config)
  const ferro = new Ferrokafka({ clientId, brokers, logLevel: 0 })
  return ferro.consumer(config as Parameters<typeof ferro.consumer>[0]) as unknown as Consumer
}

/** Resolves once `check` returns a truthy value, polling every few milliseconds. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 30000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
