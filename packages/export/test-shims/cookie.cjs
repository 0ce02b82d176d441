// Jest cannot require() the ESM-only `cookie@2` that light-my-request (fastify.inject) requires; inject is
// used here without cookies, so this CommonJS stand-in only has to exist. Used by jest.config.cjs only.
module.exports = {
  stringifySetCookie() {
    throw new Error('cookies are not supported by the export tests (test-shims/cookie.cjs)');
  },
};
