// Types of `ferrokafka/jest`.
import type { BrokerOptions } from '../index.js'

/** The broker addresses in process.env.KAFKA_BROKERS (set by the preset), ready for `new Kafka({ brokers })`. Throws when it is unset. */
export declare function brokers(): string[]

/** A topic or group name no other test in the run uses, starting with `prefix` (default `test`). */
export declare function uniqueName(prefix?: string): string

/** Starts the run's broker (once) and sets process.env.KAFKA_BROKERS; for a project's own globalSetup. Resolves to its addresses. */
export declare function setup(options?: BrokerOptions): Promise<string[]>

/** Closes the broker started by {@link setup} and restores KAFKA_BROKERS; for a project's own globalTeardown. */
export declare function teardown(): Promise<void>
