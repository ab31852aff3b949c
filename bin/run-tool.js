// Runs one of Kafka's command-line tools through the native addon, with the subcommand chosen
// by the calling script. Node keeps the process's signals: Ctrl-C and SIGTERM ask a running
// command to stop cleanly.
'use strict'

const { runCli, stopCli } = require('../lib/native')

module.exports = function runTool (subcommand) {
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopCli())
  const args = subcommand ? [subcommand, ...process.argv.slice(2)] : process.argv.slice(2)
  runCli(['ferrokafka', ...args]).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error.message)
      process.exit(1)
    }
  )
}
