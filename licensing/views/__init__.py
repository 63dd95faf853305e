"""UI views for the licensing core (DESIGN §8); thin: parse, call a service, render."""
