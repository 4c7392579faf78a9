export * from './fixtures.js';
export * from './models.js';
