export * from './feishu.js';
