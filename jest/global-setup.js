// Jest globalSetup: starts the run's broker (see ./index.js). Usable on its own as
// `globalSetup: 'ferrokafka/jest/global-setup'` in a project that already has a preset.
'use strict'

const { setup } = require('./index.js')

module.exports = async function globalSetup () {
  await setup()
}
