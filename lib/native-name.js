// The file name napi-rs gives the addon for this platform, e.g. ferrokafka.linux-x64-gnu.node.
'use strict'

function abi () {
  if (process.platform !== 'linux') return process.platform === 'win32' ? '-msvc' : ''
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
  return report?.header?.glibcVersionRuntime ? '-gnu' : '-musl'
}

function binaryName () {
  const platform = process.platform === 'darwin' ? 'darwin' : process.platform === 'win32' ? 'win32' : 'linux'
  return `ferrokafka.${platform}-${process.arch}${abi()}.node`
}

module.exports = { binaryName }
