// The console's entry point (see docs/console.md).
