"""Live activity sources that turn what a person does into one-sentence events."""
