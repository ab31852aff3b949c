// The native addon built for this platform (see native-loader.js for where it comes from).
'use strict'

module.exports = require('./native-loader').loadAddon()
