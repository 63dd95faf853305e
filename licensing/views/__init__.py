"""UI views for the licensing core (docs/architecture.md#ui); thin: parse, call a service, render."""
