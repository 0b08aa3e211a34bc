// Test stand-in for the "server-only" marker package: server modules are imported directly by tests.
export {};
