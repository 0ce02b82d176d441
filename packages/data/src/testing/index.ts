/** @flexmoe/data/testing: helpers for the tests of Flex-MoE packages (not part of the library API). */
export { toolForTests, TOOL_SKIP_PREFIX, REQUIRE_TOOLS_VAR } from './tool-gate.js';
