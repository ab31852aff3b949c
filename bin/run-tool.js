// Runs one of Kafka's command-line tools through the native addon, with the subcommand chosen
// by the calling script. Node keeps the process's signals: Ctrl-C and SIGTERM ask a running
// command to stop cleanly. The tools are told how to run themselves again (this Node with
// bin/ferrokafka.js), which `kafka-server-start -daemon` does to start the server in the
// background.
'use strict'

const path = require('node:path')
const { runCli, stopCli } = require('../lib/native')

const launcher = [process.execPath, ...process.execArgv, path.join(__dirname, 'ferrokafka.js')]

module.exports = function runTool (subcommand) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopCli())
  const args = subcommand ? [subcommand, ...process.argv.slice(2)] : process.argv.slice(2)
  runCli(['ferrokafka', ...args], launcher).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error.message)
      process.exit(1)
    }
  )
}
