// Differential helpers: run the same admin call with kafkajs and with ferrokafka and compare what
// each observed (values, or errors reduced to what a caller can see), with generated names
// normalised.
import { uniqueName } from './kafka'

export type Side = 'ferrokafka' | 'kafkajs'

/** A name generated per side, normalised to one label when results are compared. */
export interface Named {
  ferrokafka: string
  kafkajs: string
  label: string
}

/** What a call observed: its value, or its error as a caller can see it. */
export type Observed = { value: unknown } | { error: unknown }

/** Everything a caller can read on a kafkajs error, nested errors included. */
export function describeError(error: unknown, depth = 0): unknown {
  if (depth > 3 || error == null || typeof error !== 'object') return error
  const e = error as Record<string, any>
  const described: Record<string, unknown> = {
    class: e.constructor?.name,
    name: e.name,
    message: e.message,
    retriable: e.retriable,
    type: e.type,
    code: e.code
  }
  if (Array.isArray(e.errors)) described.errors = e.errors.map((inner: unknown) => describeError(inner, depth + 1))
  if (Array.isArray(e.groups)) {
    described.groups = e.groups.map((g: Record<string, unknown>) => ({ ...g, error: describeError(g.error, depth + 1) }))
  }
  if (Array.isArray(e.partitions)) {
    described.partitions = e.partitions.map((p: Record<string, unknown>) => ({ ...p, error: describeError(p.error, depth + 1) }))
  }
  if (e.topic !== undefined) described.topic = e.topic
  if (e.partition !== undefined) described.partition = e.partition
  if (e.cause && e.cause !== e) described.cause = describeError(e.cause, depth + 1)
  return described
}

/** Settles `call`, keeping its value or its described error. */
export async function observe(call: () => Promise<unknown>): Promise<Observed> {
  try {
    return { value: await call() }
  } catch (error) {
    return { error: describeError(error) }
  }
}

/** A generator of per-side names whose results normalise to the same label. */
export class Names {
  #all: Named[] = []

  /** A fresh pair of names for `prefix`. */
  pair(prefix: string): Named {
    const named = { ferrokafka: uniqueName(`ferro-${prefix}`), kafkajs: uniqueName(`kjs-${prefix}`), label: `<${prefix}-${this.#all.length}>` }
    this.#all.push(named)
    return named
  }

  /** `value` with every name generated for `side` replaced by its label. */
  normalise(value: unknown, side: Side): unknown {
    if (typeof value === 'string') {
      return this.#all.reduce((s, named) => s.split(named[side]).join(named.label), value)
    }
    if (Buffer.isBuffer(value) || value == null || typeof value !== 'object') return value
    if (Array.isArray(value)) return value.map((v) => this.normalise(v, side))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.normalise(v, side)]))
  }
}
