export * from './errors';
export * from './events';
export * from './http';
export * from './limits';
export * from './names';
export * from './result';
export * from './schemas';
export * from './version';
