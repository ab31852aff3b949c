// Loads the native addon built for this platform.
'use strict'

const path = require('node:path')
const { binaryName } = require('./native-name')

const file = path.join(__dirname, '..', binaryName())
try {
  module.exports = require(file)
} catch (error) {
  throw new Error(`ferrokafka: cannot load the native addon ${file} (${error.message}); run \`npm rebuild ferrokafka\` to build it`)
}
