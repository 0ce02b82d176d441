/** Name and version written into every manifest (kept equal to packages/data/package.json by a test). */
export const TOOL_NAME = '@flexmoe/data';
export const TOOL_VERSION = '0.1.0';
