export * from './fixtures.js';
export * from './models.js';
export * from './api.js';
export * from './correlation.js';
export * from './archives.js';
