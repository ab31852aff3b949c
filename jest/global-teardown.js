// Jest globalTeardown: closes the broker that ./global-setup.js started.
'use strict'

const { teardown } = require('./index.js')

module.exports = async function globalTeardown () {
  await teardown()
}
