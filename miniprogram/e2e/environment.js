// jsdom for miniprogram-simulate, plus Node's fetch: wx-node.js and the stand-in drivers speak
// real HTTP (jsdom has no fetch of its own).
const { TestEnvironment } = require('jest-environment-jsdom')

class EndToEndEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context)
    this.global.fetch = fetch
  }
}

module.exports = EndToEndEnvironment
