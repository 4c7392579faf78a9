export * from './fixtures.js';
export * from './models.js';
export * from './toy-dataset.js';
