// ferrokafka: the public ES module entry.
import ferrokafka from './index.js'

export const { createBroker, Broker } = ferrokafka
export default ferrokafka
