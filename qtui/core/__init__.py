"""Pure survey domain: models, events, store, logic, routes. No I/O, no Textual."""
