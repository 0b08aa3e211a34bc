export * from './client';
export * from './datum';
export * from './errors';
export * from './framer';
export * from './ops';
export * from './vswitch';
export * from './session';
