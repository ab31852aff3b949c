// Shared test helpers: unique names, a quiet kafkajs client, and waiting for conditions.
import { Kafka, logLevel } from 'kafkajs'

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
