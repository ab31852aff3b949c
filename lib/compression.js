// kafkajs's CompressionTypes and CompressionCodecs. Every codec (gzip, snappy, lz4, zstd) is built
// into ferrokafka, so registering one in CompressionCodecs is accepted and has no effect.
'use strict'

const CompressionTypes = Object.freeze({ None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 })

/** Where kafkajs users register codec packages; kept only so that such code runs unchanged. */
const CompressionCodecs = {}

const KNOWN = new Set(Object.values(CompressionTypes))

/** Whether `type` names a codec. */
function isCompressionType (type) {
  return KNOWN.has(type)
}

module.exports = { CompressionTypes, CompressionCodecs, isCompressionType }
