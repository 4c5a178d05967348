export * from './feishu.js';
export * from './directory.js';
